// Long because: the HTTP client's tables (response parser, outcomes, request heads, the pooled client, local addresses) against local servers.
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Client, type HttpResult, NEED_MORE, PARSE_ERROR, ResponseParser, outcomeOfErrorCode, outcomeOfStatus } from '../../src/engine/http/index.js';
import { RequestHeads } from '../../src/engine/http/request-head.js';
import { waitFor } from '../helpers/wait.js';

const HOST = '127.0.0.1';

// ---------------------------------------------------------------------------------------------
// The parser, without sockets.

interface Parsed {
  readonly status: number;
  readonly keepAlive: boolean;
  readonly body: string;
  readonly bytes: number;
  /** Offset after the response within the input (bytes after it are not this response's). */
  readonly end: number;
  readonly retryAfterS: number;
}

/** Feeds `text` in pieces of `step` bytes (reusing one scratch buffer, as the client does). */
function parse(text: string, options: { step?: number; isHead?: boolean; eof?: boolean } = {}): Parsed | 'error' | 'incomplete' {
  const input = Buffer.from(text, 'latin1');
  const step = options.step ?? input.length;
  const scratch = Buffer.alloc(Math.max(1, step) + 16, 0x41); // stale bytes past `end` must be ignored
  const parser = new ResponseParser();
  parser.reset(options.isHead === true, true);
  for (let at = 0; at < input.length; at += step) {
    const n = input.copy(scratch, 0, at, Math.min(at + step, input.length));
    const r = parser.execute(scratch, 0, n);
    if (r === PARSE_ERROR) return 'error';
    if (r !== NEED_MORE) {
      return { status: parser.status, keepAlive: parser.keepAlive, body: parser.body(), bytes: parser.bodyBytes, end: at + r, retryAfterS: parser.retryAfterS };
    }
  }
  if (options.eof === true && parser.finishAtEof()) {
    return { status: parser.status, keepAlive: parser.keepAlive, body: parser.body(), bytes: parser.bodyBytes, end: input.length, retryAfterS: parser.retryAfterS };
  }
  return 'incomplete';
}

const CHUNKED_WITH_EXTRAS =
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n' +
  '5;name=value;q="quoted;still"\r\n{"a":\r\n' +
  'A ; ext\r\n1,"b":[2,3\r\n' +
  '2\r\n]}\r\n' +
  '0;last=yes\r\nX-Checksum: abc\r\nServer-Timing: db;dur=53\r\n\r\n';

