import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { deadlineFor, maskName } from '../context.js';
import { residentOf } from './auth.js';

/** GET /api/v1/code — my code: colour, reason, and a signed QR payload that expires. */
export function codeRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/api/v1/code', async (request) => {
    const residentId = residentOf(request, ctx.signer);
    const { record, stale } = await ctx.codes.current(residentId, deadlineFor(ctx));
    const qr = ctx.qr.issue(record.residentId, record.colour, record.version, Date.now());
    return {
      name: maskName(record.name),
      colour: record.colour,
      reason: record.reason,
      version: record.version,
      stale,
      qr: { payload: qr.payload, expiresAt: new Date(qr.expiresAt * 1000).toISOString() },
    };
  });
}
