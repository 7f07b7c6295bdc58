import type { FastifyInstance } from 'fastify';
import { checkIdNumber } from '../../../sim/identity/gb11643.js';
import type { AppContext } from '../context.js';
import { deadlineFor, heldConnection } from '../context.js';
import { idDigits } from '../db/schema.js';
import { ApiError } from '../errors.js';
import { SignInBudget } from '../resilience/sign-in-budget.js';
import { issueToken } from '../signing.js';
import { sessionBody, type SessionBody } from './schemas.js';

/**
 * POST /api/v1/session — ID number and phone in, a bearer token out. A re-install lands here.
 * Each attempt for an ID number spends from its budget (signInBurst; hardened), before the
 * database is asked, so a client hammering one ID number costs a Map lookup and no query.
 */
export function sessionRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { signInBurst, signInRefillS } = ctx.config.resilience;
  const budget = new SignInBudget(signInBurst, signInRefillS);
  const limited = new ApiError(
    'SIGN_IN_LIMITED',
    `too many sign-in attempts for this ID number: ${signInBurst} at once, then one every ${signInRefillS} s`,
    // Without a refill the budget never comes back: no time to tell the client.
    signInRefillS > 0 ? Math.max(1, Math.ceil(signInRefillS)) : undefined,
  );
  app.post<{ Body: SessionBody }>('/api/v1/session', { schema: { body: sessionBody } }, async (request, reply) => {
    const { idNumber, phone } = request.body;
    const check = checkIdNumber(idNumber);
    if (!check.ok) throw new ApiError('ID_NUMBER_INVALID', `idNumber: ${check.message}`);
    if (!budget.take(idDigits(idNumber), Date.now())) throw limited;
    const { rows } = await ctx.db.query<{ id: number; phone: string }>(
      deadlineFor(ctx, request),
      'SELECT id, phone FROM residents WHERE id_digits = $1',
      [idDigits(idNumber)],
      heldConnection(ctx, request, reply.raw),
    );
    const resident = rows[0];
    if (resident === undefined || resident.phone !== phone) {
      throw new ApiError('CREDENTIALS_REJECTED', 'no resident with that ID number and phone');
    }
    const expiresAt = Math.floor(Date.now() / 1000) + ctx.config.tokenTtlS;
    reply.code(201);
    return { token: issueToken(ctx.signer, resident.id, expiresAt), expiresAt: new Date(expiresAt * 1000).toISOString() };
  });
}
