import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, createContext } from '../../src/server/app.js';
import { serverConfig } from '../../src/server/config.js';
import { API_ERRORS, ApiError, errorBody, type ApiErrorCode } from '../../src/server/errors.js';
import { Signer } from '../../src/server/signing.js';
import { issueStaffToken } from '../../src/server/staff.js';

/**
 * The API's error catalogue (src/server/errors.ts) against the source that raises the errors
 * and against what the framework handlers in app.ts actually answer.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SERVER_DIR = path.join(ROOT, 'src/server');

/** Codes the framework handlers in app.ts send (not via `new ApiError`). */
const FRAMEWORK_CODES = [
  'INVALID_JSON',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'NOT_FOUND',
  'BAD_REQUEST',
  'METHOD_NOT_ALLOWED',
  'REQUEST_TIMEOUT',
  'HEADERS_TOO_LARGE',
  'INTERNAL',
] as const;

function serverSources(): { file: string; text: string }[] {
  return (readdirSync(SERVER_DIR, { recursive: true, encoding: 'utf8' }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .map((f) => ({ file: path.join('src/server', f), text: readFileSync(path.join(SERVER_DIR, f), 'utf8') }));
}

/** Every `new ApiError('X'` in src/server, by code, with the files that raise it. */
function raisedCodes(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const { file, text } of serverSources()) {
    for (const m of text.matchAll(/new\s+ApiError\(\s*['"`]([^'"`]+)['"`]/g)) {
      const code = m[1] ?? '';
      found.set(code, [...(found.get(code) ?? []), file]);
    }
  }
  return found;
}

/** String literals app.ts sends as error codes: errorBody('X', …) and clientErrorCode's returns. */
function frameworkEmitted(): Set<string> {
  const app = readFileSync(path.join(SERVER_DIR, 'app.ts'), 'utf8');
  const codes = new Set<string>();
  for (const m of app.matchAll(/errorBody\(\s*'([A-Z_]+)'/g)) codes.add(m[1] ?? '');
  for (const m of app.matchAll(/return\s+'([A-Z_]+)'/g)) codes.add(m[1] ?? '');
  for (const m of app.matchAll(/sendError\([^,]+,\s*\d+,\s*'([A-Z_]+)'/g)) codes.add(m[1] ?? '');
  return codes;
}

const allCodes = Object.keys(API_ERRORS) as ApiErrorCode[];

describe('the API_ERRORS list', () => {
  it('has codes in UPPER_SNAKE_CASE, no duplicates', () => {
    expect(allCodes.length).toBeGreaterThan(10);
    for (const code of allCodes) expect(code, code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
    expect(new Set(allCodes).size).toBe(allCodes.length);
  });

  it('maps every code to a 4xx or 5xx status', () => {
    for (const code of allCodes) {
      const status = API_ERRORS[code];
      expect(Number.isInteger(status), code).toBe(true);
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
    }
  });

  it('has exactly one 500, INTERNAL; other 5xx are 503s the client may retry', () => {
    expect(allCodes.filter((c) => API_ERRORS[c] === 500)).toEqual(['INTERNAL']);
    for (const code of allCodes.filter((c) => API_ERRORS[c] >= 500 && c !== 'INTERNAL')) {
      expect(API_ERRORS[code], code).toBe(503);
    }
  });

  it('ApiError takes its status from the list', () => {
    for (const code of allCodes) {
      const err = new ApiError(code, 'm', 3);
      expect(err.statusCode).toBe(API_ERRORS[code]);
      expect(err.code).toBe(code);
      expect(err.retryAfterS).toBe(3);
      expect(err).toBeInstanceOf(Error);
    }
    expect(errorBody('X', 'y')).toEqual({ error: { code: 'X', message: 'y' } });
  });
});

describe('the source against the list', () => {
  it('finds the server sources and ApiErrors raised in them (the scan works)', () => {
    const files = serverSources().map((s) => s.file);
    expect(files).toContain('src/server/app.ts');
    expect(files).toContain(path.join('src/server', 'resilience', 'bulkhead.ts'));
    const raised = raisedCodes();
    expect(raised.get('OVERLOADED')).toBeDefined();
    expect(raised.get('TOKEN_MISSING')).toBeDefined();
  });

  it('every code raised with `new ApiError(...)` in src/server exists in API_ERRORS', () => {
    const unknown = [...raisedCodes()].filter(([code]) => !(code in API_ERRORS)).map(([code, files]) => `${code} (${files.join(', ')})`);
    expect(unknown).toEqual([]);
  });

  it('every code the framework handlers send exists in API_ERRORS', () => {
    const emitted = frameworkEmitted();
    expect(emitted.size).toBeGreaterThanOrEqual(5);
    expect([...emitted].filter((c) => !(c in API_ERRORS))).toEqual([]);
  });

  it('no listed code is unused, except those the framework handlers raise', () => {
    const raised = raisedCodes();
    const unused = allCodes.filter((c) => !raised.has(c));
    expect(unused.filter((c) => !(FRAMEWORK_CODES as readonly string[]).includes(c))).toEqual([]);
  });

  it('every listed code is sent by something', () => {
    const raised = raisedCodes();
    const emitted = frameworkEmitted();
    const dead = allCodes.filter((c) => !raised.has(c) && !emitted.has(c));
    expect(dead).toEqual([]);
  });
});

describe('what the framework handlers answer (app.inject, no stack)', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    // Nothing listens on port 9 for Postgres or Redis: only requests that never reach a
    // dependency are sent here.
    const config = serverConfig({
      profile: 'hardened',
      host: '127.0.0.1',
      port: 0,
      workers: 1,
      databaseUrl: 'postgres://nobody:nothing@127.0.0.1:9/none',
      redisUrl: 'redis://127.0.0.1:9',
      secret: '00112233445566778899aabbccddeeff',
      logLevel: 'fatal',
    });
    app = buildApp(createContext(config));
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
  });

  // Staff credentials signed with this app's secret, valid for an hour.
  const signer = new Signer('00112233445566778899aabbccddeeff');
  const hour = Math.floor(Date.now() / 1000) + 3600;
  const lab = `Bearer ${issueStaffToken(signer, { role: 'lab', scope: 'L', expiresAt: hour })}`;
  const gate = `Bearer ${issueStaffToken(signer, { role: 'checkpoint', scope: 'gate', expiresAt: hour })}`;
  const json = { 'content-type': 'application/json' };
  const result = '{"tube":"ABCD","result":"negative","lab":"L"}';

  const cases: { name: string; method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH'; url: string; headers?: Record<string, string>; payload?: string; code: string; status: number; auth?: string }[] = [
    { name: 'unknown route', method: 'GET', url: '/api/v1/nope', code: 'NOT_FOUND', status: 404 },
    { name: 'wrong method on a known path', method: 'DELETE', url: '/api/v1/code', code: 'METHOD_NOT_ALLOWED', status: 405 },
    { name: 'POST to a GET route', method: 'POST', url: '/api/v1/code', headers: { 'content-type': 'application/json' }, payload: '{}', code: 'METHOD_NOT_ALLOWED', status: 405 },
    { name: 'malformed JSON', method: 'POST', url: '/api/v1/session', headers: { 'content-type': 'application/json' }, payload: '{"idNumber":', code: 'INVALID_JSON', status: 400 },
    { name: 'empty JSON body', method: 'POST', url: '/api/v1/session', headers: { 'content-type': 'application/json' }, payload: '', code: 'INVALID_JSON', status: 400 },
    { name: 'body over the limit', method: 'POST', url: '/api/v1/session', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ idNumber: 'x'.repeat(20_000), phone: '1' }), code: 'PAYLOAD_TOO_LARGE', status: 413 },
    { name: 'a text/plain body', method: 'POST', url: '/api/v1/session', headers: { 'content-type': 'text/plain' }, payload: 'hello', code: 'UNSUPPORTED_MEDIA_TYPE', status: 415 },
    { name: 'unsupported media type', method: 'POST', url: '/api/v1/session', headers: { 'content-type': 'application/xml' }, payload: '<a/>', code: 'UNSUPPORTED_MEDIA_TYPE', status: 415 },
    { name: 'schema violation (extra field)', method: 'POST', url: '/api/v1/session', headers: { 'content-type': 'application/json' }, payload: '{"idNumber":"1","phone":"13800000000","x":1}', code: 'BAD_REQUEST', status: 400 },
    { name: 'schema violation (wrong type)', method: 'POST', url: '/api/v1/lab/results', headers: { 'content-type': 'application/json' }, payload: '{"tube":"ABCD","result":"maybe","lab":"L"}', code: 'BAD_REQUEST', status: 400, auth: lab },
    { name: 'no token', method: 'GET', url: '/api/v1/code', code: 'TOKEN_MISSING', status: 401 },
    { name: 'not a bearer token', method: 'GET', url: '/api/v1/code', headers: { authorization: 'Basic abc' }, code: 'TOKEN_INVALID', status: 401 },
    { name: 'forged token', method: 'GET', url: '/api/v1/code', headers: { authorization: 'Bearer t1.1.9999999999.AAAAAAAAAAAAAAAAAAAAAA' }, code: 'TOKEN_INVALID', status: 401 },
    { name: 'invalid ID number', method: 'POST', url: '/api/v1/session', headers: { 'content-type': 'application/json' }, payload: '{"idNumber":"123","phone":"13800000000"}', code: 'ID_NUMBER_INVALID', status: 400 },
    // Raised before routing: Fastify's default body would be {"error":"Bad Request",...};
    // app.ts routes it through frameworkErrors to the usual shape.
    { name: 'malformed percent-escape in the URL', method: 'GET', url: '/api/v1/%zz', code: 'BAD_REQUEST', status: 400 },
    { name: 'forged QR', method: 'POST', url: '/api/v1/checkpoints/verify', headers: { 'content-type': 'application/json' }, payload: '{"qr":"q1.1.green.0.9999999999.AAAAAAAAAAAAAAAAAAAAAA","checkpoint":"gate","kind":"metro"}', code: 'QR_INVALID', status: 400, auth: gate },
    // Staff credentials are checked before the body and before any dependency.
    { name: 'a staff route without a credential', method: 'POST', url: '/api/v1/lab/results', headers: json, payload: result, code: 'AUTH_REQUIRED', status: 401 },
    { name: 'a staff route with a forged credential', method: 'POST', url: '/api/v1/lab/results', headers: json, payload: result, code: 'AUTH_INVALID', status: 401, auth: 'Bearer s1.lab.L.-.9999999999.AAAAAAAAAAAAAAAAAAAAAA' },
    { name: 'a staff route with the wrong role', method: 'POST', url: '/api/v1/lab/results', headers: json, payload: result, code: 'FORBIDDEN_ROLE', status: 403, auth: gate },
    { name: 'a staff route for another lab', method: 'POST', url: '/api/v1/lab/results', headers: json, payload: result.replace('"L"', '"M"'), code: 'FORBIDDEN_SCOPE', status: 403, auth: lab },
  ];

  for (const c of cases) {
    it(`${c.name} → ${c.status} ${c.code}`, async () => {
      const headers = { ...c.headers, ...(c.auth === undefined ? {} : { authorization: c.auth }) };
      const res = await app.inject({ method: c.method, url: c.url, headers, ...(c.payload !== undefined ? { payload: c.payload } : {}) });
      const body = res.json() as { error?: { code?: unknown; message?: unknown } };
      expect({ status: res.statusCode, code: body.error?.code }).toEqual({ status: c.status, code: c.code });
      expect(typeof body.error?.message).toBe('string');
      expect(Object.keys(body)).toEqual(['error']);
      // The pair agrees with the catalogue.
      expect(API_ERRORS[c.code as ApiErrorCode]).toBe(res.statusCode);
    });
  }
});
