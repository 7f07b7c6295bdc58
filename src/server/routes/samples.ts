import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { checkIdNumber } from '../../../sim/identity/gb11643.js';
import type { AppContext } from '../context.js';
import { deadlineFor } from '../context.js';
import { ApiError } from '../errors.js';
import { residentOfQr } from './auth.js';
import { manualBody, scanBody, type ManualBody, type ScanBody } from './schemas.js';

/** Swabs of up to this many people share one tube (DOMAIN.md: 10-in-1 pooling). */
export const TUBE_CAPACITY = 10;

/**
 * A sampling table binds a person to a tube: by scanning their QR (cheap: the QR names them)
 * or, when that fails, by typing their ID number (the fallback: a check, a lookup by ID
 * number and an audit row on top of the same binding).
 */
export function sampleRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post<{ Body: ScanBody }>('/api/v1/samples/scan', { schema: { body: scanBody } }, async (request, reply) => {
    const { tube, site, table, qr } = request.body;
    const { residentId } = residentOfQr(qr, ctx.signer);
    const result = await ctx.db.transaction(deadlineFor(ctx), (client) =>
      bind(client, { tube, site, table, residentId, method: 'scan' }),
    );
    reply.code(result.added ? 201 : 200);
    return result;
  });

  app.post<{ Body: ManualBody }>('/api/v1/samples/manual', { schema: { body: manualBody } }, async (request, reply) => {
    const { tube, site, table, idNumber } = request.body;
    const check = checkIdNumber(idNumber);
    if (!check.ok) throw new ApiError('ID_NUMBER_INVALID', `idNumber: ${check.message}`);
    const result = await ctx.db.transaction(deadlineFor(ctx), async (client) => {
      const { rows } = await client.query<{ id: number }>('SELECT id FROM residents WHERE id_number = $1', [idNumber]);
      const resident = rows[0];
      if (resident === undefined) throw new ApiError('RESIDENT_NOT_FOUND', 'no resident with that ID number');
      await client.query('INSERT INTO manual_entries (tube_id, id_number, site, table_no) VALUES ($1, $2, $3, $4)', [
        tube, idNumber, site, table,
      ]);
      return bind(client, { tube, site, table, residentId: resident.id, method: 'manual' });
    });
    reply.code(result.added ? 201 : 200);
    return result;
  });
}

interface Binding {
  tube: string;
  site: string;
  table: number;
  residentId: number;
  method: 'scan' | 'manual';
}

async function bind(client: pg.PoolClient, b: Binding): Promise<{ tube: string; members: number; added: boolean }> {
  await client.query('INSERT INTO tubes (id, site, table_no) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING', [
    b.tube, b.site, b.table,
  ]);
  const { rows } = await client.query<{ result: string | null; members: number; present: boolean }>(
    `SELECT t.result,
            (SELECT count(*)::int FROM samples s WHERE s.tube_id = t.id) AS members,
            EXISTS (SELECT 1 FROM samples s WHERE s.tube_id = t.id AND s.resident_id = $2) AS present
       FROM tubes t WHERE t.id = $1 FOR UPDATE`,
    [b.tube, b.residentId],
  );
  const tube = rows[0];
  if (tube === undefined) throw new Error(`tube ${b.tube} vanished inside its transaction`);
  if (tube.result !== null) throw new ApiError('TUBE_CLOSED', `tube ${b.tube} already has a result`);
  if (tube.present) return { tube: b.tube, members: tube.members, added: false };
  if (tube.members >= TUBE_CAPACITY) throw new ApiError('TUBE_FULL', `tube ${b.tube} already holds ${TUBE_CAPACITY} people`);
  await client.query('INSERT INTO samples (tube_id, resident_id, method) VALUES ($1, $2, $3)', [b.tube, b.residentId, b.method]);
  return { tube: b.tube, members: tube.members + 1, added: true };
}
