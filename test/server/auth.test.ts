/**
 * Who may call what, against a real stack (hardened; fragile for the sign-in budget): every
 * staff endpoint × {no credential, not a bearer, forged, expired, a resident's token, each wrong
 * role, another site or lab, the right role}. Each refusal has its status and stable code, and
 * wrote nothing: the rows of every table a staff write touches are counted before and after,
 * and the codes' versions summed. The right role then succeeds and leaves its audit row.
 *
 * Also: the per-ID sign-in budget (hardened limits, fragile does not), and /metrics, which is
 * no longer on the public port but on the primary's own 127.0.0.1 port.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ERRORS, type ApiErrorCode } from '../../src/server/errors.js';
import type { StaffRole } from '../../src/server/staff.js';
import { staffIssuer } from '../../src/stack/staff.js';
import { startTestStack, type ApiResponse, type TestStack } from '../helpers/stack.js';

let t: TestStack;
let db: pg.Client;
const RUN = Date.now().toString(36);
let tubes = 0;
const newTube = (label: string): string => `${label}-${RUN}-${++tubes}`;

beforeAll(async () => {
  t = await startTestStack({ residents: 1_000, seed: 4242 });
  db = new pg.Client({ connectionString: t.stack.postgres.url });
  await db.connect();
});

afterAll(async () => {
  await db?.end();
  await t?.stop();
});

/** Everything a staff write could change. */
async function written(): Promise<Record<string, number>> {
  const { rows } = await db.query<Record<string, number>>(
    `SELECT (SELECT count(*) FROM tubes)::int AS tubes,
            (SELECT count(*) FROM tubes WHERE result IS NOT NULL)::int AS results,
            (SELECT count(*) FROM samples)::int AS samples,
            (SELECT count(*) FROM manual_entries)::int AS manual_entries,
            (SELECT count(*) FROM checkpoint_scans)::int AS checkpoint_scans,
            (SELECT count(*) FROM audit)::int AS audit,
            (SELECT count(*) FROM health_codes)::int AS codes,
            (SELECT coalesce(sum(version), 0) FROM health_codes)::int AS versions`,
  );
  return rows[0] ?? {};
}

function expectError(res: ApiResponse, status: number, code: ApiErrorCode, what: string): void {
  expect(API_ERRORS[code]).toBe(status);
  expect({ status: res.status, body: res.json }, what).toEqual({ status, body: { error: { code, message: expect.any(String) } } });
}

async function qrOf(index: number): Promise<string> {
  const res = await t.request('GET', '/api/v1/code', { token: await t.signIn(index) });
  expect(res.status, res.text).toBe(200);
  return res.json.qr.payload as string;
}

const flipMac = (token: string): string => {
  const at = token.length - 5;
  return token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
};

interface Endpoint {
  readonly name: string;
  readonly path: string;
  readonly role: StaffRole;
  /** The right credential and a body it may send. */
  readonly right: () => { token: string; body: Record<string, unknown> };
  /** Another site's or lab's credential, each with the body it tries; all FORBIDDEN_SCOPE. */
  readonly elsewhere: () => { what: string; token: string; body: Record<string, unknown> }[];
  /** Status of the right role's answer. */
  readonly ok: number;
}

