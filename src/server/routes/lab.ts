import type { FastifyInstance } from 'fastify';
import type { CodeChange } from '../cache.js';
import type { AppContext } from '../context.js';
import { deadlineFor, heldConnection } from '../context.js';
import { ApiError } from '../errors.js';
import { audit } from '../db/schema.js';
import { REFUSED, requireStaff, staffOf } from '../staff.js';
import { labBody, type LabBody } from './schemas.js';

const REASONS = {
  negative: 'negative pooled test',
  positive: 'pooled sample positive: individual retest pending',
  compound: 'a pooled sample from your compound tested positive',
} as const;

/**
 * POST /api/v1/lab/results — a tube's result flows back to codes. Negative: its members turn
 * green. Positive: its members turn yellow pending retest, and so does everyone in their
 * compounds. Red codes are never lowered by a pooled result. Only the lab the tube is routed to
 * may report it (staff.ts), and the body names that lab; each result writes an audit row.
 */
export function labRoutes(app: FastifyInstance, ctx: AppContext): void {
  const onlyLabs = requireStaff(ctx.signer, 'lab');
  app.post<{ Body: LabBody }>('/api/v1/lab/results', { schema: { body: labBody }, onRequest: onlyLabs }, async (request, reply) => {
    const { tube, result, lab } = request.body;
    const staff = staffOf(request);
    if (staff.scope !== lab) throw REFUSED.lab;
    const changed = await ctx.db.transaction(deadlineFor(ctx, request), async (client) => {
      const found = await client.query<{ result: string | null; lab: string }>('SELECT result, lab FROM tubes WHERE id = $1 FOR UPDATE', [tube]);
      const row = found.rows[0];
      if (row === undefined) throw new ApiError('TUBE_NOT_FOUND', `no tube ${tube}`);
      if (row.lab !== lab) throw REFUSED.tubeLab;
      if (row.result !== null) throw new ApiError('RESULT_EXISTS', `tube ${tube} already has a result`);
      await client.query('UPDATE tubes SET result = $2, reported_at = now() WHERE id = $1', [tube, result]);
      await audit(client, staff, `lab.${result}`, tube);
      const members = (await client.query<{ resident_id: number }>('SELECT resident_id FROM samples WHERE tube_id = $1', [tube])).rows.map(
        (r) => r.resident_id,
      );
      const set = async (ids: string, colour: string, reason: string, params: unknown[]): Promise<CodeChange[]> =>
        (
          await client.query<{ resident_id: number; version: number }>(
            `INSERT INTO health_codes (resident_id, colour, reason, version)
             SELECT id, '${colour}', $1, 1 FROM (${ids}) AS chosen(id)
             ON CONFLICT (resident_id) DO UPDATE
               SET colour = EXCLUDED.colour, reason = EXCLUDED.reason,
                   version = health_codes.version + 1, updated_at = now()
               WHERE health_codes.colour <> 'red'
             RETURNING resident_id, version`,
            [reason, ...params],
          )
        ).rows.map((r) => ({ residentId: r.resident_id, version: r.version }));
      if (result === 'negative') return { members, affected: await set('SELECT unnest($2::int[])', 'green', REASONS.negative, [members]) };
      const yellow = await set('SELECT unnest($2::int[])', 'yellow', REASONS.positive, [members]);
      const compound = await set(
        `SELECT r.id FROM residents r
          WHERE r.compound IN (SELECT compound FROM residents WHERE id = ANY($2::int[]))
            AND r.id <> ALL($2::int[])`,
        'yellow',
        REASONS.compound,
        [members],
      );
      return { members, affected: [...yellow, ...compound] };
    }, heldConnection(ctx, request, reply.raw));
    // The result is committed: a cache that cannot be told now must not turn that into an
    // error (the lab would retry into RESULT_EXISTS). The code service keeps retrying.
    await ctx.codes.changed(changed.affected);
    return { tube, result, members: changed.members.length, codesChanged: changed.affected.length };
  });
}
