// Long because: every route against one real stack, which takes seconds to start: one file keeps it to one start.
/**
 * The reference server's HTTP API, endpoint by endpoint, against a real stack (embedded
 * Postgres, redis-server, Toxiproxy, the compiled server as a child process) in the hardened
 * profile: each happy path, and each bad input with its status AND its error body
 * {error:{code,message}} with the specific code from src/server/errors.ts.
 *
 * One stack serves the whole file. Tests never share residents or tubes: `fresh()` hands out
 * residents nobody else used, from compounds no lab result in this file turns yellow, and every
 * tube id is unique to its test.
 */
import http from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCharacter } from '../../sim/identity/gb11643.js';
import { API_ERRORS, type ApiErrorCode } from '../../src/server/errors.js';
import { startTestStack, type ApiResponse, type RequestOptions, type TestStack } from '../helpers/stack.js';

const RESIDENTS = 5_000;
const SEED = 1234;

let t: TestStack;
/** Residents by compound, from the same generator the seeder used. */
const byCompound = new Map<number, number[]>();
/** Compounds whose codes this file turns yellow on purpose; fresh() never hands out their people. */
let positiveCompound = -1;
let checkpointCompound = -1;
const used = new Set<number>();
let cursor = 0;

beforeAll(async () => {
  t = await startTestStack({ residents: RESIDENTS, seed: SEED });
  for (let i = 0; i < RESIDENTS; i++) {
    const c = t.people.compoundOf(i);
    const list = byCompound.get(c) ?? [];
    list.push(i);
    byCompound.set(c, list);
  }
  positiveCompound = t.people.compoundOf(0);
  checkpointCompound = t.people.compoundOf(RESIDENTS - 1);
  expect(positiveCompound).not.toBe(checkpointCompound);
});

afterAll(async () => {
  await t?.stop();
});

/** A resident index no other test has used, outside the compounds this file turns yellow. */
function fresh(): number {
  while (cursor < RESIDENTS) {
    const i = cursor++;
    const c = t.people.compoundOf(i);
    if (c === positiveCompound || c === checkpointCompound || used.has(i)) continue;
    used.add(i);
    return i;
  }
  throw new Error('ran out of fresh residents');
}

/** Takes `n` unused residents of one compound. */
function fromCompound(compound: number, n: number): number[] {
  const out = (byCompound.get(compound) ?? []).filter((i) => !used.has(i)).slice(0, n);
  if (out.length < n) throw new Error(`compound ${compound} has fewer than ${n} unused residents`);
  for (const i of out) used.add(i);
  return out;
}

let tubeCounter = 0;
const RUN = Date.now().toString(36);
const newTube = (label: string): string => `${label}-${RUN}-${++tubeCounter}`;

const req = (method: string, path: string, options?: RequestOptions): Promise<ApiResponse> => t.request(method, path, options);
const post = (path: string, body: unknown, options: RequestOptions = {}): Promise<ApiResponse> => req('POST', path, { ...options, body });

type Answer = Pick<ApiResponse, 'status' | 'text' | 'json'>;

/** Status, and the body is exactly {error:{code,message}} with that code. */
function expectError(res: Answer, status: number, code: ApiErrorCode): void {
  expect(API_ERRORS[code]).toBe(status);
  expect(res.status, res.text).toBe(status);
  expect(res.json, res.text).toEqual({ error: { code, message: expect.any(String) } });
  expect((res.json.error.message as string).length).toBeGreaterThan(0);
}

/** A 4xx of any code, still in the error shape. */
function expectClientError(res: Answer): void {
  expect(res.status, res.text).toBeGreaterThanOrEqual(400);
  expect(res.status, res.text).toBeLessThan(500);
  expect(res.json, res.text).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
  expect(res.json.error.code in API_ERRORS, res.text).toBe(true);
}

async function tokenOf(index: number): Promise<string> {
  return t.signIn(index);
}

async function codeOf(index: number): Promise<{ colour: string; version: number; reason: string; qr: { payload: string; expiresAt: string } }> {
  const res = await req('GET', '/api/v1/code', { token: await tokenOf(index) });
  expect(res.status, res.text).toBe(200);
  return res.json;
}

async function qrOf(index: number): Promise<string> {
  return (await codeOf(index)).qr.payload;
}

/** Staff credentials for the one site, its lab and one gate this file uses (the auth matrix is test/server/auth.test.ts). */
const asSampler = (): RequestOptions => ({ token: t.staff('sampler', 'site-1', 'lab-a') });
const asLab = (): RequestOptions => ({ token: t.staff('lab', 'lab-a') });
const asGate = (): RequestOptions => ({ token: t.staff('checkpoint', 'metro-line2-gate4') });

const scan = (tube: string, qr: string, extra: Record<string, unknown> = {}): Promise<ApiResponse> =>
  post('/api/v1/samples/scan', { tube, site: 'site-1', table: 7, qr, ...extra }, asSampler());