describe('the auth matrix: every staff endpoint × every kind of credential', () => {
  // Site A sends its tubes to lab A; site B to lab B. A tube opened at site A, with one member,
  // is what the labs try to report.
  let qr: string;
  let idNumber: string;
  let tubeA: string;
  const sampler = (site: string, lab: string): string => t.staff('sampler', site, lab);
  const tokens = () => ({
    sampler: sampler('site-A', 'lab-A'),
    lab: t.staff('lab', 'lab-A'),
    checkpoint: t.staff('checkpoint', 'gate-A'),
  });

  beforeAll(async () => {
    qr = await qrOf(1);
    idNumber = t.people.identity(2).idNumber;
    tubeA = newTube('AUTH-A');
    const opened = await t.request('POST', '/api/v1/samples/manual', {
      token: sampler('site-A', 'lab-A'),
      body: { tube: tubeA, site: 'site-A', table: 1, idNumber: t.people.identity(3).idNumber },
    });
    expect(opened.status, opened.text).toBe(201);
  });

  const endpoints: Endpoint[] = [
    {
      name: 'POST /api/v1/samples/scan',
      path: '/api/v1/samples/scan',
      role: 'sampler',
      ok: 201,
      right: () => ({ token: tokens().sampler, body: { tube: newTube('SCAN'), site: 'site-A', table: 1, qr } }),
      elsewhere: () => [
        { what: "a body for site A with site B's token", token: sampler('site-B', 'lab-B'), body: { tube: newTube('SCAN'), site: 'site-A', table: 1, qr } },
        { what: 'site B binding into a tube opened at site A', token: sampler('site-B', 'lab-B'), body: { tube: tubeA, site: 'site-B', table: 1, qr } },
      ],
    },
    {
      name: 'POST /api/v1/samples/manual',
      path: '/api/v1/samples/manual',
      role: 'sampler',
      ok: 201,
      right: () => ({ token: tokens().sampler, body: { tube: newTube('MAN'), site: 'site-A', table: 1, idNumber } }),
      elsewhere: () => [
        { what: "a body for site A with site B's token", token: sampler('site-B', 'lab-B'), body: { tube: newTube('MAN'), site: 'site-A', table: 1, idNumber } },
        { what: 'site B binding into a tube opened at site A', token: sampler('site-B', 'lab-B'), body: { tube: tubeA, site: 'site-B', table: 1, idNumber } },
      ],
    },
    {
      name: 'POST /api/v1/lab/results',
      path: '/api/v1/lab/results',
      role: 'lab',
      ok: 200,
      right: () => ({ token: tokens().lab, body: { tube: tubeA, result: 'positive', lab: 'lab-A' } }),
      elsewhere: () => [
        { what: "lab B reporting as lab A", token: t.staff('lab', 'lab-B'), body: { tube: tubeA, result: 'positive', lab: 'lab-A' } },
        { what: 'lab B reporting a tube routed to lab A', token: t.staff('lab', 'lab-B'), body: { tube: tubeA, result: 'positive', lab: 'lab-B' } },
      ],
    },
    {
      name: 'POST /api/v1/checkpoints/verify',
      path: '/api/v1/checkpoints/verify',
      role: 'checkpoint',
      ok: 200,
      right: () => ({ token: tokens().checkpoint, body: { qr, checkpoint: 'gate-A', kind: 'metro' } }),
      elsewhere: () => [{ what: "a scan for gate A with gate B's token", token: t.staff('checkpoint', 'gate-B'), body: { qr, checkpoint: 'gate-A', kind: 'metro' } }],
    },
  ];

  for (const e of endpoints) {
    describe(e.name, () => {
      const refuse = async (what: string, headers: Record<string, string>, body: Record<string, unknown>, status: number, code: ApiErrorCode): Promise<void> => {
        const before = await written();
        const res = await t.request('POST', e.path, { headers, body });
        expectError(res, status, code, `${e.name}, ${what}`);
        expect(await written(), `${e.name}, ${what}: nothing written`).toEqual(before);
      };
      const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

      it('no credential, or not a bearer → 401 AUTH_REQUIRED', async () => {
        const { body } = e.right();
        await refuse('no credential', {}, body, 401, 'AUTH_REQUIRED');
        await refuse('empty header', { authorization: '' }, body, 401, 'AUTH_REQUIRED');
        await refuse('Basic', { authorization: 'Basic c2FtcGxlcjpzZWNyZXQ=' }, body, 401, 'AUTH_REQUIRED');
        await refuse('a bare token', { authorization: e.right().token }, body, 401, 'AUTH_REQUIRED');
      });

      it('forged, altered, expired, another server\'s or a resident\'s token → 401 AUTH_INVALID', async () => {
        const { token, body } = e.right();
        const fields = token.split('.');
        const otherRole = e.role === 'lab' ? 'sampler' : 'lab';
        const expired = staffIssuer(t.stack.server.config, Date.now() - 2 * t.stack.server.config.tokenTtlS * 1000)(e.role, fields[2] ?? '', e.role === 'sampler' ? fields[3] : undefined);
        const foreign = staffIssuer({ secret: 'ab'.repeat(32), tokenTtlS: 3600 })(e.role, fields[2] ?? '', e.role === 'sampler' ? fields[3] : undefined);
        const cases: [string, string][] = [
          ['MAC flipped', flipMac(token)],
          ['role swapped, MAC kept', [fields[0], otherRole, ...fields.slice(2)].join('.')],
          ['expiry extended, MAC kept', [...fields.slice(0, 4), String(Number(fields[4]) + 86_400), fields[5]].join('.')],
          ['expired', expired],
          ['signed by another secret', foreign],
          ['made up', `s1.${e.role}.x.-.9999999999.AAAAAAAAAAAAAAAAAAAAAA`],
          ["a resident's session token", await t.signIn(10)],
          ['garbage', 'garbage'],
        ];
        for (const [what, bad] of cases) await refuse(what, bearer(bad), body, 401, 'AUTH_INVALID');
      });

      it('every other role → 403 FORBIDDEN_ROLE', async () => {
        const { body } = e.right();
        const all = tokens();
        for (const role of ['sampler', 'lab', 'checkpoint'] as const) {
          if (role === e.role) continue;
          await refuse(`a ${role}'s token`, bearer(all[role]), body, 403, 'FORBIDDEN_ROLE');
        }
      });

      it('another site, lab or gate → 403 FORBIDDEN_SCOPE', async () => {
        for (const { what, token, body } of e.elsewhere()) await refuse(what, bearer(token), body, 403, 'FORBIDDEN_SCOPE');
      });

      it(`the right role and scope → ${e.ok}, with its record written`, async () => {
        const before = await written();
        const { token, body } = e.right();
        const res = await t.request('POST', e.path, { token, body });
        expect(res.status, res.text).toBe(e.ok);
        const after = await written();
        if (e.role === 'checkpoint') {
          expect(after.checkpoint_scans).toBe((before.checkpoint_scans ?? 0) + 1);
          const { rows } = await db.query<{ checkpoint: string }>('SELECT checkpoint FROM checkpoint_scans ORDER BY id DESC LIMIT 1');
          expect(rows[0]?.checkpoint).toBe('gate-A');
        } else {
          expect(after.audit).toBe((before.audit ?? 0) + 1);
          const { rows } = await db.query<{ role: string; scope: string; action: string; subject: string }>('SELECT role, scope, action, subject FROM audit ORDER BY id DESC LIMIT 1');
          const scope = e.role === 'lab' ? 'lab-A' : 'site-A';
          expect(rows[0]).toMatchObject({ role: e.role, scope, action: e.role === 'lab' ? 'lab.positive' : e.path.endsWith('scan') ? 'sample.scan' : 'sample.manual' });
          expect(rows[0]?.subject).toContain(String(body['tube']));
        }
      });
    });
  }

  it('a tube is routed to the lab its sampler\'s site sends to', async () => {
    const tube = newTube('ROUTE');
    expect((await t.request('POST', '/api/v1/samples/manual', { token: sampler('site-C', 'lab-C'), body: { tube, site: 'site-C', table: 2, idNumber: t.people.identity(4).idNumber } })).status).toBe(201);
    const { rows } = await db.query<{ lab: string; site: string }>('SELECT lab, site FROM tubes WHERE id = $1', [tube]);
    expect(rows[0]).toEqual({ lab: 'lab-C', site: 'site-C' });
    expectError(await t.request('POST', '/api/v1/lab/results', { token: t.staff('lab', 'lab-A'), body: { tube, result: 'negative', lab: 'lab-A' } }), 403, 'FORBIDDEN_SCOPE', 'lab A, tube of lab C');
    expect((await t.request('POST', '/api/v1/lab/results', { token: t.staff('lab', 'lab-C'), body: { tube, result: 'negative', lab: 'lab-C' } })).status).toBe(200);
  });
});

