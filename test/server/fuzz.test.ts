// Long because: every route's fuzz property against one real stack, which takes seconds to start: one file keeps it to one start.
/**
 * Property-based fuzzing of the reference server's HTTP API against a real stack (hardened).
 *
 * Property: whatever a client sends — wrong types, missing and extra fields, huge and empty
 * bodies, broken JSON, bad ID numbers, tampered tokens and QR payloads, odd headers, control
 * characters, extreme numbers, wrong methods — the server never answers 5xx (nor drops the
 * connection), and every 4xx body is {error:{code,message}} with a code from errors.ts. Staff
 * routes are fuzzed mostly with their right credential (so that the body reaches validation)
 * and otherwise with forged, expired, wrong-role and other-site ones; a run of those alone,
 * with valid bodies, must be refused with 401/403 and write nothing.
 *
 * The requests are drawn with fast-check from a fixed seed (FUZZ_SEED overrides it; it is
 * printed) with fc.sample, then sent 16 at a time over raw node:http (fetch would refuse
 * bodies on GET, odd methods and some headers). Every violation is recorded with its full
 * request and printed, grouped, at the end. The drawn shapes are reproducible from the seed;
 * the token and QR strings they mutate are this run's (the stack's secret is random).
 */
import http from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCharacter } from '../../sim/identity/gb11643.js';
import pg from 'pg';
import { API_ERRORS } from '../../src/server/errors.js';
import { staffIssuer } from '../../src/stack/staff.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 20_220_104);
const REQUESTS = 12_000;
const URL_REQUESTS = 1_500;
const AUTH_REQUESTS = 2_000;
const CONCURRENCY = 16;
const RESIDENTS = 2_000;

const API_ROUTES = [
  { method: 'POST', path: '/api/v1/session' },
  { method: 'GET', path: '/api/v1/code' },
  { method: 'POST', path: '/api/v1/samples/scan' },
  { method: 'POST', path: '/api/v1/samples/manual' },
  { method: 'POST', path: '/api/v1/lab/results' },
  { method: 'POST', path: '/api/v1/checkpoints/verify' },
] as const;
const PROBES = ['/healthz', '/readyz', '/metrics'] as const;
/** Every method node's HTTP parser knows, but CONNECT (a tunnel, which node answers by hanging up). */
const METHODS = http.METHODS.filter((m) => m !== 'CONNECT');

interface FuzzRequest {
  /** What the generator meant to break, for grouping the report. */
  readonly kind: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string | Buffer;
  /** Send with Transfer-Encoding: chunked instead of Content-Length. */
  readonly chunked?: boolean;
}

interface Outcome {
  readonly status: number; // 0: no response
  readonly text: string;
  readonly error?: string;
}

interface Violation {
  readonly index: number;
  readonly request: FuzzRequest;
  readonly outcome: Outcome;
  readonly why: string;
}

/** Real material from the running stack that the generators mutate. */
interface Material {
  readonly token: string;
  readonly otherToken: string;
  readonly qr: string;
  readonly idNumber: string;
  readonly phone: string;
  readonly closedTube: string;
  readonly fullTube: string;
  /** The right credential of each staff route (site fuzz-site, its lab fuzz-lab, gate fuzz-gate). */
  readonly staff: Readonly<Record<StaffPath, string>>;
  /** Credentials each staff route must refuse, by what is wrong with them. */
  readonly refused: Readonly<Record<StaffPath, readonly { readonly why: string; readonly token: string; readonly body?: Template }[]>>;
}

const STAFF_PATHS = ['/api/v1/samples/scan', '/api/v1/samples/manual', '/api/v1/lab/results', '/api/v1/checkpoints/verify'] as const;
type StaffPath = (typeof STAFF_PATHS)[number];
const isStaffPath = (path: string): path is StaffPath => (STAFF_PATHS as readonly string[]).includes(path);

let t: TestStack;
let material: Material;
let workerExits = 0;
let agent: http.Agent;