const manual = (tube: string, idNumber: unknown, extra: Record<string, unknown> = {}): Promise<ApiResponse> =>
  post('/api/v1/samples/manual', { tube, site: 'site-1', table: 7, idNumber, ...extra }, asSampler());

const report = (tube: string, result: string, extra: Record<string, unknown> = {}): Promise<ApiResponse> =>
  post('/api/v1/lab/results', { tube, result, lab: 'lab-a', ...extra }, asLab());

const verify = (qr: string, extra: Record<string, unknown> = {}): Promise<ApiResponse> =>
  post('/api/v1/checkpoints/verify', { qr, checkpoint: 'metro-line2-gate4', kind: 'metro', ...extra }, asGate());

/** An ID number with the right check character for its first 17 digits. */
const withCheck = (first17: string): string => first17 + checkCharacter(first17);

/** Replaces character `at` of `s` with a different one from `alphabet`. */
function flipChar(s: string, at: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'): string {
  const old = s.charAt(at);
  const replacement = alphabet.split('').find((c) => c !== old) ?? 'A';
  return s.slice(0, at) + replacement + s.slice(at + 1);
}

/** The MAC is the last dot-separated field; flip a character in its middle (every bit there counts). */
function flipMac(signed: string): string {
  const cut = signed.lastIndexOf('.');
  return flipChar(signed, cut + 1 + 5);
}

function withField(signed: string, field: number, value: string): string {
  const parts = signed.split('.');
  parts[field] = value;
  return parts.join('.');
}

/** One raw HTTP request: for what fetch would normalise or refuse (bad URLs, odd methods). */
function raw(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const url = new URL(t.stack.url);
  return new Promise((resolve, reject) => {
    const h: Record<string, string | number> = { ...headers };
    if (body !== undefined) h['content-length'] = Buffer.byteLength(body);
    const request = http.request({ host: url.hostname, port: url.port, method, path, headers: h, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, text, json });
      });
    });
    request.on('error', reject);
    request.setTimeout(20_000, () => request.destroy(new Error('timeout')));
    if (body !== undefined) request.write(body);
    request.end();
  });
}

async function withDb<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: t.stack.postgres.url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------