describe('the sign-in budget per ID number', () => {
  const signIn = (s: TestStack, index: number, phone?: string) => {
    const who = s.people.identity(index);
    return s.request('POST', '/api/v1/session', { body: { idNumber: who.idNumber, phone: phone ?? who.phone } });
  };

  it(`hardened: ${10} attempts pass (wrong phones count), the next is 429 SIGN_IN_LIMITED with Retry-After; another ID still signs in`, async () => {
    const { signInBurst, signInRefillS } = t.stack.server.config.resilience;
    expect(signInBurst).toBe(10);
    expect(signInRefillS).toBe(30);
    expect((await signIn(t, 500, '13000000000')).status).toBe(401); // a mistyped phone spends one too
    for (let i = 1; i < signInBurst; i++) {
      const res = await signIn(t, 500);
      expect(res.status, `attempt ${i + 1}: ${res.text}`).toBe(201);
    }
    const limited = await signIn(t, 500);
    expectError(limited, 429, 'SIGN_IN_LIMITED', 'attempt 11');
    expect(limited.headers.get('retry-after')).toBe('30');
    // Refused before the phone is checked: the right phone does not help, a wrong one learns nothing.
    expectError(await signIn(t, 500, '13000000000'), 429, 'SIGN_IN_LIMITED', 'attempt 12, wrong phone');
    expect((await signIn(t, 501)).status).toBe(201);
  });

  describe('fragile', () => {
    let fragile: TestStack;
    beforeAll(async () => {
      fragile = await startTestStack({ profile: 'fragile', residents: 100, seed: 7 });
    });
    afterAll(async () => {
      await fragile?.stop();
    });

    it('no budget: 30 sign-ins for one ID number in a row all succeed', async () => {
      expect(fragile.stack.server.config.resilience.signInBurst).toBe(0);
      for (let i = 0; i < 30; i++) {
        const res = await signIn(fragile, 5);
        expect(res.status, `attempt ${i + 1}: ${res.text}`).toBe(201);
      }
    });
  });
});

describe('/metrics', () => {
  it('is not served on the public port', async () => {
    const res = await t.request('GET', '/metrics');
    expectError(res, 404, 'NOT_FOUND', 'GET /metrics on the API port');
    expect(res.text).not.toMatch(/cache_requests_total/);
  });

  it("is served, over all workers, on the primary's own port on 127.0.0.1 (the harness scrapes it there)", async () => {
    const url = new URL(t.stack.metricsUrl ?? 'http://missing');
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.port).not.toBe(new URL(t.stack.url).port);
    const text = await t.metrics();
    expect(text).toMatch(/^# TYPE http_request_duration_seconds histogram/m);
    expect(text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/samples\/manual"/);
    expect((await fetch(new URL('/other', url))).status).toBe(404);
  });
});