beforeAll(async () => {
  t = await startTestStack({ residents: RESIDENTS, seed: 777 });
  t.stack.server.on('event', (event) => {
    if (event.event === 'worker-exit') workerExits++;
  });
  agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const who = t.people.identity(5);
  const token = await t.signIn(5);
  const otherToken = await t.signIn(6);
  const code = await t.request('GET', '/api/v1/code', { token });
  expect(code.status, code.text).toBe(200);
  const qr = code.json.qr.payload as string;
  // A tube with a result (closed) and a full one: fuzzed scans and reports that reach them
  // are refused without touching samples, so they cannot race one another.
  const qrOf = async (i: number): Promise<string> =>
    (await t.request('GET', '/api/v1/code', { token: await t.signIn(i) })).json.qr.payload as string;
  const sampler = t.staff('sampler', 'fuzz-site', 'fuzz-lab');
  const lab = t.staff('lab', 'fuzz-lab');
  const gate = t.staff('checkpoint', 'fuzz-gate');
  const closedTube = 'FZ-CLOSED';
  expect((await t.request('POST', '/api/v1/samples/scan', { token: sampler, body: { tube: closedTube, site: 'fuzz-site', table: 1, qr: await qrOf(20) } })).status).toBe(201);
  expect((await t.request('POST', '/api/v1/lab/results', { token: lab, body: { tube: closedTube, result: 'negative', lab: 'fuzz-lab' } })).status).toBe(200);
  const fullTube = 'FZ-FULL';
  for (let i = 30; i < 40; i++) {
    expect((await t.request('POST', '/api/v1/samples/scan', { token: sampler, body: { tube: fullTube, site: 'fuzz-site', table: 1, qr: await qrOf(i) } })).status).toBe(201);
  }
  const expired = staffIssuer(t.stack.server.config, Date.now() - 2 * t.stack.server.config.tokenTtlS * 1000);
  const foreign = staffIssuer({ secret: 'cd'.repeat(32), tokenTtlS: 3600 });
  const common = (right: string, path: StaffPath) => [
    { why: 'expired', token: path === '/api/v1/lab/results' ? expired('lab', 'fuzz-lab') : path === '/api/v1/checkpoints/verify' ? expired('checkpoint', 'fuzz-gate') : expired('sampler', 'fuzz-site', 'fuzz-lab') },
    { why: 'another server', token: path === '/api/v1/lab/results' ? foreign('lab', 'fuzz-lab') : path === '/api/v1/checkpoints/verify' ? foreign('checkpoint', 'fuzz-gate') : foreign('sampler', 'fuzz-site', 'fuzz-lab') },
    { why: "a resident's token", token },
    { why: 'MAC cut', token: right.slice(0, -1) },
  ];
  const otherSampler = t.staff('sampler', 'fuzz-other', 'fuzz-other-lab');
  const otherLab = t.staff('lab', 'fuzz-other-lab');
  material = {
    token, otherToken, qr, idNumber: who.idNumber, phone: who.phone, closedTube, fullTube,
    staff: { '/api/v1/samples/scan': sampler, '/api/v1/samples/manual': sampler, '/api/v1/lab/results': lab, '/api/v1/checkpoints/verify': gate },
    refused: {
      '/api/v1/samples/scan': [
        ...common(sampler, '/api/v1/samples/scan'),
        { why: 'wrong role', token: lab }, { why: 'wrong role', token: gate },
        { why: 'other site', token: otherSampler },
        { why: 'other site, its tube', token: otherSampler, body: { site: 'fuzz-other', tube: fullTube } },
      ],
      '/api/v1/samples/manual': [
        ...common(sampler, '/api/v1/samples/manual'),
        { why: 'wrong role', token: lab }, { why: 'wrong role', token: gate },
        { why: 'other site', token: otherSampler },
        { why: 'other site, its tube', token: otherSampler, body: { site: 'fuzz-other', tube: fullTube } },
      ],
      '/api/v1/lab/results': [
        ...common(lab, '/api/v1/lab/results'),
        { why: 'wrong role', token: sampler }, { why: 'wrong role', token: gate },
        { why: 'other lab', token: otherLab },
        { why: 'other lab, its tube', token: otherLab, body: { lab: 'fuzz-other-lab', tube: fullTube } },
      ],
      '/api/v1/checkpoints/verify': [
        ...common(gate, '/api/v1/checkpoints/verify'),
        { why: 'wrong role', token: sampler }, { why: 'wrong role', token: lab },
        { why: 'other gate', token: t.staff('checkpoint', 'fuzz-other-gate') },
      ],
    },
  };
});

afterAll(async () => {
  agent?.destroy();
  await t?.stop();
});

// --- sending ---------------------------------------------------------------------------------

function sendOnce(r: FuzzRequest, via: http.Agent | false): Promise<Outcome> {
  const url = new URL(t.stack.url);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (o: Outcome): void => {
      if (!settled) {
        settled = true;
        resolve(o);
      }
    };
    const headers: Record<string, string | number> = { ...r.headers };
    if (r.body !== undefined && r.chunked !== true) headers['content-length'] = Buffer.byteLength(r.body);
    if (r.chunked === true) headers['transfer-encoding'] = 'chunked';
    let request: http.ClientRequest;
    try {
      request = http.request({ host: url.hostname, port: url.port, method: r.method, path: r.path, headers, agent: via }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => finish({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => finish({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), error: String(err) }));
      });
    } catch (err) {
      // The client refused to send it (an invalid header, say): a bug in this generator.
      finish({ status: -1, text: '', error: `client refused: ${String(err)}` });
      return;
    }
    request.on('error', (err) => finish({ status: 0, text: '', error: String(err) }));
    request.setTimeout(20_000, () => request.destroy(new Error('client timeout after 20 s')));
    if (r.body !== undefined) {
      if (r.chunked === true) {
        // Two chunks, to exercise reassembly.
        const b = Buffer.from(r.body);
        const cut = Math.floor(b.length / 2);
        request.write(b.subarray(0, cut));
        request.write(b.subarray(cut));
      } else {
        request.write(r.body);
      }
    }
    request.end();
  });
}

/** Sends; a connection the server closed under a kept-alive socket gets one fresh retry. */
async function send(r: FuzzRequest): Promise<Outcome> {
  const first = await sendOnce(r, agent);
  if (first.status !== 0) return first;
  return sendOnce(r, false);
}

function shapeProblem(r: FuzzRequest, o: Outcome): string | undefined {
  if (o.status === -1) return `generator produced an unsendable request: ${o.error}`;
  if (o.status === 0) return `no response: ${o.error ?? 'connection closed'}`;
  if (o.status >= 500) return `status ${o.status}`;
  if (o.status >= 400 && r.method !== 'HEAD') {
    let json: unknown;
    try {
      json = JSON.parse(o.text);
    } catch {
      return `${o.status} body is not JSON`;
    }
    const error = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const keys = json !== null && typeof json === 'object' ? Object.keys(json) : [];
    if (error === undefined || typeof error !== 'object' || error === null || keys.length !== 1) return `${o.status} body is not {error:{…}}`;
    if (typeof error.code !== 'string' || typeof error.message !== 'string') return `${o.status} error lacks code or message`;
    if (!(error.code in API_ERRORS)) return `${o.status} unknown error code ${error.code}`;
    if (API_ERRORS[error.code as keyof typeof API_ERRORS] !== o.status) return `${o.status} with code ${error.code} (which is ${API_ERRORS[error.code as keyof typeof API_ERRORS]})`;
  }
  return undefined;
}

interface RunResult {
  readonly sent: number;
  readonly seconds: number;
  readonly violations: Violation[];
  readonly statuses: Map<string, number>;
  readonly kinds: Map<string, number>;
}