describe('POST /api/v1/session', () => {
  it('201 with a bearer token for a seeded resident', async () => {
    const who = t.people.identity(fresh());
    const res = await post('/api/v1/session', { idNumber: who.idNumber, phone: who.phone });
    expect(res.status, res.text).toBe(201);
    expect(res.json.token).toMatch(/^t1\.\d+\.\d+\.[A-Za-z0-9_-]{22}$/);
    expect(res.json.token.split('.')[1]).toBe(String(who.index));
    expect(Date.parse(res.json.expiresAt)).toBeGreaterThan(Date.now());
    // The token works.
    const code = await req('GET', '/api/v1/code', { token: res.json.token });
    expect(code.status, code.text).toBe(200);
  });

  it('wrong phone → 401 CREDENTIALS_REJECTED', async () => {
    const who = t.people.identity(fresh());
    const other = t.people.identity(fresh());
    expectError(await post('/api/v1/session', { idNumber: who.idNumber, phone: other.phone }), 401, 'CREDENTIALS_REJECTED');
    const wrong = who.phone.slice(0, 10) + String((Number(who.phone.at(-1)) + 1) % 10);
    expectError(await post('/api/v1/session', { idNumber: who.idNumber, phone: wrong }), 401, 'CREDENTIALS_REJECTED');
  });

  it('ID with a wrong check character → 400 ID_NUMBER_INVALID', async () => {
    const who = t.people.identity(fresh());
    const right = who.idNumber.charAt(17);
    const wrongCheck = '10X98765432'.split('').find((c) => c !== right) ?? '1';
    const res = await post('/api/v1/session', { idNumber: who.idNumber.slice(0, 17) + wrongCheck, phone: who.phone });
    expectError(res, 400, 'ID_NUMBER_INVALID');
    expect(res.json.error.message).toMatch(/check/);
    // Lower-case x is not a check character either.
    expectError(await post('/api/v1/session', { idNumber: '11010519491231002x', phone: who.phone }), 400, 'ID_NUMBER_INVALID');
  });

  it('ID with an impossible birth date → 400 ID_NUMBER_INVALID', async () => {
    for (const first17 of ['61010219990230001', '61010219991301001', '61010220010229001', '61010230000101001', '61010218991231001']) {
      const res = await post('/api/v1/session', { idNumber: withCheck(first17), phone: '13000000000' });
      expectError(res, 400, 'ID_NUMBER_INVALID');
      expect(res.json.error.message).toMatch(/date/);
    }
  });

  it('ID with an unknown region (999999…) → 400 ID_NUMBER_INVALID', async () => {
    const res = await post('/api/v1/session', { idNumber: withCheck('99999919800101001'), phone: '13000000000' });
    expectError(res, 400, 'ID_NUMBER_INVALID');
    expect(res.json.error.message).toMatch(/region/);
  });

  it('ID with the wrong length or characters → 400 ID_NUMBER_INVALID', async () => {
    for (const idNumber of ['', '6101021980010100', '6101021980010100123', '61010219800101A01X', '６１０１０２１９８００１０１００１Ｘ']) {
      const res = await post('/api/v1/session', { idNumber, phone: '13000000000' });
      // The empty string is refused by the schema (minLength 1) before the ID check.
      if (idNumber === '') expectError(res, 400, 'BAD_REQUEST');
      else expectError(res, 400, 'ID_NUMBER_INVALID');
    }
  });

  it('a valid-format ID number of nobody → 401 CREDENTIALS_REJECTED', async () => {
    // 610125 is a retired region code (Huxian): valid on old cards, but no seeded resident has it.
    const idNumber = withCheck('61012519800101001');
    for (let i = 0; i < RESIDENTS; i++) expect(t.people.identity(i).idNumber).not.toBe(idNumber);
    expectError(await post('/api/v1/session', { idNumber, phone: '13912345678' }), 401, 'CREDENTIALS_REJECTED');
  });

  it('missing field, extra field or wrong type → 400 BAD_REQUEST', async () => {
    const who = t.people.identity(fresh());
    const bodies: unknown[] = [
      { idNumber: who.idNumber },
      { phone: who.phone },
      {},
      { idNumber: who.idNumber, phone: who.phone, admin: true },
      { idNumber: who.idNumber, phone: Number(who.phone) },
      { idNumber: Number(who.idNumber.slice(0, 17)), phone: who.phone },
      { idNumber: [who.idNumber], phone: who.phone },
      { idNumber: null, phone: who.phone },
      { idNumber: who.idNumber, phone: '+8613000000000' },
      [who.idNumber, who.phone],
      'just a string',
      42,
      null,
    ];
    for (const body of bodies) {
      const res = await post('/api/v1/session', JSON.stringify(body));
      expectError(res, 400, 'BAD_REQUEST');
    }
  });

  it('broken JSON → 400 INVALID_JSON', async () => {
    for (const body of ['{"idNumber":', '{idNumber: "x"}', "{'a':1}", '{"a":1,}', '\u0000', '{"__proto__":{"x":1}}']) {
      expectError(await post('/api/v1/session', body), 400, 'INVALID_JSON');
    }
    // An empty body with a JSON content type.
    expectError(await raw('POST', '/api/v1/session', { 'content-type': 'application/json' }, ''), 400, 'INVALID_JSON');
  });

  it('SQL-looking strings are data: 4xx, never 5xx, and the residents table is intact', async () => {
    const who = t.people.identity(fresh());
    const attacks = [
      "' OR 1=1 --",
      "1' OR '1'='1' --xx", // exactly 18 characters: past the length check
      "'; DROP TABLE residents; --",
      '610102"; DELETE FROM residents; --',
      "61010219800101001' OR ''='",
      '\\x27 OR 1=1',
    ];
    for (const attack of attacks) {
      const asId = await post('/api/v1/session', { idNumber: attack, phone: who.phone });
      expect(asId.status, `${attack}: ${asId.text}`).toBeLessThan(500);
      expectClientError(asId);
      expect(asId.json.error.code).toMatch(/^(ID_NUMBER_INVALID|BAD_REQUEST)$/);
      const asPhone = await post('/api/v1/session', { idNumber: who.idNumber, phone: attack });
      expectError(asPhone, 400, 'BAD_REQUEST');
      const asManual = await manual(newTube('SQL'), attack);
      expect(asManual.status, asManual.text).toBeLessThan(500);
      expectClientError(asManual);
    }
    const count = await withDb(async (db) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM residents')).rows[0]?.n);
    expect(count).toBe(RESIDENTS);
    const later = await post('/api/v1/session', { idNumber: who.idNumber, phone: who.phone });
    expect(later.status, later.text).toBe(201);
  });
});

// ---------------------------------------------------------------------------------------------

describe('GET /api/v1/code', () => {
  it('200: green, a version, a signed QR payload that expires in the future', async () => {
    const index = fresh();
    const who = t.people.identity(index);
    const res = await req('GET', '/api/v1/code', { token: await tokenOf(index) });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ colour: 'green', version: 0, reason: 'no restriction', stale: false });
    expect(res.json.name).toBe(Array.from(who.name)[0] + '*'.repeat(Array.from(who.name).length - 1));
    expect(res.json.qr.payload).toMatch(new RegExp(`^q1\\.${index}\\.green\\.0\\.\\d+\\.[A-Za-z0-9_-]{22}$`));
    const expiresAt = Date.parse(res.json.qr.expiresAt);
    expect(expiresAt).toBeGreaterThan(Date.now());
    expect(expiresAt).toBeLessThan(Date.now() + 24 * 3600_000);
    expect(Number(res.json.qr.payload.split('.')[4]) * 1000).toBe(expiresAt);
  });

  it('no token → 401 TOKEN_MISSING', async () => {
    expectError(await req('GET', '/api/v1/code'), 401, 'TOKEN_MISSING');
    expectError(await req('GET', '/api/v1/code', { headers: { authorization: '' } }), 401, 'TOKEN_MISSING');
  });

  it('tampered token → 401 TOKEN_INVALID', async () => {
    const index = fresh();
    const token = await tokenOf(index);
    const [, id, exp] = token.split('.');
    const tampered = [
      flipMac(token), // one character of the MAC
      withField(token, 1, String(Number(id) + 1)), // another resident, same MAC
      withField(token, 1, '0'),
      withField(token, 2, String(Number(exp) + 3600)), // a longer life, same MAC
      withField(token, 0, 't2'),
      token.slice(0, token.lastIndexOf('.')), // no MAC
      `${token.slice(0, token.lastIndexOf('.'))}.`, // empty MAC
      token.split('.').slice(0, 3).join('.') + '.AAAAAAAAAAAAAAAAAAAAAA', // a MAC of zeros
      `${token}.extra`,
      (await qrOf(index)), // a QR payload is signed by the same key, but it is not a token
      'not-a-token',
      '.',
    ];
    for (const bad of tampered) {
      const res = await req('GET', '/api/v1/code', { token: bad });
      expect(res.status, bad).toBe(401);
      expectError(res, 401, 'TOKEN_INVALID');
    }
    // The untampered token still works.
    expect((await req('GET', '/api/v1/code', { token })).status).toBe(200);
  });

  it('a token whose MAC was altered only in its encoding is rejected too (signed strings are not malleable)', async () => {
    // Buffer.from(…, 'base64url') skips characters outside the alphabet, accepts '+' and '/' and
    // ignores the unused low bits of the last character, so all of these decode to the real MAC.
    const token = await tokenOf(fresh());
    const mac = token.slice(token.lastIndexOf('.') + 1);
    const body = token.slice(0, token.lastIndexOf('.'));
    const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // 128 bits in 22 characters: the last one carries 2 bits and 4 unused ones.
    const lastAlt = mac.slice(0, -1) + (B64URL[B64URL.indexOf(mac.charAt(21)) ^ 1] ?? 'A');
    const variants = [`${token}!`, `${token}=`, `${body}.${mac.slice(0, 4)}*${mac.slice(4)}`, `${body}.${lastAlt}`];
    const accepted: string[] = [];
    for (const variant of variants) {
      const res = await req('GET', '/api/v1/code', { token: variant });
      expect(res.status, res.text).toBeLessThan(500);
      if (res.status !== 401) accepted.push(`${variant} → ${res.status}`);
    }
    expect(accepted, 'altered tokens that were accepted').toEqual([]);
  });

  it('"Basic xyz" and other non-bearer schemes → 401 TOKEN_INVALID', async () => {
    const token = await tokenOf(fresh());
    for (const authorization of ['Basic xyz', `bearer ${token}`, `Bearer  ${token}`, `Token ${token}`, 'Bearer', 'Bearer ', `Bearer ${token}${'A'.repeat(300)}`]) {
      expectError(await req('GET', '/api/v1/code', { headers: { authorization } }), 401, 'TOKEN_INVALID');
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('POST /api/v1/samples/scan', () => {
  it('201 with members 1; the same person again → 200 added false', async () => {
    const tube = newTube('SCAN');
    const qr = await qrOf(fresh());
    const first = await scan(tube, qr);
    expect(first.status, first.text).toBe(201);
    expect(first.json).toEqual({ tube, members: 1, added: true });
    const again = await scan(tube, qr);
    expect(again.status, again.text).toBe(200);
    expect(again.json).toEqual({ tube, members: 1, added: false });
  });

  it('the 11th distinct person into one tube → 409 TUBE_FULL', async () => {
    const tube = newTube('FULL');
    const qrs: string[] = [];
    for (let i = 0; i < 11; i++) qrs.push(await qrOf(fresh()));
    for (let i = 0; i < 10; i++) {
      const res = await scan(tube, qrs[i] ?? '');
      expect(res.status, res.text).toBe(201);
      expect(res.json.members).toBe(i + 1);
    }
    expectError(await scan(tube, qrs[10] ?? ''), 409, 'TUBE_FULL');
    // Someone already in it is still recognised, not refused.
    const again = await scan(tube, qrs[3] ?? '');
    expect(again.status, again.text).toBe(200);
    expect(again.json).toEqual({ tube, members: 10, added: false });
  });

  it('tampered QR → 400 QR_INVALID', async () => {
    const index = fresh();
    const qr = await qrOf(index);
    const tampered = [
      withField(qr, 2, 'red'), // green → red, MAC kept
      withField(qr, 2, 'yellow'),
      withField(qr, 1, String(index + 1)), // another resident
      withField(qr, 3, '7'), // another version
      withField(qr, 4, String(Number(qr.split('.')[4]) + 86_400)), // a longer life
      flipMac(qr),
      qr.slice(0, qr.lastIndexOf('.')),
      await tokenOf(index), // a token is not a QR
      'q1.1.green.0.9999999999.AAAAAAAAAAAAAAAAAAAAAA',
      'garbage',
    ];
    for (const bad of tampered) {
      const res = await scan(newTube('TAMP'), bad);
      expect(res.status, bad).toBe(400);
      expectError(res, 400, 'QR_INVALID');
    }
  });

  it('bad tube id, site, table or shape → 400 BAD_REQUEST', async () => {
    const qr = await qrOf(fresh());
    const cases: Record<string, unknown>[] = [
      { tube: 'ab1' }, // too short
      { tube: 'x'.repeat(41) }, // too long
      { tube: 'tube 1' },
      { tube: 'tube_1' },
      { tube: 'tube/1' },
      { tube: 'tübe1' },
      { tube: 12345 },
      { table: 0 },
      { table: 100_001 },
      { table: 1.5 },
      { table: '7' },
      { site: '' },
      { site: 'a\u0000b' },
      { site: 'line\nbreak' },
      { site: 's'.repeat(65) },
      { qr: '' },
      { qr: 'q'.repeat(257) },
      { qr: 42 },
      { extra: 'field' },
    ];
    for (const change of cases) {
      const res = await scan(newTube('BADT'), qr, change);
      expect(res.status, JSON.stringify(change)).toBe(400);
      expectError(res, 400, 'BAD_REQUEST');
    }
    const missing = await post('/api/v1/samples/scan', { tube: newTube('MISS'), site: 'site-1', qr }, asSampler());
    expectError(missing, 400, 'BAD_REQUEST');
  });
});

describe('expired QR codes (a second stack with qrTtlS: 1)', () => {
  let short: TestStack;
  beforeAll(async () => {
    short = await startTestStack({ residents: 100, seed: 99, qrTtlS: 1 });
  });
  afterAll(async () => {
    await short?.stop();
  });

  it('a QR past its expiry → 400 QR_EXPIRED at scan and at a checkpoint', async () => {
    const token = await short.signIn(3);
    const code = await short.request('GET', '/api/v1/code', { token });
    expect(code.status, code.text).toBe(200);
    const qr = code.json.qr.payload as string;
    // The server rounds expiry up (to share one signature among refreshes), by a step never
    // longer than the TTL: with a 1 s TTL it is at most 2 s away, not 10 s or the default 300 s.
    const expiresAt = Date.parse(code.json.qr.expiresAt);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(2_000);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 1_100));
    const sampler = short.staff('sampler', 's', 'lab-s');
    const scanned = await short.request('POST', '/api/v1/samples/scan', { body: { tube: 'EXP-0001', site: 's', table: 1, qr }, token: sampler });
    expectError(scanned, 400, 'QR_EXPIRED');
    const verified = await short.request('POST', '/api/v1/checkpoints/verify', { body: { qr, checkpoint: 'gate', kind: 'metro' }, token: short.staff('checkpoint', 'gate') });
    expectError(verified, 400, 'QR_EXPIRED');
    // A fresh QR from the same resident is fine.
    const again = await short.request('GET', '/api/v1/code', { token });
    const ok = await short.request('POST', '/api/v1/samples/scan', { body: { tube: 'EXP-0002', site: 's', table: 1, qr: again.json.qr.payload }, token: sampler });
    expect(ok.status, ok.text).toBe(201);
  });

  it('a QR signed by another server (another secret) → 400 QR_INVALID, and a token likewise → 401', async () => {
    const token = await short.signIn(5);
    const code = await short.request('GET', '/api/v1/code', { token });
    expectError(await scan(newTube('XSRV'), code.json.qr.payload), 400, 'QR_INVALID');
    expectError(await verify(code.json.qr.payload), 400, 'QR_INVALID');
    expectError(await req('GET', '/api/v1/code', { token }), 401, 'TOKEN_INVALID');
  });
});

// ---------------------------------------------------------------------------------------------

describe('POST /api/v1/samples/manual', () => {
  it('201 by a typed ID number; the same person again → 200 added false', async () => {
    const who = t.people.identity(fresh());
    const tube = newTube('MAN');
    const res = await manual(tube, who.idNumber);
    expect(res.status, res.text).toBe(201);
    expect(res.json).toEqual({ tube, members: 1, added: true });
    const again = await manual(tube, who.idNumber);
    expect(again.status, again.text).toBe(200);
    expect(again.json).toEqual({ tube, members: 1, added: false });
    const audit = await withDb(async (db) =>
      (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM manual_entries WHERE tube_id = $1 AND id_number = $2', [tube, who.idNumber])).rows[0]?.n,
    );
    expect(audit).toBe(2);
  });

  it('scan and manual entry bind into the same tube', async () => {
    const tube = newTube('MIX');
    expect((await scan(tube, await qrOf(fresh()))).status).toBe(201);
    const res = await manual(tube, t.people.identity(fresh()).idNumber);
    expect(res.status, res.text).toBe(201);
    expect(res.json.members).toBe(2);
  });

  it('invalid ID number → 400 ID_NUMBER_INVALID', async () => {
    const who = t.people.identity(fresh());
    const wrongCheck = who.idNumber.slice(0, 17) + ('10X98765432'.split('').find((c) => c !== who.idNumber.charAt(17)) ?? '1');
    for (const idNumber of [wrongCheck, withCheck('61010219990230001'), withCheck('99999919800101001'), '12345', '61010219800101001x']) {
      expectError(await manual(newTube('MINV'), idNumber), 400, 'ID_NUMBER_INVALID');
    }
    expectError(await manual(newTube('MINV'), 610102198001010011), 400, 'BAD_REQUEST');
    expectError(await manual(newTube('MINV'), 'x'.repeat(33)), 400, 'BAD_REQUEST');
  });

  it('a valid ID number of nobody → 404 RESIDENT_NOT_FOUND', async () => {
    expectError(await manual(newTube('MNF'), withCheck('61012519800101001')), 404, 'RESIDENT_NOT_FOUND');
  });
});

// ---------------------------------------------------------------------------------------------

describe('POST /api/v1/lab/results', () => {
  it('positive: the members and their whole compound turn yellow; other compounds stay green', async () => {
    const compound = byCompound.get(positiveCompound) ?? [];
    const [m1, m2, m3, neighbour] = fromCompound(positiveCompound, 4) as [number, number, number, number];
    const outsider = fresh();
    expect(t.people.compoundOf(outsider)).not.toBe(positiveCompound);
    // Warm the cache for the neighbour: the lab result must invalidate it.
    expect((await codeOf(neighbour)).colour).toBe('green');
    const tube = newTube('POS');
    const qrs = [await qrOf(m1), await qrOf(m2)];
    for (const qr of qrs) expect((await scan(tube, qr)).status).toBe(201);
    expect((await manual(tube, t.people.identity(m3).idNumber)).status).toBe(201);

    const res = await report(tube, 'positive');
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({ tube, result: 'positive', members: 3, codesChanged: compound.length });

    for (const member of [m1, m2, m3]) {
      const code = await codeOf(member);
      expect(code).toMatchObject({ colour: 'yellow', version: 1, reason: 'pooled sample positive: individual retest pending' });
      expect(code.qr.payload.split('.')[2]).toBe('yellow');
    }
    const near = await codeOf(neighbour);
    expect(near).toMatchObject({ colour: 'yellow', version: 1, reason: 'a pooled sample from your compound tested positive' });
    expect(t.people.compoundOf(neighbour)).toBe(t.people.compoundOf(m1));
    expect(await codeOf(outsider)).toMatchObject({ colour: 'green', version: 0 });

    // Reporting twice → 409 RESULT_EXISTS; the tube is closed to new samples.
    expectError(await report(tube, 'positive'), 409, 'RESULT_EXISTS');
    expectError(await report(tube, 'negative'), 409, 'RESULT_EXISTS');
    expectError(await scan(tube, await qrOf(fresh())), 409, 'TUBE_CLOSED');
    expectError(await manual(tube, t.people.identity(fresh()).idNumber), 409, 'TUBE_CLOSED');
    // A member re-scanned into the closed tube is refused as well.
    expectError(await scan(tube, qrs[0] ?? ''), 409, 'TUBE_CLOSED');
  });

  it('negative: its members stay green with their version incremented', async () => {
    const members = [fresh(), fresh(), fresh()];
    const before = await Promise.all(members.map((m) => codeOf(m)));
    const tube = newTube('NEG');
    for (const m of members) expect((await scan(tube, await qrOf(m))).status).toBe(201);
    const res = await report(tube, 'negative');
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({ tube, result: 'negative', members: 3, codesChanged: 3 });
    for (const [i, m] of members.entries()) {
      const after = await codeOf(m);
      expect(after).toMatchObject({ colour: 'green', reason: 'negative pooled test', version: (before[i]?.version ?? 0) + 1 });
    }
    expectError(await report(tube, 'negative'), 409, 'RESULT_EXISTS');
    expectError(await scan(tube, await qrOf(fresh())), 409, 'TUBE_CLOSED');
  });

  it('unknown tube → 404 TUBE_NOT_FOUND', async () => {
    expectError(await report(newTube('NONE'), 'negative'), 404, 'TUBE_NOT_FOUND');
    expectError(await report(newTube('NONE'), 'positive'), 404, 'TUBE_NOT_FOUND');
  });

  it('bad result, tube id or shape → 400 BAD_REQUEST', async () => {
    const tube = newTube('LBAD');
    expect((await scan(tube, await qrOf(fresh()))).status).toBe(201);
    for (const change of [{ result: 'POSITIVE' }, { result: 'inconclusive' }, { result: true }, { tube: 'a' }, { lab: '' }, { lab: 'l\u0007' }, { extra: 1 }]) {
      const res = await report(tube, 'negative', change);
      expect(res.status, JSON.stringify(change)).toBe(400);
      expectError(res, 400, 'BAD_REQUEST');
    }
    expectError(await post('/api/v1/lab/results', { tube, result: 'negative' }, asLab()), 400, 'BAD_REQUEST');
    // None of those closed the tube.
    expect((await report(tube, 'negative')).status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------

describe('POST /api/v1/checkpoints/verify', () => {
  it('200 valid with the current colour', async () => {
    const index = fresh();
    const res = await verify(await qrOf(index));
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({
      valid: true,
      name: expect.stringMatching(/^.\*+$/u),
      colour: 'green',
      reason: 'no restriction',
      version: 0,
      outdatedQr: false,
      stale: false,
    });
    for (const kind of ['hospital', 'shop', 'checkpoint']) {
      expect((await verify(await qrOf(index), { kind })).status).toBe(200);
    }
  });

  it('a QR issued before a colour change → the new colour, outdatedQr true', async () => {
    const [person] = fromCompound(checkpointCompound, 1) as [number];
    const oldQr = await qrOf(person);
    expect(oldQr.split('.')[2]).toBe('green');
    const tube = newTube('CHK');
    expect((await scan(tube, oldQr)).status).toBe(201);
    expect((await report(tube, 'positive')).status).toBe(200);
    const res = await verify(oldQr, { kind: 'hospital' });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ valid: true, colour: 'yellow', version: 1, outdatedQr: true, stale: false });
    // A QR issued after the change is current.
    const newRes = await verify(await qrOf(person));
    expect(newRes.json).toMatchObject({ colour: 'yellow', version: 1, outdatedQr: false });
  });

  it('forged or altered QR → 400 QR_INVALID', async () => {
    const qr = await qrOf(fresh());
    for (const bad of [withField(qr, 2, 'red'), flipMac(qr), withField(qr, 3, '99'), 'q1.0.green.0.9999999999.AAAAAAAAAAAAAAAAAAAAAA', 'x']) {
      expectError(await verify(bad), 400, 'QR_INVALID');
    }
  });

  it('bad kind, checkpoint or shape → 400 BAD_REQUEST', async () => {
    const qr = await qrOf(fresh());
    for (const change of [{ kind: 'airport' }, { kind: 'Metro' }, { kind: '' }, { kind: 1 }, { checkpoint: '' }, { checkpoint: 'x\u001f' }, { checkpoint: 'c'.repeat(65) }, { qr: null }, { more: 1 }]) {
      const res = await verify(qr, change);
      expect(res.status, JSON.stringify(change)).toBe(400);
      expectError(res, 400, 'BAD_REQUEST');
    }
    expectError(await post('/api/v1/checkpoints/verify', { qr, kind: 'metro' }, asGate()), 400, 'BAD_REQUEST');
  });
});

// ---------------------------------------------------------------------------------------------

describe('health, readiness, metrics, unknown routes', () => {
  it('/healthz 200', async () => {
    const res = await req('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'ok' });
  });

  it('/readyz 200 with postgres and redis true', async () => {
    const res = await req('GET', '/readyz');
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({ status: 'ready', postgres: true, redis: true });
  });

  it('/metrics: not on the public port; on the primary\'s 127.0.0.1 port, Prometheus text with request, pool, cache and event-loop series', async () => {
    await req('GET', '/healthz');
    expect((await req('GET', '/api/v1/code', { token: await tokenOf(fresh()) })).status).toBe(200);
    expectError(await req('GET', '/metrics'), 404, 'NOT_FOUND');
    expect(new URL(t.stack.metricsUrl ?? '').hostname).toBe('127.0.0.1');
    const res = await fetch(t.stack.metricsUrl ?? '').then(async (r) => ({ status: r.status, headers: r.headers, text: await r.text() }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    for (const name of ['http_request_duration_seconds', 'db_pool_waiting', 'cache_requests_total', 'nodejs_eventloop_lag_seconds']) {
      expect(res.text).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    }
    // Routes are labelled by pattern and the cache has been asked by now.
    expect(res.text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/code"/);
    expect(res.text).toMatch(/cache_requests_total\{[^}]*outcome="(hit|miss)"/);
  });

  it('unknown route → 404 NOT_FOUND in the error shape', async () => {
    expectError(await req('GET', '/api/v1/nothing'), 404, 'NOT_FOUND');
    expectError(await req('GET', '/'), 404, 'NOT_FOUND');
    expectError(await req('POST', '/api/v1/sessions', { body: {} }), 404, 'NOT_FOUND');
    expectError(await req('GET', '/api/v1/code/'), 404, 'NOT_FOUND');
    expectError(await req('GET', '/API/V1/CODE'), 404, 'NOT_FOUND');
  });

  it('a known route with the wrong method → 405 METHOD_NOT_ALLOWED with Allow', async () => {
    const cases: [string, string, string][] = [
      ['GET', '/api/v1/session', 'POST'],
      ['DELETE', '/api/v1/code', 'GET'],
      ['PUT', '/api/v1/samples/scan', 'POST'],
      ['PATCH', '/api/v1/samples/manual', 'POST'],
      ['GET', '/api/v1/lab/results', 'POST'],
      ['OPTIONS', '/api/v1/checkpoints/verify', 'POST'],
      ['POST', '/healthz', 'GET'],
    ];
    for (const [method, path, allowed] of cases) {
      const res = await req(method, path, method === 'GET' || method === 'OPTIONS' || method === 'DELETE' ? {} : { body: {} });
      expect(res.status, `${method} ${path}: ${res.text}`).toBe(405);
      expectError(res, 405, 'METHOD_NOT_ALLOWED');
      expect(res.headers.get('allow')).toContain(allowed);
    }
  });

  it('paths that look like route patterns (a * before the end) → 404, never 5xx', async () => {
    const paths: [string, string][] = [
      ['GET', '/*metrics/'],
      ['GET', '/healthz*x'],
      ['GET', '/api/v1/*session'],
      ['POST', '/api/v1/*session'],
      ['GET', '/a*b'],
      ['GET', '/api/v1/:id'],
    ];
    const wrong: string[] = [];
    for (const [method, path] of paths) {
      const res = await raw(method, path, method === 'POST' ? { 'content-type': 'application/json' } : {}, method === 'POST' ? '{}' : undefined);
      if (res.status !== 404 || res.json?.error?.code !== 'NOT_FOUND') wrong.push(`${method} ${path} → ${res.status} ${res.text}`);
    }
    expect(wrong, wrong.join('\n')).toEqual([]);
  });

  it('a malformed URL (bad percent-escape) → 400 in the error shape', async () => {
    const res = await raw('GET', '/api/v1/code%');
    expect(res.status, res.text).toBe(400);
    expect(res.json, res.text).toEqual({ error: { code: 'BAD_REQUEST', message: expect.any(String) } });
  });
});

describe('bodies: size and media type', () => {
  it('request headers over 16 KiB → 431 in the error shape', async () => {
    const res = await raw('GET', '/api/v1/code', { authorization: `Bearer ${'A'.repeat(20_000)}` });
    expect(res.status, res.text).toBe(431);
    expect(res.json, res.text).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
  });

  it('a body over 16 KiB → 413 PAYLOAD_TOO_LARGE', async () => {
    const who = t.people.identity(fresh());
    const big = JSON.stringify({ idNumber: who.idNumber, phone: who.phone, pad: 'x'.repeat(17 * 1024) });
    expectError(await post('/api/v1/session', big), 413, 'PAYLOAD_TOO_LARGE');
    expectError(await post('/api/v1/samples/scan', big, asSampler()), 413, 'PAYLOAD_TOO_LARGE');
    // Just under the limit is read (and then refused for its extra field).
    const under = JSON.stringify({ idNumber: who.idNumber, phone: who.phone, pad: 'x'.repeat(15 * 1024) });
    expectError(await post('/api/v1/session', under), 400, 'BAD_REQUEST');
  });

  it('a non-JSON content type → 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const who = t.people.identity(fresh());
    const body = JSON.stringify({ idNumber: who.idNumber, phone: who.phone });
    for (const type of ['application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'image/png']) {
      expectError(await post('/api/v1/session', body, { headers: { 'content-type': type } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('text/plain → 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const who = t.people.identity(fresh());
    const body = JSON.stringify({ idNumber: who.idNumber, phone: who.phone });
    expectError(await post('/api/v1/session', body, { headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await post('/api/v1/samples/scan', body, { ...asSampler(), headers: { 'content-type': 'text/plain; charset=utf-8' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
});

// ---------------------------------------------------------------------------------------------

describe('concurrent binding (a sampler double-taps, two tables share a tube)', () => {
  it('the same person scanned into an existing tube several times at once: never a 5xx, one binding', async () => {
    const failures: string[] = [];
    for (let trial = 0; trial < 6; trial++) {
      const tube = newTube('DUP');
      expect((await scan(tube, await qrOf(fresh()))).status).toBe(201);
      const qr = await qrOf(fresh());
      const results = await Promise.all([0, 1, 2, 3].map(() => scan(tube, qr)));
      for (const r of results) if (r.status >= 500) failures.push(`POST /api/v1/samples/scan ${JSON.stringify({ tube, site: 'site-1', table: 7, qr })} → ${r.status} ${r.text}`);
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    }
    expect(failures, failures.join('\n')).toEqual([]);
  });

  it('distinct people scanned into a tube with one place left at once: at most 10 members', async () => {
    const overfilled: string[] = [];
    for (let trial = 0; trial < 6; trial++) {
      const tube = newTube('RACE');
      for (let i = 0; i < 9; i++) expect((await scan(tube, await qrOf(fresh()))).status).toBe(201);
      const qrs = await Promise.all([fresh(), fresh(), fresh(), fresh()].map((i) => qrOf(i)));
      const results = await Promise.all(qrs.map((qr) => scan(tube, qr)));
      for (const r of results) expect(r.status, r.text).toBeLessThan(500);
      const members = await withDb(async (db) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM samples WHERE tube_id = $1', [tube])).rows[0]?.n ?? 0);
      const added = results.filter((r) => r.status === 201).length;
      if (members > 10 || added > 1) overfilled.push(`${tube}: ${members} members, ${added} concurrent 201s: ${results.map((r) => `${r.status} ${r.text}`).join(' | ')}`);
    }
    expect(overfilled, overfilled.join('\n')).toEqual([]);
  });
});
