import pg from 'pg';
import type { Operation } from '../../src/check/operations.js';
import { createIdentityGenerator } from '../identity/generator.js';
import { codeSeen, OP } from '../journeys/operations.js';
import type { FinalState, Probe, ResidentState } from './model.js';

/**
 * The state the system settled in, read after the run with its faults undone: the tubes and
 * bindings the history names and those residents' codes, straight from Postgres; and a sample of
 * the same residents' codes read through the API as a resident's app reads them (sign in, GET the
 * code), to judge whether the two agree.
 */
export interface FinalStateSource {
  readonly databaseUrl: string;
  readonly origin: string;
  /** The population the server was seeded with, to sign the probed residents in. */
  readonly seed: number;
  readonly residents: number;
  /** Residents read through the API at most. */
  readonly probes?: number;
}

const DEFAULT_PROBES = 100;

/**
 * Probes asked at once. A few, so that a server still working through a queue after the run
 * (fragile's, for people who have gone) costs the check a few 5 s timeouts in all, not 5 s for
 * each unanswered probe one after another (a minute for twelve); and few enough that the check
 * is a handful of residents opening their app, not another load.
 */
export const PROBES_AT_ONCE = 8;

export async function readFinalState(ops: readonly Operation[], source: FinalStateSource): Promise<FinalState> {
  const tubeIds = [...new Set(ops.filter((o) => o.f === OP.bind || o.f === OP.result).map((o) => String(o.keys['tube'])))];
  const client = new pg.Client({ connectionString: source.databaseUrl });
  await client.connect();
  try {
    const tubes = await client.query<{ id: string; result: string | null }>('SELECT id, result FROM tubes WHERE id = ANY($1::text[])', [tubeIds]);
    const samples = await client.query<{ tube_id: string; resident_id: number }>('SELECT tube_id, resident_id FROM samples WHERE tube_id = ANY($1::text[])', [tubeIds]);
    const named = new Set<number>(samples.rows.map((r) => r.resident_id));
    for (const o of ops) if (o.keys['resident'] !== undefined) named.add(Number(o.keys['resident']));
    const residents = await residentsOf(client, [...named]);
    const probes = await probe(source, chooseProbes(ops, samples.rows, source.probes ?? DEFAULT_PROBES));
    return {
      tubes: new Map(tubes.rows.map((r) => [r.id, r.result])),
      samples: samples.rows.map((r) => ({ tube: r.tube_id, resident: r.resident_id })),
      residents,
      probes,
    };
  } finally {
    await client.end();
  }
}

async function residentsOf(client: pg.Client, ids: readonly number[]): Promise<Map<number, ResidentState>> {
  const { rows } = await client.query<{ id: number; name: string; compound: number; colour: string | null; version: number | null }>(
    `SELECT r.id, r.name, r.compound, c.colour, c.version
       FROM residents r LEFT JOIN health_codes c ON c.resident_id = r.id
      WHERE r.id = ANY($1::int[])`,
    [ids],
  );
  // No row in health_codes: the default code (src/server/db/schema.ts DEFAULT_CODE).
  return new Map(rows.map((r) => [r.id, { name: r.name, compound: r.compound, colour: r.colour ?? 'green', version: r.version ?? 0 }]));
}

/** The residents whose codes a lab result changed come first, then others that were read; in id order. */
function chooseProbes(ops: readonly Operation[], samples: readonly { resident_id: number }[], max: number): number[] {
  const changed = [...new Set(samples.map((s) => s.resident_id))].sort((a, b) => a - b);
  const read = [...new Set(ops.filter((o) => o.f === OP.read).map((o) => Number(o.keys['resident'])))].sort((a, b) => a - b);
  return [...new Set([...changed.slice(0, Math.ceil(max / 2)), ...read])].slice(0, max);
}

async function probe(source: FinalStateSource, residents: readonly number[]): Promise<Probe[]> {
  const people = createIdentityGenerator({ seed: source.seed, population: source.residents });
  return inTurns(residents, PROBES_AT_ONCE, async (resident): Promise<Probe> => {
    const who = people.identity(resident);
    try {
      const session = await call(source.origin, 'POST', '/api/v1/session', undefined, JSON.stringify({ idNumber: who.idNumber, phone: who.phone }));
      const token = (JSON.parse(session) as { token?: string }).token;
      const body = await call(source.origin, 'GET', '/api/v1/code', token, undefined);
      const payload = (JSON.parse(body) as { qr?: { payload?: string } }).qr?.payload;
      const seen = codeSeen(body, payload);
      return seen === undefined ? { resident, failed: 'the answer is not a code' } : { resident, seen };
    } catch (err) {
      return { resident, failed: err instanceof Error ? err.message : String(err) };
    }
  });
}

/** `work` over every item, at most `atOnce` running at a time; the answers in the items' order. */
export async function inTurns<T, R>(items: readonly T[], atOnce: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) out[i] = await work(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(atOnce, items.length)) }, lane));
  return out;
}

/** The longest Retry-After a probe waits out, once, before it asks again. */
export const PROBE_RETRY_AFTER_MAX_S = 5;

/**
 * One request of a probe. A 429 or 503 with a Retry-After of at most PROBE_RETRY_AFTER_MAX_S is
 * waited out and asked once more, as an app that reads the header does: a refusal that says
 * "not now" is not the system's answer about a code (hardened's sign-in budget, spent by a
 * resident's own retries during the run, refuses a probe's sign-in for a few seconds after it).
 */
export async function call(origin: string, method: string, path: string, token: string | undefined, body: string | undefined): Promise<string> {
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(new URL(path, origin), { method, headers, signal: AbortSignal.timeout(5_000), ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    if (res.ok) return text;
    const waitS = Number(res.headers.get('retry-after') ?? Number.NaN);
    if (attempt === 0 && (res.status === 429 || res.status === 503) && waitS >= 0 && waitS <= PROBE_RETRY_AFTER_MAX_S) {
      await new Promise((resolve) => setTimeout(resolve, waitS * 1000));
      continue;
    }
    throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 120)}`);
  }
}