async function run(requests: readonly FuzzRequest[]): Promise<RunResult> {
  const violations: Violation[] = [];
  const statuses = new Map<string, number>();
  const kinds = new Map<string, number>();
  let next = 0;
  let sent = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const index = next++;
      const r = requests[index] as FuzzRequest;
      sent++;
      const o = await send(r);
      let code = '';
      try {
        code = (JSON.parse(o.text) as { error?: { code?: string } })?.error?.code ?? '';
      } catch {
        code = '';
      }
      const key = `${o.status}${code === '' ? '' : ` ${code}`}`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
      kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
      const why = shapeProblem(r, o);
      if (why !== undefined) violations.push({ index, request: r, outcome: o, why });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { sent, seconds: (performance.now() - started) / 1000, violations, statuses, kinds };
}

function preview(body: string | Buffer | undefined): string {
  if (body === undefined) return '(none)';
  if (typeof body !== 'string') return `bytes(${body.length}) base64:${body.subarray(0, 240).toString('base64')}${body.length > 240 ? '…' : ''}`;
  const text = JSON.stringify(body.length > 400 ? body.slice(0, 400) : body);
  return `${text}${body.length > 400 ? `… (${body.length} chars)` : ''}`;
}

function clip(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
}

function describeViolation(v: Violation): string {
  const r = v.request;
  const headers = Object.fromEntries(Object.entries(r.headers).map(([k, h]) => [k, clip(h)]));
  return [
    `#${v.index} [${r.kind}] ${v.why}`,
    `  request:  ${r.method} ${JSON.stringify(clip(r.path))}${r.chunked === true ? ' (chunked)' : ''}`,
    `  headers:  ${JSON.stringify(headers)}`,
    `  body:     ${preview(r.body)}`,
    `  response: ${v.outcome.status} ${JSON.stringify(v.outcome.text.slice(0, 300))}${v.outcome.error !== undefined ? ` (${v.outcome.error})` : ''}`,
  ].join('\n');
}

