import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { checkIdNumber } from '../../../sim/identity/gb11643.js';
import type { AppContext } from '../context.js';
import { deadlineFor, heldConnection } from '../context.js';
import { audit, idDigits } from '../db/schema.js';
import { ApiError } from '../errors.js';
import { REFUSED, requireStaff, staffOf, type StaffClaims } from '../staff.js';
import { residentOfQr } from './auth.js';
import { manualBody, scanBody, type ManualBody, type ScanBody } from './schemas.js';

/** Swabs of up to this many people share one tube (DOMAIN.md: 10-in-1 pooling). */
export const TUBE_CAPACITY = 10;

/**
 * A sampling table binds a person to a tube: by scanning their QR (cheap: the QR names them)
 * or, when that fails, by typing their ID number (the fallback: a check, a lookup by ID
 * number and an audit row on top of the same binding). Only a sampler of the body's site may
 * (staff.ts); a tube opened at another site is refused; each binding writes an audit row.
 */
export function sampleRoutes(app: FastifyInstance, ctx: AppContext): void {
  const sampler = requireStaff(ctx.signer, 'sampler');
  app.post<{ Body: ScanBody }>('/api/v1/samples/scan', { schema: { body: scanBody }, onRequest: sampler }, async (request, reply) => {
    const { tube, site, table, qr } = request.body;
    const staff = ownSite(request, site);
    const { residentId } = residentOfQr(qr, ctx.signer);
    const binding: Binding = { tube, site, table, residentId, method: 'scan' };
    const held = heldConnection(ctx, request, reply.raw);
    const result = ctx.config.resilience.oneTripSampleBind
      ? await ctx.db.query<BindRow>(deadlineFor(ctx, request), BIND_SAMPLE, bindArgs(staff, binding), held).then((r) => boundOrRefused(r.rows[0], binding), refusedByDatabase(binding))
      : await ctx.db.transaction(deadlineFor(ctx, request), (client) => bind(client, staff, binding), held);
    reply.code(result.added ? 201 : 200);
    return result;
  });

  app.post<{ Body: ManualBody }>('/api/v1/samples/manual', { schema: { body: manualBody }, onRequest: sampler }, async (request, reply) => {
    const { tube, site, table, idNumber } = request.body;
    const staff = ownSite(request, site);
    const check = checkIdNumber(idNumber);
    if (!check.ok) throw new ApiError('ID_NUMBER_INVALID', `idNumber: ${check.message}`);
    const result = await ctx.db.transaction(deadlineFor(ctx, request), async (client) => {
      const { rows } = await client.query<{ id: number }>('SELECT id FROM residents WHERE id_digits = $1', [idDigits(idNumber)]);
      const resident = rows[0];
      if (resident === undefined) throw new ApiError('RESIDENT_NOT_FOUND', 'no resident with that ID number');
      await client.query('INSERT INTO manual_entries (tube_id, id_number, site, table_no) VALUES ($1, $2, $3, $4)', [
        tube, idNumber, site, table,
      ]);
      const binding: Binding = { tube, site, table, residentId: resident.id, method: 'manual' };
      if (!ctx.config.resilience.oneTripSampleBind) return bind(client, staff, binding);
      return client.query<BindRow>(BIND_SAMPLE, bindArgs(staff, binding)).then((r) => boundOrRefused(r.rows[0], binding), refusedByDatabase(binding));
    }, heldConnection(ctx, request, reply.raw));
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

/** The sampler's claims, when the body's site is the one its token names. */
function ownSite(request: FastifyRequest, site: string): StaffClaims {
  const staff = staffOf(request);
  if (staff.scope !== site) throw REFUSED.site;
  return staff;
}

/**
 * The same binding in one round trip: bind_sample() (db/schema.ts) runs bind()'s statements
 * inside the database (hardened: oneTripSampleBind). Sent one by one, they hold a pool
 * connection across seven turns of the worker's event loop; when the loop is busy (a surge, a
 * restart with a cold cache) the connections sit "idle in transaction" waiting for the server,
 * the pool runs dry, and the cache misses queued behind them are shed.
 */
const BIND_SAMPLE = 'SELECT members, added FROM bind_sample($1, $2, $3, $4, $5, $6, $7, $8, $9)';

interface BindRow {
  members: number;
  added: boolean;
}

function bindArgs(staff: StaffClaims, b: Binding): unknown[] {
  return [b.tube, b.site, b.table, staff.lab, b.residentId, b.method, staff.role, staff.scope, TUBE_CAPACITY];
}

function boundOrRefused(row: BindRow | undefined, b: Binding): { tube: string; members: number; added: boolean } {
  if (row === undefined) throw new Error(`bind_sample returned no row for tube ${b.tube}`);
  return { tube: b.tube, members: row.members, added: row.added };
}

/** bind_sample's refusals (SQLSTATEs raised in db/schema.ts) as bind()'s own errors. */
function refusedByDatabase(b: Binding): (err: unknown) => never {
  return (err) => {
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'CSB01') throw REFUSED.tubeSite;
    if (code === 'CSB02') throw new ApiError('TUBE_CLOSED', `tube ${b.tube} already has a result`);
    if (code === 'CSB03') throw new ApiError('TUBE_FULL', `tube ${b.tube} already holds ${TUBE_CAPACITY} people`);
    throw err;
  };
}

async function bind(client: pg.PoolClient, staff: StaffClaims, b: Binding): Promise<{ tube: string; members: number; added: boolean }> {
  // A new tube is routed to the lab the site sends to (named by the sampler's token).
  await client.query('INSERT INTO tubes (id, site, table_no, lab) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING', [
    b.tube, b.site, b.table, staff.lab,
  ]);
  // Lock the tube first, then count in a new statement: under READ COMMITTED a statement sees
  // what committed before it began, so a count taken in the locking statement itself would
  // miss the members added by whoever held the lock before us (and the tube would overfill).
  const locked = await client.query<{ result: string | null; site: string }>('SELECT result, site FROM tubes WHERE id = $1 FOR UPDATE', [b.tube]);
  const tube = locked.rows[0];
  if (tube === undefined) throw new Error(`tube ${b.tube} vanished inside its transaction`);
  if (tube.site !== b.site) throw REFUSED.tubeSite;
  if (tube.result !== null) throw new ApiError('TUBE_CLOSED', `tube ${b.tube} already has a result`);
  const { rows } = await client.query<{ members: number; present: boolean }>(
    `SELECT count(*)::int AS members, coalesce(bool_or(resident_id = $2), false) AS present
       FROM samples WHERE tube_id = $1`,
    [b.tube, b.residentId],
  );
  const { members, present } = rows[0] ?? { members: 0, present: false };
  if (present) return { tube: b.tube, members, added: false };
  if (members >= TUBE_CAPACITY) throw new ApiError('TUBE_FULL', `tube ${b.tube} already holds ${TUBE_CAPACITY} people`);
  await client.query('INSERT INTO samples (tube_id, resident_id, method) VALUES ($1, $2, $3)', [b.tube, b.residentId, b.method]);
  await audit(client, staff, `sample.${b.method}`, `${b.tube}:${b.residentId}`);
  return { tube: b.tube, members: members + 1, added: true };
}