describe('ResponseParser', () => {
  const cases: readonly { name: string; text: string; isHead?: boolean; eof?: boolean; want: Partial<Parsed> | 'error' | 'incomplete' }[] = [
    {
      name: 'Content-Length body',
      text: 'HTTP/1.1 200 OK\r\nDate: x\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhello',
      want: { status: 200, keepAlive: true, body: 'hello', bytes: 5 },
    },
    {
      name: 'header names in any case, values with spaces around',
      text: 'HTTP/1.1 404 Not Found\r\nCONTENT-length:   3  \r\ncOnNeCtIoN:\tClose\r\n\r\nnop',
      want: { status: 404, keepAlive: false, body: 'nop' },
    },
    { name: 'chunked with extensions and trailers', text: CHUNKED_WITH_EXTRAS, want: { status: 200, keepAlive: true, body: '{"a":1,"b":[2,3]}', bytes: 17 } },
    {
      name: 'chunked named in any case, last coding',
      text: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, CHUNKED\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
      want: { body: 'abc', keepAlive: true },
    },
    { name: 'Connection: close among other tokens', text: 'HTTP/1.1 200 OK\r\nConnection: upgrade, close\r\nContent-Length: 0\r\n\r\n', want: { keepAlive: false } },
    { name: 'HTTP/1.0 closes by default', text: 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok', want: { keepAlive: false, body: 'ok' } },
    { name: 'HTTP/1.0 with keep-alive', text: 'HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok', want: { keepAlive: true } },
    { name: 'interim 100 Continue is skipped', text: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok', want: { status: 201, body: 'ok' } },
    { name: 'HEAD: no body whatever Content-Length says', text: 'HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n', isHead: true, want: { status: 200, bytes: 0, keepAlive: true } },
    { name: 'Retry-After in seconds is read', text: 'HTTP/1.1 503 Service Unavailable\r\nretry-after:  7 \r\nContent-Length: 0\r\n\r\n', want: { status: 503, retryAfterS: 7 } },
    { name: 'Retry-After as a date is not read', text: 'HTTP/1.1 503 X\r\nRetry-After: Fri, 31 Dec 1999 23:59:59 GMT\r\nContent-Length: 0\r\n\r\n', want: { status: 503, retryAfterS: -1 } },
    { name: 'no Retry-After', text: 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', want: { status: 200, retryAfterS: -1 } },
    { name: '204 has no body', text: 'HTTP/1.1 204 No Content\r\n\r\n', want: { status: 204, bytes: 0 } },
    { name: '304 has no body', text: 'HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n', want: { status: 304, bytes: 0 } },
    { name: 'body until the connection closes', text: 'HTTP/1.1 200 OK\r\n\r\nall of it', eof: true, want: { body: 'all of it', keepAlive: false } },
    { name: 'cut short: incomplete', text: 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort', eof: true, want: 'incomplete' },
    { name: 'bare LF line endings', text: 'HTTP/1.1 200 OK\nContent-Length: 2\n\nok', want: { status: 200, body: 'ok' } },
    { name: 'status line without a reason', text: 'HTTP/1.1 503\r\nContent-Length: 0\r\n\r\n', want: { status: 503 } },
    { name: 'not HTTP', text: 'SSH-2.0-OpenSSH\r\n\r\n', want: 'error' },
    { name: 'invalid status code', text: 'HTTP/1.1 2x0 OK\r\n\r\n', want: 'error' },
    { name: 'conflicting Content-Length', text: 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', want: 'error' },
    { name: 'invalid chunk size', text: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', want: 'error' },
    { name: 'chunk data not followed by CRLF', text: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n', want: 'error' },
    { name: 'header line without a colon', text: 'HTTP/1.1 200 OK\r\nnonsense\r\n\r\n', want: 'error' },
  ];

  for (const c of cases) {
    it(`${c.name}: whole, and split at every byte`, () => {
      for (const step of [Number.MAX_SAFE_INTEGER, 1, 2, 7]) {
        const got = parse(c.text, { step: Math.min(step, c.text.length), ...(c.isHead === undefined ? {} : { isHead: c.isHead }), ...(c.eof === undefined ? {} : { eof: c.eof }) });
        if (typeof c.want === 'string') expect(got, `step ${step}`).toBe(c.want);
        else expect(got, `step ${step}`).toMatchObject(c.want);
      }
    });
  }

  it('stops at the end of a response: pipelined bytes are never taken into it', () => {
    const first = 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none';
    const got = parse(`${first}HTTP/1.1 500 Oops\r\nContent-Length: 3\r\n\r\ntwo`);
    expect(got).toMatchObject({ status: 200, body: 'one', end: first.length });
    const chunked = parse(`${CHUNKED_WITH_EXTRAS}HTTP/1.1 200 OK\r\n\r\n`);
    expect(chunked).toMatchObject({ end: CHUNKED_WITH_EXTRAS.length });
  });

  it('refuses a head larger than 64 KiB', () => {
    expect(parse(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`, { step: 1000 })).toBe('error');
  });
});

describe('outcomes', () => {
  it('classifies statuses and socket errors', () => {
    const statuses = [200, 204, 301, 304, 400, 404, 429, 500, 502, 503, 504, 99, 600];
    expect(statuses.map(outcomeOfStatus)).toEqual(['ok', 'ok', 'ok', 'ok', '4xx', '4xx', 'shed', '5xx', '5xx', 'shed', '5xx', 'other', 'other']);
    const codes = ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', undefined];
    expect(codes.map(outcomeOfErrorCode)).toEqual(['refused', 'reset', 'reset', 'timeout', 'other', 'other']);
  });
});

describe('RequestHeads', () => {
  it('builds a head once per headers object, method and path, and frames bodies itself', () => {
    const heads = new RequestHeads('127.0.0.1:8080');
    const headers = { authorization: 'Bearer t', 'Content-Length': '999' };
    const first = heads.encode({ method: 'GET', path: '/a?b=1', headers });
    expect(heads.encode({ method: 'GET', path: '/a?b=1', headers })).toBe(first); // the same Buffer
    expect(first.toString()).toBe('GET /a?b=1 HTTP/1.1\r\nhost: 127.0.0.1:8080\r\nauthorization: Bearer t\r\n\r\n');
    expect(heads.encode({ method: 'GET', path: '/a?b=1', headers: { ...headers } })).not.toBe(first);
    expect(heads.encode({ method: 'POST', path: '/p', headers: { Host: 'api.test' }, body: 'Zhāng' })).toBe(
      'POST /p HTTP/1.1\r\nHost: api.test\r\ncontent-length: 6\r\n\r\nZhāng',
    );
    expect(heads.encode({ method: 'POST', path: '/p' }).toString()).toContain('content-length: 0\r\n\r\n');
  });
});

// ---------------------------------------------------------------------------------------------
// The client, against servers started here.

interface Served {
  readonly port: number;
  readonly origin: string;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** A node:http server; `GET /status/N` answers N, `/json` JSON, `/slow/MS` after MS ms, `/never` never. */
async function httpServer(): Promise<Served> {
  let connections = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      const [, route, arg] = url.split('/');
      if (route === 'status') {
        res.statusCode = Number(arg);
        res.end(`status ${arg}`);
      } else if (route === 'json') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ code: 'green', method: req.method, received: Buffer.concat(chunks).toString('utf8'), host: req.headers.host, tag: req.headers['x-tag'] }));
      } else if (route === 'slow') {
        setTimeout(() => res.end('slow'), Number(arg));
      } else if (route === 'never') {
        // no answer
      } else if (route === 'chunked') {
        res.write('first,');
        setTimeout(() => res.end('second'), 5);
      } else {
        res.end('hello');
      }
    });
  });
  server.on('connection', () => connections++);
  const port = await listen(server);
  return {
    port,
    origin: `http://${HOST}:${port}`,
    connections: () => connections,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A raw TCP server: `onConnection` gets each socket and its index (0, 1, …). */
async function rawServer(onConnection: (socket: net.Socket, index: number) => void): Promise<Served> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.setNoDelay(true);
    onConnection(socket, connections++);
  });
  const port = await listen(server);
  return {
    port,
    origin: `http://${HOST}:${port}`,
    connections: () => connections,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
}

/** Calls `onRequest` once per complete request head (requests here have no body). */
function onRequests(socket: net.Socket, onRequest: (n: number) => void): void {
  let pending = '';
  let n = 0;
  socket.on('data', (chunk: Buffer) => {
    pending += chunk.toString('latin1');
    for (let at = pending.indexOf('\r\n\r\n'); at >= 0; at = pending.indexOf('\r\n\r\n')) {
      pending = pending.slice(at + 4);
      onRequest(n++);
    }
  });
}

/** Writes `text` one byte at a time, each in its own TCP segment. */
async function writeByteByByte(socket: net.Socket, text: string): Promise<void> {
  for (let i = 0; i < text.length && !socket.destroyed; i++) {
    socket.write(text[i]!, 'latin1');
    await sleep(1);
  }
}

const get = (path: string) => ({ method: 'GET', path }) as const;

/** One turn of the event loop (setImmediate is never faked here): promise callbacks and pending I/O run. */
const ioTurn = () => new Promise<void>((r) => setImmediate(r));

describe('Client', () => {
  let server: Awaited<ReturnType<typeof httpServer>>;
  const clients: Client[] = [];
  const extra: Served[] = [];
  const client = (origin: string, connections = 4, more: { timeoutMs?: number } = {}): Client => {
    const c = new Client(origin, { connections, ...more });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await httpServer();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(extra.splice(0).map((s) => s.close()));
  });
  afterAll(() => server.close());

  it('classifies ok, 4xx, 5xx and shed (429, 503)', async () => {
    const c = client(server.origin);
    const statuses = [200, 201, 302, 400, 404, 429, 500, 502, 503];
    const results = await Promise.all(statuses.map((s) => c.request(get(`/status/${s}`))));
    expect(results.map((r) => [r.status, r.outcome])).toEqual([
      [200, 'ok'],
      [201, 'ok'],
      [302, 'ok'],
      [400, '4xx'],
      [404, '4xx'],
      [429, 'shed'],
      [500, '5xx'],
      [502, '5xx'],
      [503, 'shed'],
    ]);
    expect(results[0]).toMatchObject({ bytes: 'status 200'.length });
    expect(results[0]).not.toHaveProperty('body');
    for (const r of results) {
      expect(r.serviceUs).toBeGreaterThan(0);
      expect(r.latencyUs).toBeGreaterThanOrEqual(r.serviceUs);
    }
  });

  it('returns the body as text on request (JSON for journeys), and sends bodies and headers', async () => {
    const c = client(server.origin);
    const headers = { 'content-type': 'application/json', 'x-tag': 'journey-7' };
    const post = await c.request({ method: 'POST', path: '/json', headers, body: JSON.stringify({ name: 'Zhāng' }) }, { wantBody: true });
    expect(post.outcome).toBe('ok');
    expect(JSON.parse(post.body!)).toEqual({ code: 'green', method: 'POST', received: '{"name":"Zhāng"}', host: `${HOST}:${server.port}`, tag: 'journey-7' });
    const bytes = await c.request({ method: 'PUT', path: '/json', body: new TextEncoder().encode('raw') }, { wantBody: true });
    expect(JSON.parse(bytes.body!)).toMatchObject({ method: 'PUT', received: 'raw' });
    const empty = await c.request({ method: 'POST', path: '/json' }, { wantBody: true });
    expect(JSON.parse(empty.body!)).toMatchObject({ method: 'POST', received: '' });
    const head = await c.request({ method: 'HEAD', path: '/json' });
    expect(head).toMatchObject({ status: 200, outcome: 'ok', bytes: 0 });
    // The same socket still works after a HEAD whose Content-Length had no body behind it.
    expect((await c.request(get('/json'), { wantBody: true })).body).toContain('"GET"');
  });

  it('reads chunked bodies (node:http) and reuses one socket for sequential requests', async () => {
    const before = server.connections();
    const c = client(server.origin);
    for (let i = 0; i < 20; i++) {
      const r = await c.request(get(i % 2 === 0 ? '/chunked' : '/'), { wantBody: true });
      expect(r.body).toBe(i % 2 === 0 ? 'first,second' : 'hello');
    }
    expect(server.connections() - before).toBe(1);
    expect(c.stats).toMatchObject({ open: 1, idle: 1, opened: 1, inFlight: 0, queued: 0 });
  });

  it('queues requests beyond the pool limit and never opens more sockets; latency counts the wait for a socket, service time does not', async () => {
    // The server answers when the test says, and the client's clock is the test's: three
    // rounds of 60 ms on two sockets, exactly.
    const waiting: net.Socket[] = [];
    const raw = await rawServer((socket) => onRequests(socket, () => waiting.push(socket)));
    extra.push(raw);
    let clock = 0;
    const c = new Client(raw.origin, { connections: 2, now: () => clock });
    clients.push(c);
    const pending = Array.from({ length: 6 }, () => c.request(get('/')));
    expect(c.stats).toMatchObject({ open: 2, queued: 4 });
    for (let round = 1; round <= 3; round++) {
      await waitFor(`round ${round}: two requests at the server`, () => (waiting.length >= 2 ? true : undefined));
      expect(waiting).toHaveLength(2);
      expect(c.stats).toMatchObject({ open: 2, inFlight: 2, queued: 6 - 2 * round });
      clock = round * 60;
      for (const socket of waiting.splice(0)) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    }
    const results = await Promise.all(pending);
    expect(results.map((r) => r.outcome)).toEqual(Array(6).fill('ok'));
    expect(raw.connections()).toBe(2);
    expect(results.map((r) => r.latencyUs)).toEqual([60_000, 60_000, 120_000, 120_000, 180_000, 180_000]);
    expect(results.map((r) => r.serviceUs)).toEqual(Array(6).fill(60_000));
  });

  it('reads chunk extensions and trailers split across TCP segments at every byte', async () => {
    const raw = await rawServer((socket) => onRequests(socket, () => void writeByteByByte(socket, CHUNKED_WITH_EXTRAS)));
    extra.push(raw);
    const c = client(raw.origin);
    for (let i = 0; i < 2; i++) {
      const r = await c.request(get('/'), { wantBody: true });
      expect(r).toMatchObject({ status: 200, outcome: 'ok', body: '{"a":1,"b":[2,3]}', bytes: 17 });
    }
    expect(raw.connections()).toBe(1);
  });

  it('reads a Content-Length response written byte by byte', async () => {
    const response = 'HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 4\r\n\r\nbusy';
    const raw = await rawServer((socket) => onRequests(socket, () => void writeByteByByte(socket, response)));
    extra.push(raw);
    const r = await client(raw.origin).request(get('/'), { wantBody: true });
    expect(r).toMatchObject({ status: 503, outcome: 'shed', body: 'busy' });
  });

  it('honours Connection: close, and a body that ends with the connection', async () => {
    const raw = await rawServer((socket, index) =>
      onRequests(socket, () => {
        if (index === 0) socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nfirst');
        else socket.end('HTTP/1.1 200 OK\r\n\r\nuntil the end');
      }),
    );
    extra.push(raw);
    const c = client(raw.origin, 1);
    expect(await c.request(get('/'), { wantBody: true })).toMatchObject({ outcome: 'ok', body: 'first' });
    expect(await c.request(get('/'), { wantBody: true })).toMatchObject({ outcome: 'ok', body: 'until the end' });
    expect(raw.connections()).toBe(2);
  });

  it('drops a socket that sent bytes nobody asked for', async () => {
    const raw = await rawServer((socket, index) =>
      onRequests(socket, () => {
        const body = `conn${index}`;
        // Two responses to one request: the second must never reach the next request.
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n${body}HTTP/1.1 500 Stale\r\nContent-Length: 5\r\n\r\nstale`);
      }),
    );
    extra.push(raw);
    const c = client(raw.origin, 1);
    expect(await c.request(get('/'), { wantBody: true })).toMatchObject({ status: 200, body: 'conn0' });
    expect(await c.request(get('/'), { wantBody: true })).toMatchObject({ status: 200, body: 'conn1' });
  });

  it('classifies a refused connection', async () => {
    const probe = await rawServer(() => undefined);
    await probe.close(); // nothing listens on that port any more
    const r = await client(probe.origin).request(get('/'));
    expect(r).toMatchObject({ status: 0, outcome: 'refused', detail: 'ECONNREFUSED', serviceUs: 0 });
  });

  it('classifies a reset mid-response and before any response', async () => {
    const raw = await rawServer((socket, index) =>
      onRequests(socket, () => {
        if (index === 0) {
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
          setTimeout(() => socket.resetAndDestroy(), 20);
        } else if (index === 1) {
          socket.destroy();
        } else {
          socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel');
          setTimeout(() => socket.end(), 20); // a clean FIN, still mid-body
        }
      }),
    );
    extra.push(raw);
    const c = client(raw.origin, 1);
    expect(await c.request(get('/'))).toMatchObject({ status: 0, outcome: 'reset', bytes: 7 });
    expect(await c.request(get('/'))).toMatchObject({ status: 0, outcome: 'reset' });
    expect(await c.request(get('/'))).toMatchObject({ status: 0, outcome: 'reset', detail: 'connection closed mid-response' });
  });

  it('sends an idempotent request again, once, when its kept-alive socket turns out closed', async () => {
    const raw = await rawServer((socket, index) =>
      onRequests(socket, (n) => {
        if (index === 0 && n === 1) socket.destroy(); // closed as the client reused it
        else socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nconn${index}`);
      }),
    );
    extra.push(raw);
    const c = client(raw.origin, 1);
    expect(await c.request(get('/'), { wantBody: true })).toMatchObject({ body: 'conn0' });
    expect(await c.request(get('/'), { wantBody: true })).toMatchObject({ outcome: 'ok', body: 'conn1' });
    expect(raw.connections()).toBe(2);
  });

  it('does not send a POST again: it may have been processed', async () => {
    const raw = await rawServer((socket) =>
      onRequests(socket, (n) => {
        if (n === 1) socket.destroy();
        else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
      }),
    );
    extra.push(raw);
    const c = client(raw.origin, 1);
    expect((await c.request({ method: 'POST', path: '/' })).outcome).toBe('ok');
    expect((await c.request({ method: 'POST', path: '/' })).outcome).toBe('reset');
  });

  it('times out on its own clock, not before the deadline and within one sweep after it; destroys the socket; the next request works', async () => {
    // The client's clock is injected and its one timer faked, so nothing here depends on how
    // fast this machine is: the deadline is 1,200 on `clock`, the sweep 10 ms.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let arrived!: () => void;
      const requestArrived = new Promise<void>((r) => (arrived = r));
      let closed!: () => void;
      const firstSocketClosed = new Promise<void>((r) => (closed = r));
      const raw = await rawServer((socket, index) => {
        if (index === 0) {
          socket.on('close', () => closed());
          onRequests(socket, () => arrived()); // and never answers
        } else {
          onRequests(socket, () => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'));
        }
      });
      extra.push(raw);
      let clock = 1_000;
      const c = new Client(raw.origin, { connections: 1, now: () => clock, sweepMs: 10 });
      clients.push(c);
      let settled: HttpResult | undefined;
      void c.request(get('/'), { timeoutMs: 200 }).then((r) => (settled = r));
      await requestArrived;
      // Every timer wake-up for a second of timer time, yet on the client's clock the deadline
      // is 1 ms away: nothing times out.
      clock = 1_199;
      vi.advanceTimersByTime(1_000);
      await ioTurn();
      expect(settled).toBeUndefined();
      // At the deadline, the next sweep (at most 10 ms of timer time later) settles it.
      clock = 1_200;
      vi.advanceTimersByTime(10);
      await ioTurn();
      expect(settled).toMatchObject({ status: 0, outcome: 'timeout', detail: 'no response in time', serviceUs: 200_000, latencyUs: 200_000 });
      await firstSocketClosed;
      const next = await c.request(get('/'), { wantBody: true });
      expect(next).toMatchObject({ outcome: 'ok', body: 'hello' });
      expect(raw.connections()).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('times out a request still waiting for a socket', async () => {
    const c = client(server.origin, 1);
    const busy = c.request(get('/slow/150'), { timeoutMs: 1_000 });
    const waiting = await c.request(get('/'), { timeoutMs: 50 });
    expect(waiting).toMatchObject({ outcome: 'timeout', serviceUs: 0, detail: 'no free socket in time' });
    expect((await busy).outcome).toBe('ok');
  });

  it('counts latency from scheduledAt on its clock', async () => {
    let clock = 1_000;
    const c = new Client(server.origin, { connections: 1, now: () => clock });
    clients.push(c);
    await c.request(get('/')); // connects: the next request is written at once, at 1000
    const pending = c.request(get('/'), { scheduledAt: 900 });
    clock = 1_005;
    const r = await pending;
    expect(r.latencyUs).toBe(105_000);
    expect(r.serviceUs).toBe(5_000);
    expect(r.sendLagUs).toBe(100_000);
  });

  it('counts a request that waited for the one socket as sent late, and one never written as not sent', async () => {
    let clock = 1_000;
    const c = new Client(server.origin, { connections: 1, now: () => clock });
    clients.push(c);
    await c.request(get('/'));
    const busy = c.request(get('/slow/50'));
    const queued = c.request(get('/'), { scheduledAt: 1_000 });
    const neverSent = c.request(get('/'), { scheduledAt: 1_000, timeoutMs: 1 });
    clock = 1_030; // the slow answer comes at 1030: the queued request is written then
    await busy;
    const [r, gone] = await Promise.all([queued, neverSent]);
    expect(r.sendLagUs).toBe(30_000);
    expect(r.latencyUs - r.serviceUs).toBe(r.sendLagUs);
    expect(gone).toMatchObject({ outcome: 'timeout', sendLagUs: -1, serviceUs: 0 });
  });

  it('rejects malformed requests and use after close; close settles what is pending', async () => {
    const c = client(server.origin, 1);
    await expect(c.request({ method: 'GET', path: '/', headers: { 'x-evil': 'a\r\nx-injected: 1' } })).rejects.toMatchObject({ code: 'HTTP_REQUEST_INVALID' });
    await expect(c.request({ method: 'GET', path: 'no-slash' })).rejects.toMatchObject({ code: 'HTTP_REQUEST_INVALID' });
    await expect(c.request({ method: 'GE T', path: '/' })).rejects.toMatchObject({ code: 'HTTP_REQUEST_INVALID' });
    const inFlight = c.request(get('/never'));
    const queued = c.request(get('/'));
    await sleep(20);
    await c.close();
    expect(await inFlight).toMatchObject({ outcome: 'other', detail: 'client closed' });
    expect(await queued).toMatchObject({ outcome: 'other', detail: 'client closed' });
    await expect(c.request(get('/'))).rejects.toMatchObject({ code: 'HTTP_CLIENT_CLOSED' });
    expect(() => new Client('https://example.test', { connections: 1 })).toThrow(/protocol/);
    expect(() => new Client(server.origin, { connections: 0 })).toThrow(/connections/);
  });

  it('classifies a malformed response as other and recovers on a new socket', async () => {
    const raw = await rawServer((socket, index) =>
      onRequests(socket, () => socket.write(index === 0 ? 'HTTP/1.1 abc\r\n\r\n' : 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')),
    );
    extra.push(raw);
    const c = client(raw.origin, 1);
    expect(await c.request(get('/'))).toMatchObject({ outcome: 'other', detail: 'malformed response: invalid status line' });
    expect((await c.request(get('/'))).outcome).toBe('ok');
  });
});

describe('Client local addresses', () => {
  it('spreads the sockets to a 127.x target over loopback addresses in turn, so port exhaustion takes 32 times longer', async () => {
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.socket.remoteAddress ?? '');
      res.setHeader('connection', 'close');
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const client = new Client(`http://127.0.0.1:${port}`, { connections: 1 });
      for (let i = 0; i < 34; i++) expect((await client.request({ method: 'GET', path: '/' })).status).toBe(200);
      await client.close();
      expect(seen.slice(0, 3)).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3']);
      expect(seen[31]).toBe('127.0.0.32');
      expect(seen[32]).toBe('127.0.0.1');
      const named = new Client(`http://127.0.0.1:${port}`, { connections: 1, localAddresses: [] });
      seen.length = 0;
      expect((await named.request({ method: 'GET', path: '/' })).status).toBe(200);
      await named.close();
      expect(seen).toEqual(['127.0.0.1']);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