function summarise(title: string, result: RunResult): string {
  const groups = new Map<string, Violation[]>();
  for (const v of result.violations) {
    const route = v.request.kind === 'url' ? '(mangled path)' : v.request.kind === 'head' ? '(any route)' : `${v.request.method} ${v.request.path.split('?')[0]}`;
    const key = `${v.request.kind} | ${route} | ${v.why.replace(/unknown error code .*/, 'unknown error code')}`;
    groups.set(key, [...(groups.get(key) ?? []), v]);
  }
  const statusLine = [...result.statuses.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`).join(', ');
  const lines = [
    `${title}: fc seed ${SEED} (set FUZZ_SEED to change), ${result.sent} requests in ${result.seconds.toFixed(1)} s ` +
      `(${Math.round(result.sent / result.seconds)}/s, concurrency ${CONCURRENCY})`,
    `  answers: ${statusLine}`,
    `  kinds:   ${[...result.kinds.entries()].map(([k, n]) => `${k} ${n}`).join(', ')}`,
  ];
  if (result.violations.length > 0) {
    lines.push(`  VIOLATIONS: ${result.violations.length} in ${groups.size} group(s); first of each (up to 3):`);
    for (const [key, list] of [...groups.entries()].slice(0, 25)) {
      lines.push(`  == ${list.length} × ${key}`);
      for (const v of list.slice(0, 3)) lines.push(describeViolation(v));
    }
  }
  return lines.join('\n');
}

// --- generators ------------------------------------------------------------------------------

/** A value spliced into JSON text verbatim (1e309, -0, numbers JSON.stringify cannot write). */
class Raw {
  constructor(readonly text: string) {}
}

function toJson(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Raw) {
      raws.push(v.text);
      return `@@RAW${raws.length - 1}@@`;
    }
    return v;
  });
  return (text ?? 'undefined').replace(/"@@RAW(\d+)@@"/g, (_m, i: string) => raws[Number(i)] ?? '');
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const headerSafeChar = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.constant('\t') },
);
const headerSafeString = (maxLength: number) => fc.string({ unit: headerSafeChar, maxLength });

const nastyStrings = fc.constantFrom(
  '', ' ', '\u0000', 'a\u0000b', '\u0001\u0002', '\u001f', '\u007f', '\u0085', '\u2028\u2029', '\ud800', '\udfff', 'a\udc00b',
  '\uffff', '\ufeff', '😀', 'é', 'Ω≈ç√', '\u202e', 'null', 'undefined', 'NaN', 'true', '0', '-1', '[]', '{}',
  "' OR 1=1 --", "'; DROP TABLE residents; --", '" OR ""="', '\\', '\\u0000', '%00', '%s%s%s%n', '${jndi:ldap://x}',
  '<script>alert(1)</script>', '../../../etc/passwd', '__proto__', 'constructor', 'x'.repeat(65), 'x'.repeat(257),
  '9'.repeat(400), '１２３', 'q1.0.red.0.9999999999.AAAAAAAAAAAAAAAAAAAAAA', 't1.0.9999999999.AAAAAAAAAAAAAAAAAAAAAA',
);
const weirdString = fc.oneof(
  { weight: 3, arbitrary: nastyStrings },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'0123456789Xx'), maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 40_000 }).map((n) => 'y'.repeat(n)) },
);
const extremeNumber = fc.oneof(
  fc.constantFrom(
    new Raw('1e309'), new Raw('-1e309'), new Raw('-0'), new Raw('1e-400'), new Raw('123456789012345678901234567890'),
    new Raw('-9223372036854775809'), new Raw('9007199254740993'), new Raw('1.0'), new Raw('1E2'), new Raw('0.1e1'),
    new Raw('100000.0000000000001'), new Raw('NaN'), new Raw('Infinity'), new Raw('-Infinity'), new Raw('0x10'),
    new Raw('01'), new Raw('.5'), new Raw('+1'), new Raw('1.'), new Raw('-'), new Raw('1e'), new Raw('1_000'),
    0, -1, 1, 100_000, 100_001, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER,
    Number.MAX_VALUE, Number.MIN_VALUE, 0.5, 1.5,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map((b) => new Raw(b.toString())),
);
const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: weirdString },
  { weight: 3, arbitrary: extremeNumber },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(weirdString, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(weirdString, weirdString, { maxKeys: 3 }) },
);

/** An ID number that is almost or not at all valid, or (sometimes) valid but of nobody. */
const badIdNumber = (real: string) =>
  fc.oneof(
    // Fully random 18 characters, mostly from the ID alphabet.
    fc.string({ unit: fc.constantFrom(...'0123456789X'), minLength: 18, maxLength: 18 }),
    fc.string({ unit: 'binary', minLength: 18, maxLength: 18 }),
    fc.string({ unit: fc.constantFrom(...'0123456789Xx '), minLength: 15, maxLength: 20 }),
    // The real one with one character changed, deleted or added.
    fc.tuple(fc.nat({ max: 17 }), fc.constantFrom(...'0123456789Xx-/ \u0000١')).map(([at, c]) => real.slice(0, at) + c + real.slice(at + 1)),
    fc.nat({ max: 17 }).map((at) => real.slice(0, at) + real.slice(at + 1)),
    fc.tuple(fc.nat({ max: 18 }), fc.constantFrom(...'0123456789X')).map(([at, c]) => real.slice(0, at) + c + real.slice(at)),
    fc.constant(real.toLowerCase().replace('X', 'x')),
    fc.constant(` ${real}`),
    fc.constant(`${real} `),
    fc.constant(real.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)))), // full-width digits
    // Right check character, wrong parts: region, date (31 Feb, month 13, future, pre-1900).
    fc
      .tuple(
        fc.constantFrom('610102', '610125', '999999', '000000', '110105', '610199'),
        fc.integer({ min: 1850, max: 2099 }),
        fc.integer({ min: 0, max: 14 }),
        fc.integer({ min: 0, max: 33 }),
        fc.integer({ min: 0, max: 999 }),
      )
      .map(([region, y, m, d, seq]) => {
        const first17 = `${region}${y}${String(m).padStart(2, '0')}${String(d).padStart(2, '0')}${String(seq).padStart(3, '0')}`;
        return first17 + checkCharacter(first17);
      }),
  );

/** A signed string (token or QR payload) with its characters, fields or MAC altered. */
const mutateSigned = (signed: string) => {
  const fields = signed.split('.');
  const mac = fields.at(-1) ?? '';
  const body = fields.slice(0, -1).join('.');
  const anyChar = fc.oneof(fc.constantFrom(...B64URL.split(''), '.', '!', '=', '+', '/', ' ', '%', '\u0000', 'é', '😀'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
  return fc.oneof(
    fc.tuple(fc.nat({ max: signed.length - 1 }), anyChar).map(([at, c]) => signed.slice(0, at) + c + signed.slice(at + 1)),
    fc.nat({ max: signed.length - 1 }).map((at) => signed.slice(0, at) + signed.slice(at + 1)),
    fc.tuple(fc.nat({ max: signed.length }), anyChar).map(([at, c]) => signed.slice(0, at) + c + signed.slice(at)),
    fc.nat({ max: signed.length }).map((at) => signed.slice(0, at)),
    fc.tuple(fc.nat({ max: fields.length - 1 }), fc.oneof(weirdString, fc.constantFrom('red', 'yellow', 'green', '0', '1', '999999999999999', '9999999999999999', '-1', '', 't1', 'q1', '01', '1e3'))).map(([k, v]) => {
      const f = [...fields];
      f[k] = v;
      return f.join('.');
    }),
    fc.nat({ max: fields.length - 1 }).map((k) => fields.filter((_, i) => i !== k).join('.')),
    fc.tuple(fc.nat({ max: fields.length - 1 }), weirdString).map(([k, v]) => [...fields.slice(0, k), v, ...fields.slice(k)].join('.')),
    fc.string({ unit: fc.constantFrom(...B64URL.split('')), minLength: 0, maxLength: 30 }).map((m) => `${body}.${m}`),
    fc.constantFrom(`${signed}!`, `${signed}==`, `${signed}.`, `.${signed}`, `${signed}.${mac}`, `${body}`, `${body}.${mac.toUpperCase()}`, signed.repeat(3), `${signed} `, ` ${signed}`),
    fc.integer({ min: 250, max: 1_200 }).map((n) => (signed + '.').repeat(Math.ceil(n / (signed.length + 1))).slice(0, n)),
  );
};

/** Node refuses to send header values outside tab, printable ASCII and Latin-1: mask the rest. */
const headerSafe = (s: string): string => s.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');

/** Authorization header values: absent, valid, tampered or garbage; residents' and staff's. */
const authorization = (m: Material): fc.Arbitrary<string | undefined> =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constant<string | undefined>(undefined) },
    { weight: 1, arbitrary: fc.constantFrom(`Bearer ${m.token}`, `Bearer ${m.otherToken}`) },
    { weight: 1, arbitrary: fc.constantFrom(...Object.values(m.staff), ...Object.values(m.refused).flat().map((r) => r.token)).map((s) => `Bearer ${s}`) },
    { weight: 2, arbitrary: fc.constantFrom(...new Set(Object.values(m.staff))).chain((s) => mutateSigned(s)).map((s) => `Bearer ${s}`) },
    { weight: 4, arbitrary: mutateSigned(m.token).map((s) => `Bearer ${s}`) },
    { weight: 1, arbitrary: mutateSigned(m.qr).map((s) => `Bearer ${s}`) },
    { weight: 1, arbitrary: fc.constantFrom('Basic xyz', 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'bearer ' + m.token, `Bearer  ${m.token}`, `Bearer\t${m.token}`, `Token ${m.token}`, 'Bearer null', 'Bearer undefined', 'Digest username="x"', `Bearer ${m.qr}`, `${m.token}`) },
    { weight: 2, arbitrary: headerSafeString(400) },
    { weight: 1, arbitrary: headerSafeString(40).map((s) => `Bearer ${s}`) },
    { weight: 1, arbitrary: fc.integer({ min: 290, max: 2_000 }).map((n) => `Bearer ${m.token}${'A'.repeat(n)}`) },
    // Node refuses request heads over 16 KiB before the app sees them (431): stay well below.
  ).map((v) => (v === undefined ? v : headerSafe(v).slice(0, 6_000)));

const JSON_TYPES = [
  'application/json', 'application/json; charset=utf-8', 'application/json;charset=UTF-8', 'APPLICATION/JSON', 'Application/Json',
];
const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...JSON_TYPES) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      undefined, '', ' ', ';', 'application/json; charset=utf-16', 'application/json; charset="latin1"', 'application/json ; foo=bar',
      'application/json;;;', 'application/json; charset', 'application/jsonx', 'application/json-patch+json', 'application/vnd.api+json',
      'application/problem+json', 'text/json', 'text/plain', 'text/plain; charset=utf-8', 'text/html', 'application/xml',
      'application/x-www-form-urlencoded', 'multipart/form-data; boundary=----x', 'multipart/form-data', 'application/octet-stream',
      '*/*', 'application/*', 'application/', '/json', 'json', 'application/json, text/plain', 'application/json\t', 'application/jsön',
    ),
  },
  { weight: 1, arbitrary: headerSafeString(60) },
);
const extraHeaders = fc.oneof(
  { weight: 6, arbitrary: fc.constant({} as Record<string, string>) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Record<string, string>>(
      { 'content-encoding': 'gzip' }, { 'content-encoding': 'br' }, { 'content-encoding': 'deflate' }, { 'content-encoding': 'garbage' },
      { accept: 'application/xml' }, { accept: '' }, { 'accept-charset': 'utf-16' }, { 'x-forwarded-for': '999.999.999.999, ::ffff:' },
      { 'x-request-id': '\u00ff'.repeat(100) }, { cookie: 'a=b; ' + 'c'.repeat(1000) }, { 'content-language': 'zh-CN' },
      { 'accept-encoding': 'gzip, br, *;q=0' }, { range: 'bytes=0-1' }, { 'if-none-match': '*' }, { host: 'evil.example' },
    ),
  },
  { weight: 1, arbitrary: fc.tuple(fc.stringMatching(/^x-[a-z0-9-]{1,20}$/), headerSafeString(200)).map(([k, v]) => ({ [k]: v })) },
);

type Template = Record<string, unknown>;

function templates(m: Material, index: number | string): Record<string, Template> {
  const tube = `FZ-${index}`;
  return {
    '/api/v1/session': { idNumber: m.idNumber, phone: m.phone },
    '/api/v1/samples/scan': { tube, site: 'fuzz-site', table: 3, qr: m.qr },
    '/api/v1/samples/manual': { tube, site: 'fuzz-site', table: 3, idNumber: m.idNumber },
    '/api/v1/lab/results': { tube, result: 'negative', lab: 'fuzz-lab' },
    '/api/v1/checkpoints/verify': { qr: m.qr, checkpoint: 'fuzz-gate', kind: 'metro' },
    '/api/v1/code': {},
  };
}

/** Values made to break each field; built once per run (building arbitraries is not free). */
function badValues(m: Material): Record<string, fc.Arbitrary<unknown>> {
  const specific: Record<string, fc.Arbitrary<unknown>> = {
    idNumber: badIdNumber(m.idNumber),
    phone: fc.oneof(fc.stringMatching(/^1[0-9]{10}$/), fc.string({ unit: fc.constantFrom(...'0123456789+- '), maxLength: 16 }), fc.constant(`${m.phone} `), fc.constant(Number(m.phone))),
    qr: fc.oneof(mutateSigned(m.qr), fc.constantFrom(m.token, m.otherToken)),
    tube: fc.oneof(
      fc.constantFrom(m.closedTube, m.fullTube, 'abc', 'x'.repeat(41), 'tube 1', 'tube_1', 'tube/../1', 'FZ-☃', 'FZ-\u0000', '-'.repeat(4), 'FZ-1\n'),
      fc.string({ unit: fc.constantFrom(...'Aa0-_ ./%'), maxLength: 45 }),
    ),
    site: weirdString,
    lab: weirdString,
    checkpoint: weirdString,
    table: extremeNumber,
    result: fc.constantFrom('positive', 'POSITIVE', 'Negative', 'neg', '', ' negative', 'inconclusive', 'positive\u0000'),
    kind: fc.constantFrom('metro', 'hospital', 'shop', 'checkpoint', 'Metro', 'airport', '', 'metro ', 'checkpoints'),
  };
  return Object.fromEntries(
    Object.entries(specific).map(([field, arb]) => [field, fc.oneof({ weight: 3, arbitrary: arb }, { weight: 2, arbitrary: weirdValue })]),
  );
}

type FieldMutation = (obj: Template) => Template;

function fieldMutation(fields: readonly string[], bad: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<FieldMutation> {
  const ops: fc.Arbitrary<FieldMutation>[] = [
    // Add a field.
    fc.tuple(fc.oneof(weirdString, fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'admin', 'id', 'idNumber ', 'IDNUMBER')), weirdValue).map(
      ([k, v]) => (o: Template) => {
        const copy: Template = { ...o };
        Object.defineProperty(copy, k, { value: v, enumerable: true, writable: true, configurable: true });
        return copy;
      },
    ),
  ];
  if (fields.length > 0) {
    // Drop a field.
    ops.push(fc.constantFrom(...fields).map((f) => (o: Template) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== f))));
    // Replace a field's value (twice the weight).
    const replace = fc.oneof(...fields.map((f) => (bad[f] ?? weirdValue).map((v) => (o: Template) => ({ ...o, [f]: v }))));
    ops.push(replace, replace);
  }
  return fc.oneof(...ops);
}

/** JSON bodies that are not a well-formed object: broken, truncated, binary, nested, huge. */
function brokenBody(valid: string): fc.Arbitrary<string | Buffer> {
  return fc.oneof(
    fc.nat({ max: Math.max(0, valid.length - 1) }).map((n) => valid.slice(0, n)),
    fc.uint8Array({ maxLength: 2_000 }).map((a) => Buffer.from(a)),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.integer({ min: 1, max: 20_000 }).map((n) => '['.repeat(n)),
    fc.integer({ min: 1, max: 8_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
    fc.integer({ min: 1, max: 3_000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
    fc.integer({ min: 1, max: 3_000 }).map((n) => `{"idNumber":${'['.repeat(n)}"x"${']'.repeat(n)}}`),
    fc.integer({ min: 16 * 1024 - 64, max: 80_000 }).map((n) => valid.replace(/}$/, `,"pad":"${'p'.repeat(n)}"}`)),
    fc.integer({ min: 16 * 1024, max: 80_000 }).map((n) => ' '.repeat(n) + valid),
    fc.constantFrom(
      '', ' ', '\n', '\u0000', 'null', 'true', '0', '-0', '1e309', '""', '[]', '{}', '[{}]', '{"":""}', 'undefined', 'NaN',
      `\ufeff${valid}`, `${valid}garbage`, `${valid}${valid}`, `${valid},`, valid.replace(/"/g, "'"), valid.replace(/:/g, '='),
      valid.replace(/^\{/, '{"__proto__":{"isAdmin":true},'), valid.replace(/^\{/, '{"constructor":{"prototype":{"x":1}},'),
      valid.replace(/}$/, ',"idNumber":"1"}'), `[${valid}]`, JSON.stringify(valid), `{${valid}}`, valid.replace(/"/, '"\u0000'),
    ),
    fc.constant(Buffer.concat([Buffer.from(valid.slice(0, 10)), Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xff, 0xfe]), Buffer.from(valid.slice(10))])),
    fc.constant(Buffer.from(valid, 'utf16le')),
    fc.constant(Buffer.from(`\ufeff${valid}`, 'utf16le')),
  );
}

const queryString = fc.oneof(
  { weight: 8, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.constantFrom('?', '?a=1', '?__proto__[x]=1', '?tube=1&tube=2', '?x=%', '?x=%zz', '?' + 'a=1&'.repeat(500), '?idNumber=1', '?;', '?%00') },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'abc=&%[]+;0'), maxLength: 40 }).map((s) => `?${s}`) },
);

/** Stands for the request's index in a template's tube id, so that no two requests share a new tube. */
const IDX = '@@IDX@@';

function requestArb(m: Material): fc.Arbitrary<(index: number) => FuzzRequest> {
  const bad = badValues(m);
  const auth = authorization(m);
  const postRoutes = API_ROUTES.filter((r) => r.method === 'POST');

  // 1. A route's body with 1–3 fields dropped, added or given bad values.
  const bodyFuzz = fc.oneof(
    ...postRoutes.map((route) => {
      const fields = Object.keys(templates(m, 0)[route.path] ?? {});
      // A staff route's body only reaches validation with the right credential: mostly that one.
      const routeAuth = isStaffPath(route.path) ? fc.oneof({ weight: 3, arbitrary: fc.constant(`Bearer ${m.staff[route.path]}`) }, { weight: 1, arbitrary: auth }) : auth;
      return fc
        .tuple(fc.array(fieldMutation(fields, bad), { minLength: 1, maxLength: 3 }), fc.nat(), contentType, routeAuth, extraHeaders, queryString, fc.boolean())
        .map(([mutations, salt, type, authValue, extra, query, chunked]) => (index: number): FuzzRequest => {
          let body = templates(m, index)[route.path] ?? {};
          for (const mutate of mutations) body = mutate(body);
          const headers: Record<string, string> = { ...extra };
          if (type !== undefined) headers['content-type'] = type;
          if (authValue !== undefined) headers['authorization'] = authValue;
          return { kind: 'fields', method: route.method, path: route.path + query, headers, body: toJson(body), chunked: chunked && salt % 8 === 0 };
        });
    }),
  );

  // 2. A route's body broken as JSON text or bytes.
  const jsonFuzz = fc.oneof(
    ...API_ROUTES.map((route) =>
      fc.tuple(brokenBody(toJson(templates(m, IDX)[route.path] ?? {})), fc.constantFrom(...JSON_TYPES), auth).map(
        ([body, type, authValue]) =>
          (index: number): FuzzRequest => {
            const headers: Record<string, string> = { 'content-type': type };
            if (authValue !== undefined && route.path === '/api/v1/code') headers['authorization'] = authValue;
            if (isStaffPath(route.path)) headers['authorization'] = `Bearer ${m.staff[route.path]}`;
            return { kind: 'json', method: route.method, path: route.path, headers, body: typeof body === 'string' ? body.replaceAll(IDX, String(index)) : body };
          },
      ),
    ),
  );

  // 3. Well-formed bodies under odd headers: content types, encodings, authorization.
  const headerFuzz = fc
    .tuple(fc.constantFrom(...API_ROUTES), contentType, auth, extraHeaders, fc.boolean(), fc.boolean())
    .map(([route, type, auth, extra, withBody, chunked]) => (index: number) => {
      const headers: Record<string, string> = { ...extra };
      if (type !== undefined) headers['content-type'] = type;
      if (auth !== undefined) headers['authorization'] = auth;
      const template = templates(m, index)[route.path] ?? {};
      const body = route.method === 'GET' && !withBody ? undefined : toJson(template);
      return { kind: 'headers', method: route.method, path: route.path, headers, ...(body === undefined ? {} : { body }), chunked: chunked && body !== undefined };
    });

  // 4. GET /api/v1/code with a tampered, foreign or garbage token.
  const tokenFuzz = fc
    .tuple(fc.oneof({ weight: 5, arbitrary: mutateSigned(m.token) }, { weight: 1, arbitrary: mutateSigned(m.qr) }, { weight: 1, arbitrary: headerSafeString(100) }), fc.constantFrom('Bearer ', 'Bearer ', 'Bearer ', 'bearer ', 'Basic ', ''))
    .map(([token, scheme]) => (_index: number) => ({
      kind: 'token',
      method: 'GET',
      path: '/api/v1/code',
      headers: { authorization: headerSafe(`${scheme}${token}`).slice(0, 6_000) },
    }));

  // 5. Scan and verify with a tampered QR payload, everything else valid.
  const qrFuzz = fc
    .tuple(fc.constantFrom('/api/v1/samples/scan', '/api/v1/checkpoints/verify'), mutateSigned(m.qr))
    .map(([path, qr]) => (index: number) => ({
      kind: 'qr',
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${m.staff[path]}` },
      body: toJson({ ...(templates(m, index)[path] ?? {}), qr }),
    }));

  // 6. Manual entry and sign-in with bad ID numbers.
  const idFuzz = fc
    .tuple(fc.constantFrom('/api/v1/session', '/api/v1/samples/manual'), badIdNumber(m.idNumber))
    .map(([path, idNumber]) => (index: number) => ({
      kind: 'idNumber',
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json', ...(path === '/api/v1/samples/manual' ? { authorization: `Bearer ${m.staff[path]}` } : {}) },
      body: toJson({ ...(templates(m, index)[path] ?? {}), idNumber }),
    }));

  // 7. Wrong methods on every route, with and without a body.
  const methodFuzz = fc
    .tuple(fc.constantFrom(...API_ROUTES.map((r) => r.path), ...PROBES), fc.constantFrom(...METHODS), fc.boolean(), contentType, auth)
    .filter(([path, method]) => !API_ROUTES.some((r) => r.path === path && r.method === method) && !(PROBES.includes(path as (typeof PROBES)[number]) && (method === 'GET' || method === 'HEAD')))
    .map(([path, method, withBody, type, auth]) => (index: number) => {
      const headers: Record<string, string> = {};
      if (type !== undefined) headers['content-type'] = type;
      if (auth !== undefined) headers['authorization'] = auth;
      const template = templates(m, index)[path];
      return { kind: 'method', method, path, headers, ...(withBody ? { body: toJson(template ?? { a: 1 }) } : {}) };
    });

  return fc.oneof(
    { weight: 30, arbitrary: bodyFuzz },
    { weight: 14, arbitrary: jsonFuzz },
    { weight: 12, arbitrary: headerFuzz },
    { weight: 12, arbitrary: tokenFuzz },
    { weight: 12, arbitrary: qrFuzz },
    { weight: 10, arbitrary: idFuzz },
    { weight: 10, arbitrary: methodFuzz },
  );
}

