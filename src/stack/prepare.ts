import pg from 'pg';
import { holds, priorHolders, priorToken, type PriorModel, type PriorSessions } from '../../sim/city/prior.js';
import { cityStaff, siteCount, type StaffCredentials } from '../../sim/city/staff.js';
import { RESIDENTS_PER_SITE } from '../../sim/people.js';
import { CodeCache } from '../server/cache.js';
import { codeRecord, CODES_OF_RESIDENTS, type CodeRow } from '../server/codes.js';
import { issueToken, Signer } from '../server/signing.js';
import type { Stack } from './stack.js';
import { staffIssuer, type IssueStaff } from './staff.js';

/**
 * The city's state before the clock starts, made real on the reference stack: the residents who
 * hold a session get a token as the server's own sign-in would have issued it (their phones
 * keep it), and the residents whose code is cached get the entry the server itself would have
 * written, in the profile's own format (signed in `hardened`, plain JSON in `fragile`). Who is
 * who comes from the seed (sim/city/prior.ts).
 *
 * Tokens go to the load engine's worker threads in one SharedArrayBuffer of fixed-width slots
 * (PriorSessions), by resident index: shared, not copied, whatever the number of workers.
 * The city's staff (a sampler per site, its labs, its gates) get their credentials here too.
 */
export interface PreparedCity {
  readonly sessions: PriorSessions;
  readonly staff: StaffCredentials;
  readonly sessionResidents: number;
  readonly cachedResidents: number;
  /** Requests the server answered before the clock started (warmServer). */
  readonly warmupRequests: number;
  readonly seconds: number;
}

/** "t1.<id>.<expiresAt>.<22-character MAC>": 45 bytes for 8-digit ids; room to spare. */
export const TOKEN_WIDTH = 48;
const CACHE_BATCH = 5_000;

export async function prepareCity(
  stack: Stack,
  options: { readonly seed: number; readonly residents: number; readonly prior: Pick<PriorModel, 'sessions' | 'cache'> },
): Promise<PreparedCity> {
  const started = performance.now();
  const { seed, residents, prior } = options;
  const config = stack.server.config;
  const holders = priorHolders(seed, residents, prior);
  const signer = new Signer(config.secret);

  const tokens = new SharedArrayBuffer(residents * TOKEN_WIDTH);
  const bytes = Buffer.from(tokens);
  const expiresAt = Math.floor(Date.now() / 1000) + config.tokenTtlS;
  for (let i = 0; i < residents; i++) {
    if (!holds(holders.sessions, i)) continue;
    const token = issueToken(signer, i, expiresAt);
    if (token.length >= TOKEN_WIDTH) throw new Error(`a session token is ${token.length} bytes, more than its ${TOKEN_WIDTH}-byte slot`);
    bytes.write(token, i * TOKEN_WIDTH, 'latin1');
  }

  const cached: number[] = [];
  for (let i = 0; i < residents; i++) if (holds(holders.cached, i)) cached.push(i);
  if (cached.length > 0) await warmCache(stack, signer, cached);

  const issue = staffIssuer(config);
  const staff = cityStaff(siteCount(residents, RESIDENTS_PER_SITE), issue);
  const warmed = await warmServer(stack.url, tokens, cached, issue);
  return {
    sessions: { tokens, width: TOKEN_WIDTH },
    staff,
    sessionResidents: holders.sessionCount,
    cachedResidents: holders.cachedCount,
    warmupRequests: warmed,
    seconds: (performance.now() - started) / 1000,
  };
}

const WARM_REQUESTS = 1_500;
const WARM_CONCURRENCY = 16;

/**
 * The server had been up all night: before the clock starts it answers some of the morning's
 * requests (codes of cached residents, and a checkpoint verifying each), so that second 0 meets
 * a warmed process — its compiled code, its connections — not one that started a moment ago.
 */
async function warmServer(url: string, tokens: SharedArrayBuffer, cached: readonly number[], issue: IssueStaff): Promise<number> {
  const sessions = { tokens, width: TOKEN_WIDTH };
  const gate = { 'content-type': 'application/json', authorization: `Bearer ${issue('checkpoint', 'warm-up')}` };
  const who = cached.slice(0, WARM_REQUESTS);
  let next = 0;
  let done = 0;
  const one = async (index: number): Promise<void> => {
    const token = priorToken(sessions, index);
    if (token === undefined) return;
    const code = await fetch(`${url}/api/v1/code`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5_000) });
    const body = (await code.json()) as { qr?: { payload?: string } };
    done++;
    if (body.qr?.payload === undefined) return;
    const verify = await fetch(`${url}/api/v1/checkpoints/verify`, {
      method: 'POST',
      headers: gate,
      body: JSON.stringify({ qr: body.qr.payload, checkpoint: 'warm-up', kind: 'checkpoint' }),
      signal: AbortSignal.timeout(5_000),
    });
    await verify.arrayBuffer();
    done++;
  };
  await Promise.all(
    Array.from({ length: WARM_CONCURRENCY }, async () => {
      while (next < who.length) await one(who[next++]!).catch(() => {});
    }),
  );
  return done;
}

/** Each chosen resident's code, read from Postgres and written as the server would cache it. */
async function warmCache(stack: Stack, signer: Signer, ids: readonly number[]): Promise<void> {
  const config = stack.server.config;
  // The entries as this profile writes them; but no command timeout: a burst of writes may queue.
  const cache = new CodeCache(stack.redis.url, { ...config.resilience, redisCommandTimeoutMs: 0 }, signer);
  const db = new pg.Client({ connectionString: stack.postgres.url });
  // Postgres stopped under it (a signal's teardown) fails the query in flight; unheard, the
  // connection's 'error' event would also end the process before the teardown is done.
  db.on('error', () => {});
  await db.connect();
  try {
    for (let at = 0; at < ids.length; at += CACHE_BATCH) {
      const batch = ids.slice(at, at + CACHE_BATCH);
      const { rows } = await db.query<CodeRow & { id: number }>(CODES_OF_RESIDENTS, [batch]);
      const freshUntil = Date.now() + config.resilience.cacheTtlS * 1000;
      await Promise.all(rows.map((row) => cache.set(codeRecord(row.id, row, freshUntil))));
    }
  } finally {
    await db.end();
    await cache.close();
  }
}
