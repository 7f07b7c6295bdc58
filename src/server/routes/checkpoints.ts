import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { deadlineFor, heldConnection, maskName } from '../context.js';
import { REFUSED, requireStaff, staffOf } from '../staff.js';
import { residentOfQr } from './auth.js';
import { verifyBody, type VerifyBody } from './schemas.js';

/**
 * POST /api/v1/checkpoints/verify — a metro gate or a hospital scans a QR. The signature and
 * expiry are checked without the database; the colour returned is the resident's current
 * one, which may have changed since the QR was issued. Only the checkpoint the body names may
 * (staff.ts); its scan row is the record of who checked whom.
 */
export function checkpointRoutes(app: FastifyInstance, ctx: AppContext): void {
  const onlyCheckpoints = requireStaff(ctx.signer, 'checkpoint');
  app.post<{ Body: VerifyBody }>('/api/v1/checkpoints/verify', { schema: { body: verifyBody }, onRequest: onlyCheckpoints }, async (request, reply) => {
    const { qr, checkpoint, kind } = request.body;
    if (staffOf(request).scope !== checkpoint) throw REFUSED.checkpoint;
    const { residentId, version } = residentOfQr(qr, ctx.signer);
    const deadline = deadlineFor(ctx, request);
    const held = heldConnection(ctx, request, reply.raw);
    const { record, stale } = await ctx.codes.current(residentId, deadline, held);
    await ctx.db.query(
      deadline,
      'INSERT INTO checkpoint_scans (resident_id, checkpoint, kind, colour) VALUES ($1, $2, $3, $4)',
      [residentId, checkpoint, kind, record.colour],
      held,
    );
    return {
      valid: true,
      name: maskName(record.name),
      colour: record.colour,
      reason: record.reason,
      version: record.version,
      outdatedQr: version !== record.version,
      stale,
    };
  });
}