const REFUSALS = new Set(['AUTH_REQUIRED', 'AUTH_INVALID', 'FORBIDDEN_ROLE', 'FORBIDDEN_SCOPE']);

/**
 * Staff routes with valid bodies (a new tube each) and a credential that must be refused:
 * missing, garbage, the right one tampered with, expired, another server's, a resident's, the
 * wrong role, another site, lab or gate (also aimed at a tube of this site or lab).
 */
function authArb(m: Material): fc.Arbitrary<(index: number) => FuzzRequest> {
  return fc
    .constantFrom(...STAFF_PATHS)
    .chain((path) => {
      const right = `Bearer ${m.staff[path]}`;
      const header: fc.Arbitrary<{ value: string | undefined; body?: Template }> = fc.oneof(
        { weight: 1, arbitrary: fc.constant({ value: undefined }) },
        { weight: 1, arbitrary: headerSafeString(80).map((value) => ({ value })) },
        // The right token tampered with (never, after the parser trims it, the right one again).
        { weight: 3, arbitrary: mutateSigned(m.staff[path]).map((tok) => ({ value: headerSafe(`Bearer ${tok}`).slice(0, 6_000) })).filter((h) => h.value.trim() !== right) },
        { weight: 4, arbitrary: fc.constantFrom(...m.refused[path]).map((r) => ({ value: `Bearer ${r.token}`, ...(r.body === undefined ? {} : { body: r.body }) })) },
      );
      return fc.tuple(fc.constant(path), header);
    })
    .map(([path, h]) => (index: number): FuzzRequest => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (h.value !== undefined) headers['authorization'] = h.value;
      return { kind: 'auth', method: 'POST', path, headers, body: toJson({ ...(templates(m, `AUTH-${index}`)[path] ?? {}), ...h.body }) };
    });
}

