/**
 * A sample's binding, both ways the server can run it (`oneTripSampleBind`): statement by
 * statement from the server (fragile) and as one call to the database function bind_sample()
 * (hardened). Each case runs against a real stack of each setting and must give the same answer
 * and leave the same rows: a member added once, the 11th refused, a closed tube refused, a tube
 * of another site refused, never more than 10 members under a race, one audit row per binding.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type ApiResponse, type TestStack } from '../helpers/stack.js';

describe.each([false, true])('oneTripSampleBind=%s', (oneTrip) => {
  let t: TestStack;
  let cursor = 0;
  let tubes = 0;
  const run = `${Date.now().toString(36)}-${oneTrip ? 'one' : 'each'}`;
  const newTube = (label: string): string => `${label}-${run}-${++tubes}`;

  beforeAll(async () => {
    t = await startTestStack({ residents: 400, seed: 77, resilience: { oneTripSampleBind: oneTrip } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const qrOf = async (index: number): Promise<string> => {
    const res = await t.request('GET', '/api/v1/code', { token: await t.signIn(index) });
    expect(res.status, res.text).toBe(200);
    return res.json.qr.payload;
  };
  const fresh = (): number => cursor++;
  const scan = (tube: string, qr: string, site = 'site-1'): Promise<ApiResponse> =>
    t.request('POST', '/api/v1/samples/scan', { body: { tube, site, table: 3, qr }, token: t.staff('sampler', site, 'lab-a') });
  const manual = (tube: string, index: number): Promise<ApiResponse> =>
    t.request('POST', '/api/v1/samples/manual', { body: { tube, site: 'site-1', table: 3, idNumber: t.people.identity(index).idNumber }, token: t.staff('sampler', 'site-1', 'lab-a') });
  const rows = async <R extends pg.QueryResultRow>(sql: string, values: unknown[]): Promise<R[]> => {
    const client = new pg.Client({ connectionString: t.stack.postgres.url });
    await client.connect();
    try {
      return (await client.query<R>(sql, values)).rows;
    } finally {
      await client.end();
    }
  };

  it('adds a person once, by scan and by typed ID number, with one audit row each', async () => {
    const tube = newTube('ONCE');
    const scanned = fresh();
    const qr = await qrOf(scanned);
    expect((await scan(tube, qr)).json).toEqual({ tube, members: 1, added: true });
    const again = await scan(tube, qr);
    expect(again.status, again.text).toBe(200);
    expect(again.json).toEqual({ tube, members: 1, added: false });
    const typed = fresh();
    const m = await manual(tube, typed);
    expect(m.status, m.text).toBe(201);
    expect(m.json).toEqual({ tube, members: 2, added: true });
    expect(await rows('SELECT resident_id, method FROM samples WHERE tube_id = $1 ORDER BY method', [tube])).toEqual([
      { resident_id: typed, method: 'manual' },
      { resident_id: scanned, method: 'scan' },
    ]);
    expect(await rows('SELECT role, scope, action FROM audit WHERE subject LIKE $1 ORDER BY action', [`${tube}:%`])).toEqual([
      { role: 'sampler', scope: 'site-1', action: 'sample.manual' },
      { role: 'sampler', scope: 'site-1', action: 'sample.scan' },
    ]);
    expect(await rows('SELECT site, table_no, lab FROM tubes WHERE id = $1', [tube])).toEqual([{ site: 'site-1', table_no: 3, lab: 'lab-a' }]);
  });

  it('refuses the 11th person (409 TUBE_FULL), still knows the 10, and writes nothing for the refusal', async () => {
    const tube = newTube('FULL');
    const qrs = await Promise.all(Array.from({ length: 11 }, () => qrOf(fresh())));
    for (let i = 0; i < 10; i++) expect((await scan(tube, qrs[i]!)).json.members).toBe(i + 1);
    const full = await scan(tube, qrs[10]!);
    expect(full.status, full.text).toBe(409);
    expect(full.json.error.code).toBe('TUBE_FULL');
    expect((await scan(tube, qrs[4]!)).json).toEqual({ tube, members: 10, added: false });
    expect(await rows('SELECT count(*)::int AS n FROM audit WHERE subject LIKE $1', [`${tube}:%`])).toEqual([{ n: 10 }]);
  });

  it('refuses a tube with a result (409 TUBE_CLOSED) and a tube opened at another site (403)', async () => {
    const tube = newTube('SHUT');
    expect((await scan(tube, await qrOf(fresh()))).status).toBe(201);
    const reported = await t.request('POST', '/api/v1/lab/results', { body: { tube, result: 'negative', lab: 'lab-a' }, token: t.staff('lab', 'lab-a') });
    expect(reported.status, reported.text).toBe(200);
    const closed = await scan(tube, await qrOf(fresh()));
    expect(closed.status, closed.text).toBe(409);
    expect(closed.json.error.code).toBe('TUBE_CLOSED');
    const typed = await manual(tube, fresh());
    expect(typed.json.error.code).toBe('TUBE_CLOSED');
    // The manual path's own row goes with its transaction.
    expect(await rows('SELECT count(*)::int AS n FROM manual_entries WHERE tube_id = $1', [tube])).toEqual([{ n: 0 }]);

    const elsewhere = newTube('SITE');
    expect((await scan(elsewhere, await qrOf(fresh()), 'site-2')).status).toBe(201);
    const refused = await scan(elsewhere, await qrOf(fresh()));
    expect(refused.status, refused.text).toBe(403);
    expect(await rows('SELECT count(*)::int AS n FROM samples WHERE tube_id = $1', [elsewhere])).toEqual([{ n: 1 }]);
  });

  it('never overfills a tube with one place left when four people are scanned into it at once', async () => {
    for (let trial = 0; trial < 4; trial++) {
      const tube = newTube('RACE');
      for (let i = 0; i < 9; i++) expect((await scan(tube, await qrOf(fresh()))).status).toBe(201);
      const qrs = await Promise.all([0, 1, 2, 3].map(() => qrOf(fresh())));
      const results = await Promise.all(qrs.map((qr) => scan(tube, qr)));
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
      expect(await rows('SELECT count(*)::int AS n FROM samples WHERE tube_id = $1', [tube])).toEqual([{ n: 10 }]);
    }
  });
});