/**
 * What fails before the app's router: paths with bad percent-escapes, dot segments, odd slashes,
 * case and length; and request heads too large for node (over 16 KiB of headers).
 */
function protocolArb(m: Material): fc.Arbitrary<(index: number) => FuzzRequest> {
  const bigHead = fc
    .tuple(fc.constantFrom(...API_ROUTES), fc.integer({ min: 17_000, max: 40_000 }), fc.constantFrom('authorization', 'x-padding', 'cookie'))
    .map(([route, n, name]) => (_index: number) => ({
      kind: 'head',
      method: route.method,
      path: route.path,
      headers: { 'content-type': 'application/json', [name]: name === 'authorization' ? `Bearer ${m.token}${'A'.repeat(n)}` : 'z'.repeat(n) },
      ...(route.method === 'POST' ? { body: '{}' } : {}),
    }));
  return fc.oneof({ weight: 19, arbitrary: urlArb() }, { weight: 1, arbitrary: bigHead });
}

/** The paths themselves mangled: percent-escapes, dot segments, slashes, case, length. */
function urlArb(): fc.Arbitrary<(index: number) => FuzzRequest> {
  const routes = [...API_ROUTES.map((r) => ({ method: r.method as string, path: r.path as string })), ...PROBES.map((p) => ({ method: 'GET', path: p as string }))];
  const piece = fc.constantFrom('%', '%2', '%zz', '%00', '%2F', '%2f', '%c3', '%c3%28', '%ff', '%25', '%u0041', '/', '//', '/./', '/../', '..', ';', ';a=b', '#', '#x', '?', '%20', '+', '~', '@', ':', '*', '%E2%80%AE');
  return fc
    .tuple(fc.constantFrom(...routes), fc.array(fc.tuple(fc.nat(), piece), { minLength: 1, maxLength: 3 }), fc.constantFrom('none', 'upper', 'trailing', 'long', 'prefix'))
    .map(([route, inserts, variant]) => (_index: number) => {
      let path = route.path;
      for (const [at, p] of inserts) {
        const i = 1 + (at % path.length);
        path = path.slice(0, i) + p + path.slice(i);
      }
      if (variant === 'upper') path = path.toUpperCase();
      if (variant === 'trailing') path += '/';
      if (variant === 'long') path += `/${'a'.repeat(3_000)}`;
      if (variant === 'prefix') path = `/api/v1/../v1${path}`;
      const headers: Record<string, string> = route.method === 'POST' ? { 'content-type': 'application/json' } : {};
      return { kind: 'url', method: route.method, path, headers, ...(route.method === 'POST' ? { body: '{}' } : {}) };
    });
}

// --- tests -----------------------------------------------------------------------------------

describe('fuzzing the HTTP API (hardened, fast-check)', () => {
  it(
    `${REQUESTS.toLocaleString('en')} malformed requests over every route: never 5xx, every 4xx in the error shape`,
    async () => {
      const drawing = performance.now();
      const makers = fc.sample(requestArb(material), { seed: SEED, numRuns: REQUESTS });
      const requests = makers.map((make, index) => make(index));
      console.log(`fuzz: fast-check seed ${SEED}; ${requests.length} requests drawn in ${((performance.now() - drawing) / 1000).toFixed(1)} s`);
      // FUZZ_DUMP=n prints the first n requests as drawn (to see what the generators make).
      const dump = Number(process.env['FUZZ_DUMP'] ?? 0);
      for (const [index, r] of requests.slice(0, dump).entries()) {
        console.log(describeViolation({ index, request: r, outcome: { status: 0, text: '' }, why: 'dump' }).split('\n  response')[0]);
      }
      const result = await run(requests);
      const report = summarise('fuzz (bodies, JSON, headers, tokens, QR, ID numbers, methods)', result);
      console.log(report);
      expect(result.sent).toBeGreaterThanOrEqual(10_000);
      expect(result.violations.map(describeViolation).slice(0, 5).join('\n'), `${result.violations.length} violations (all printed above)`).toBe('');
    },
    90_000,
  );

  it(
    'malformed URLs and oversized request heads: never 5xx, every 4xx in the error shape',
    async () => {
      const makers = fc.sample(protocolArb(material), { seed: SEED + 1, numRuns: URL_REQUESTS });
      const result = await run(makers.map((make, index) => make(index)));
      const report = summarise('fuzz (URLs and request heads)', result);
      console.log(report);
      expect(result.sent).toBe(URL_REQUESTS);
      expect(result.violations.map(describeViolation).slice(0, 5).join('\n'), `${result.violations.length} violations (all printed above)`).toBe('');
    },
    60_000,
  );

  it(
    `${AUTH_REQUESTS.toLocaleString('en')} valid staff requests with forged, expired, wrong-role and other-site credentials: all 401/403, nothing written`,
    async () => {
      const db = new pg.Client({ connectionString: t.stack.postgres.url });
      await db.connect();
      try {
        const written = async () =>
          (
            await db.query(
              `SELECT (SELECT count(*) FROM tubes)::int AS tubes, (SELECT count(*) FROM tubes WHERE result IS NOT NULL)::int AS results,
                      (SELECT count(*) FROM samples)::int AS samples, (SELECT count(*) FROM manual_entries)::int AS manual_entries,
                      (SELECT count(*) FROM checkpoint_scans)::int AS scans, (SELECT count(*) FROM audit)::int AS audit,
                      (SELECT count(*) FROM health_codes)::int AS codes, (SELECT coalesce(sum(version), 0) FROM health_codes)::int AS versions`,
            )
          ).rows[0];
        const before = await written();
        const makers = fc.sample(authArb(material), { seed: SEED + 2, numRuns: AUTH_REQUESTS });
        const requests = makers.map((make, index) => make(index));
        const result = await run(requests);
        console.log(summarise('fuzz (staff credentials)', result));
        expect(result.violations.map(describeViolation).slice(0, 5).join('\n'), `${result.violations.length} violations (all printed above)`).toBe('');
        const accepted = [...result.statuses.keys()].filter((key) => !/^(401|403) /.test(key) || !REFUSALS.has(key.split(' ')[1] ?? ''));
        expect(accepted, 'every answer a 401 or 403 with an auth code').toEqual([]);
        // Every kind of bad credential was tried, on every staff route.
        const kinds = new Set(requests.map((r) => `${r.path} ${r.headers['authorization'] === undefined ? 'none' : 'some'}`));
        expect(kinds.size).toBe(2 * STAFF_PATHS.length);
        expect(await written()).toEqual(before);
      } finally {
        await db.end();
      }
    },
    60_000,
  );

  it('the server is still up and serving afterwards', async () => {
    const healthz = await t.request('GET', '/healthz');
    expect(healthz.status).toBe(200);
    const readyz = await t.request('GET', '/readyz');
    expect(readyz.status, readyz.text).toBe(200);
    expect(readyz.json).toEqual({ status: 'ready', postgres: true, redis: true });
    // A normal sign-in and code, for a resident the fuzzing never touched.
    const token = await t.signIn(100);
    const code = await t.request('GET', '/api/v1/code', { token });
    expect(code.status, code.text).toBe(200);
    expect(code.json.colour).toBe('green');
    expect(code.json.qr.payload).toMatch(/^q1\.100\.green\.0\.\d+\.[A-Za-z0-9_-]{22}$/);
    // No worker died (and was quietly respawned) along the way.
    expect(workerExits).toBe(0);
  });
});
