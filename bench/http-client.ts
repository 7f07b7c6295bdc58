import { spawn } from 'node:child_process';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { Client } from '../src/engine/http/index.js';
import { ManagedChild } from '../src/stack/child.js';
import { freePort, waitForPort } from '../src/stack/ports.js';
import { clockTicks, cpuSecondsOf, HELLO_WORLD, round, say, table } from './_util.js';

/**
 * CPU per request of HTTP clients at a fixed 2,000 requests/s for 10 s against the same fast
 * node:http server, which runs in a child process so that its CPU is not counted.
 *
 * In-process clients take turns (two rounds of half the time each, so that drift on a shared
 * machine hits them alike), each driven by the same evenly spaced scheduler (every timer
 * wake-up sends what is due; Node timers have 1 ms granularity) and measured with
 * process.cpuUsage (user + sys) over the load loop only. Two rows bracket them: bare sockets
 * (the least a socket client can do) and the scheduler alone (its own share of every row).
 * autocannon runs as a child with `-R 2000`; its CPU is read from /proc/<pid>/stat over the
 * steady part of its run (start-up excluded, printed apart). Its `-R` pacing is not even: each
 * connection sends its share of a second back to back, then waits for the next second, which
 * saves most of the event-loop wake-ups that even spacing costs. So codestorm's client also
 * runs under that pacing, and the goal (≤ 0.8 × autocannon) compares those two.
 *
 * undici itself (the devDependency, not Node's bundled copy) gives the like-for-like rows: a
 * Pool of the same 10 connections with pipelining 1 (one request per socket at a time, as
 * codestorm's client does), driven through request() and through dispatch(), undici's lowest
 * level (a handler object, no body stream). Skipped, and said so, where undici is not installed.
 *
 * `npm run bench -- http-client [seconds] [rate]`
 */
// Idle keep-alive sockets stay open between rounds: connecting is not what is measured here.
const CONNECTIONS = 10;
const WARM_UP = 2_000;
const ROUNDS = 2;

/** The part of undici's Dispatcher that the bench calls. */
interface UndiciDispatcher {
  request(options: { origin: string; path: string; method: string }): Promise<{ statusCode: number; body: { dump(): Promise<void> } }>;
}

interface Measured {
  readonly client: string;
  readonly requests: number;
  readonly failed: number;
  readonly cpuUs: number;
  readonly wallS: number;
  readonly note: string;
}

export async function main(args: readonly string[]): Promise<number> {
  const seconds = Number(args[0] ?? 10);
  const rate = Number(args[1] ?? 2_000);
  if (!(seconds > 0 && seconds <= 120) || !(rate > 0 && rate <= 20_000)) {
    say('usage: npm run bench -- http-client [seconds ≤ 120] [rate ≤ 20000]');
    return 2;
  }
  const port = await freePort();
  const server = new ManagedChild(process.execPath, ['-e', HELLO_WORLD, String(port)], { name: 'hello-world' });
  const url = `http://127.0.0.1:${port}/`;
  const results: Measured[] = [];
  const cleanups: (() => unknown)[] = [];
  try {
    await waitForPort(port, { what: 'hello-world' });
    const contenders = await setUp(url, port, cleanups);
    for (const c of contenders) await warmUp(c.send);
    // Rounds alternate the clients so that drift on a shared machine hits them all alike.
    const slice = seconds / ROUNDS;
    const sums = new Map<string, Omit<Measured, 'client' | 'note'>>();
    for (let round_ = 1; round_ <= ROUNDS; round_++) {
      for (const c of contenders) {
        const m = await (c.pacing === 'even' ? drive : burst)(rate, slice, c.send);
        say(`bench http-client: round ${round_}/${ROUNDS}: ${c.name}, ${rate}/s for ${slice} s: ${round(m.cpuUs / Math.max(1, m.requests), 1)} µs/req`);
        const sum = sums.get(c.name);
        sums.set(c.name, sum === undefined ? m : { requests: sum.requests + m.requests, failed: sum.failed + m.failed, cpuUs: sum.cpuUs + m.cpuUs, wallS: sum.wallS + m.wallS });
      }
    }
    for (const c of contenders) results.push({ client: c.name, ...sums.get(c.name)!, note: c.note });
    const cannon = await autocannon(url, rate, seconds);
    if (cannon !== undefined) results.push(cannon);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await server.stop();
  }

  const perRequest = (m: Measured | undefined) => (m === undefined || m.requests === 0 ? null : round(m.cpuUs / m.requests, 1));
  const of = (name: string) => perRequest(results.find((r) => r.client === name));
  const cpu = {
    codestorm: of('codestorm Client'),
    codestorm_autocannon_pacing: of('codestorm Client, bursts'),
    bare_sockets: of('bare sockets (floor)'),
    scheduler_only: of('scheduler alone'),
    undici_request: of('undici request()'),
    undici_pool_request: of('undici Pool request()'),
    undici_pool_dispatch: of('undici Pool dispatch()'),
    fetch: of('fetch'),
    node_http: of('node:http Agent'),
    autocannon: of('autocannon'),
  };
  process.stdout.write(
    `${table(
      results.map((r) => ({
        client: r.client,
        requests: r.requests,
        failed: r.failed,
        'achieved/s': round(r.requests / r.wallS, 0),
        'cpu µs/req': perRequest(r) ?? '-',
        note: r.note,
      })),
    )}\n`,
  );
  if (cpu.autocannon === null) process.stdout.write('autocannon: not installed or not measurable, skipped\n');
  const ratio = (a: number | null, b: number | null) => (a === null || b === null ? null : round(a / b, 3));
  // The goal compares like with like: both clients paced the way autocannon -R paces.
  const goal = ratio(cpu.codestorm_autocannon_pacing, cpu.autocannon);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'http-client',
      rate,
      seconds,
      connections: CONNECTIONS,
      cpu_us_per_req: cpu,
      ratio: {
        codestorm_vs_autocannon_same_pacing: goal,
        codestorm_even_vs_autocannon: ratio(cpu.codestorm, cpu.autocannon),
        codestorm_vs_undici_request: ratio(cpu.codestorm, cpu.undici_request),
        codestorm_vs_undici_pool_request: ratio(cpu.codestorm, cpu.undici_pool_request),
        codestorm_vs_undici_pool_dispatch: ratio(cpu.codestorm, cpu.undici_pool_dispatch),
        codestorm_vs_fetch: ratio(cpu.codestorm, cpu.fetch),
        codestorm_vs_node_http: ratio(cpu.codestorm, cpu.node_http),
        codestorm_vs_bare_sockets: ratio(cpu.codestorm, cpu.bare_sockets),
      },
      goal: { metric: 'codestorm_vs_autocannon_same_pacing', max: 0.8, met: goal === null ? null : goal <= 0.8 },
    })}\n`,
  );
  return results.every((r) => r.failed === 0) ? 0 : 1;
}

interface Contender {
  readonly name: string;
  readonly note: string;
  readonly pacing: 'even' | 'bursts';
  readonly send: () => Promise<boolean>;
}

async function setUp(url: string, port: number, cleanups: (() => unknown)[]): Promise<Contender[]> {
  const client = new Client(url, { connections: CONNECTIONS, timeoutMs: 5_000 });
  cleanups.push(() => client.close());
  const spec = { method: 'GET', path: '/' } as const;
  const viaClient = () => client.request(spec).then((r) => r.outcome === 'ok');

  const floor = await bareSockets(port);
  cleanups.push(floor.close);

  const viaFetch = () =>
    fetch(url).then(async (r) => {
      await r.arrayBuffer();
      return r.status === 200;
    });
  await viaFetch();
  // undici is not a dependency; Node's bundled copy keeps its global dispatcher (created by
  // the first fetch) under undici's cross-version symbol, and that dispatcher has request().
  const dispatcher = (globalThis as Record<symbol, unknown>)[Symbol.for('undici.globalDispatcher.1')] as UndiciDispatcher | undefined;
  const origin = `http://127.0.0.1:${port}`;
  const viaUndici =
    typeof dispatcher?.request === 'function'
      ? () =>
          dispatcher.request({ origin, path: '/', method: 'GET' }).then(async (r) => {
            await r.body.dump();
            return r.statusCode === 200;
          })
      : undefined;
  if (viaUndici === undefined) say("bench http-client: Node's bundled undici exposes no request(): skipped");

  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  cleanups.push(() => agent.destroy());
  const viaHttp = () =>
    new Promise<boolean>((resolve) => {
      const req = http.get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200));
      });
      req.on('error', () => resolve(false));
    });

  const undici = process.versions.undici ?? '?';
  const pools = await undiciPools(origin, cleanups);
  return [
    { name: 'codestorm Client', note: 'evenly spaced', pacing: 'even', send: viaClient },
    { name: 'bare sockets (floor)', note: 'evenly spaced, a read = a response', pacing: 'even', send: floor.send },
    { name: 'scheduler alone', note: 'evenly spaced, no I/O', pacing: 'even', send: () => Promise.resolve(true) },
    ...(viaUndici === undefined ? [] : [{ name: 'undici request()', note: `evenly spaced, Node's bundled undici ${undici}`, pacing: 'even' as const, send: viaUndici }]),
    ...pools,
    { name: 'fetch', note: `evenly spaced, Node's bundled undici ${undici}`, pacing: 'even', send: viaFetch },
    { name: 'node:http Agent', note: 'evenly spaced', pacing: 'even', send: viaHttp },
    { name: 'codestorm Client, bursts', note: "autocannon's -R pacing", pacing: 'bursts', send: viaClient },
  ];
}

/** undici's Pool through request() and dispatch(), each on a pool of its own; none when undici is not installed. */
async function undiciPools(origin: string, cleanups: (() => unknown)[]): Promise<Contender[]> {
  let undici: typeof import('undici');
  try {
    undici = await import('undici');
  } catch {
    say('bench http-client: undici is not installed (npm ci installs it): its Pool rows skipped');
    return [];
  }
  const version = (createRequire(import.meta.url)('undici/package.json') as { version: string }).version;
  const pool = (): InstanceType<typeof undici.Pool> => {
    const p = new undici.Pool(origin, { connections: CONNECTIONS, pipelining: 1 });
    cleanups.push(() => p.close());
    return p;
  };
  const forRequest = pool();
  const viaRequest = () =>
    forRequest.request({ path: '/', method: 'GET' }).then(
      async (r) => {
        await r.body.dump();
        return r.statusCode === 200;
      },
      () => false,
    );
  const forDispatch = pool();
  const viaDispatch = () =>
    new Promise<boolean>((resolve) => {
      let status = 0;
      forDispatch.dispatch(
        { path: '/', method: 'GET' },
        // The callbacks undici 7's Client calls itself (a handler written in its newer
        // onRequestStart/onResponse* form is adapted to these first): dispatch at its cheapest.
        {
          onConnect: () => undefined,
          onHeaders: (statusCode) => {
            status = statusCode;
            return true;
          },
          onData: () => true,
          onComplete: () => resolve(status === 200),
          onError: () => resolve(false),
        },
      );
    });
  const note = `evenly spaced, undici ${version}, ${CONNECTIONS} connections, pipelining 1`;
  return [
    { name: 'undici Pool request()', note, pacing: 'even', send: viaRequest },
    { name: 'undici Pool dispatch()', note, pacing: 'even', send: viaDispatch },
  ];
}

async function warmUp(send: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < WARM_UP; i++) await send();
}

/**
 * Sends `rate × seconds` requests on an evenly spaced schedule (each timer wake-up sends what
 * is due; Node timers have 1 ms granularity) and measures this process's CPU until the last
 * response.
 */
function drive(rate: number, seconds: number, send: () => Promise<boolean>): Promise<Omit<Measured, 'client' | 'note'>> {
  const total = Math.round(rate * seconds);
  return new Promise((resolve) => {
    let issued = 0;
    let done = 0;
    let failed = 0;
    const start = performance.now();
    const cpu = process.cpuUsage();
    const finish = (): void => {
      clearTimeout(bound);
      const used = process.cpuUsage(cpu);
      resolve({ requests: done, failed: failed + (total - done), cpuUs: used.user + used.system, wallS: (performance.now() - start) / 1000 });
    };
    // A request that never settles must not hang the bench: it counts as failed.
    const bound = setTimeout(finish, (seconds + 30) * 1000);
    const settle = (ok: boolean): void => {
      if (!ok) failed++;
      if (++done === total) finish();
    };
    const fail = (): void => settle(false);
    const tick = (): void => {
      const elapsed = performance.now() - start;
      const due = Math.min(total, Math.floor((elapsed * rate) / 1000) + 1);
      while (issued < due) {
        issued++;
        send().then(settle, fail);
      }
      if (issued < total) setTimeout(tick, Math.max(0, (issued * 1000) / rate - (performance.now() - start)));
    };
    tick();
  });
}

/**
 * The least a socket client can do: a pool of kept-alive sockets writing one fixed request,
 * each read taken as the whole response (true of this server's 130-byte answers).
 */
async function bareSockets(port: number): Promise<{ send: () => Promise<boolean>; close: () => void }> {
  const request = Buffer.from(`GET / HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n\r\n`, 'latin1');
  const buffer = Buffer.allocUnsafe(64 * 1024);
  const sockets: net.Socket[] = [];
  const idle: net.Socket[] = [];
  const waiting = new Map<net.Socket, (ok: boolean) => void>();
  const queue: ((socket: net.Socket) => void)[] = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const socket: net.Socket = net.connect({
      host: '127.0.0.1',
      port,
      noDelay: true,
      onread: {
        buffer,
        callback: (bytes: number) => {
          const done = waiting.get(socket);
          if (done === undefined) return true;
          waiting.delete(socket);
          const next = queue.shift();
          if (next !== undefined) next(socket);
          else idle.push(socket);
          done(bytes > 12 && buffer[9] === 50); // "HTTP/1.1 2"
          return true;
        },
      },
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      waiting.get(socket)?.(false);
      waiting.delete(socket);
    });
    await new Promise((resolve) => socket.once('connect', resolve));
    sockets.push(socket);
    idle.push(socket);
  }
  const send = () =>
    new Promise<boolean>((resolve) => {
      const go = (socket: net.Socket): void => {
        waiting.set(socket, resolve);
        socket.write(request);
      };
      // Round robin, so that no socket idles into the server's keep-alive timeout.
      const socket = idle.shift();
      if (socket === undefined) queue.push(go);
      else go(socket);
    });
  return { send, close: () => sockets.forEach((s) => s.destroy()) };
}

/**
 * autocannon's own `-R` pacing, for a like-for-like comparison: `connections` requests in
 * flight, each followed by the next on its response, until the second's `rate` requests are
 * sent; then they wait for the next whole second. (autocannon gives each connection an equal
 * share of the second; the aggregate is the same.)
 */
function burst(rate: number, seconds: number, send: () => Promise<boolean>): Promise<Omit<Measured, 'client' | 'note'>> {
  const total = Math.round(rate * seconds);
  return new Promise((resolve) => {
    let issued = 0;
    let done = 0;
    let failed = 0;
    let sentThisSecond = 0;
    let paused = 0;
    const start = performance.now();
    const cpu = process.cpuUsage();
    const next = (): void => {
      if (issued >= total) return;
      if (sentThisSecond >= rate) {
        paused++;
        return;
      }
      sentThisSecond++;
      issued++;
      send().then(onDone, onFail);
    };
    const end = (): void => {
      clearInterval(second);
      clearTimeout(bound);
      const used = process.cpuUsage(cpu);
      resolve({ requests: done, failed: failed + (total - done), cpuUs: used.user + used.system, wallS: (performance.now() - start) / 1000 });
    };
    const onDone = (ok: boolean): void => {
      if (!ok) failed++;
      if (++done === total) end();
      else next();
    };
    const onFail = (): void => onDone(false);
    const bound = setTimeout(end, (seconds + 30) * 1000);
    const second = setInterval(() => {
      sentThisSecond = 0;
      const resume = paused;
      paused = 0;
      for (let i = 0; i < resume; i++) next();
    }, 1000);
    for (let lane = 0; lane < CONNECTIONS; lane++) next();
  });
}

/** autocannon as a child at the same overall rate; undefined when it is not installed. */
async function autocannon(url: string, rate: number, seconds: number): Promise<Measured | undefined> {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('autocannon');
  } catch {
    say('bench http-client: autocannon is not installed: skipped');
    return undefined;
  }
  say(`bench http-client: autocannon -c ${CONNECTIONS} -R ${rate} -d ${seconds}`);
  const tick = await clockTicks();
  const child = spawn(process.execPath, [entry, '-c', String(CONNECTIONS), '-R', String(rate), '-d', String(seconds), '-j', url], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  const started = performance.now();
  const samples: { at: number; cpuUs: number }[] = [];
  const sample = (): void => {
    const seconds = child.pid === undefined ? undefined : cpuSecondsOf(child.pid, tick);
    // undefined: it has exited.
    if (seconds !== undefined) samples.push({ at: (performance.now() - started) / 1000, cpuUs: seconds * 1e6 });
  };
  const timer = setInterval(sample, 250);
  const exit = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  clearInterval(timer);
  const report = JSON.parse(stdout) as { requests: { total: number }; errors: number; non2xx: number; duration: number };
  // Steady state: from 1.5 s in (start-up and connecting done) to the last sample before exit.
  const first = samples.find((s) => s.at >= 1.5);
  const last = samples.at(-1);
  if (exit !== 0 || first === undefined || last === undefined || last.at - first.at < 1) {
    say(`bench http-client: autocannon exited ${exit} or ran too briefly to measure`);
    return undefined;
  }
  const windowS = last.at - first.at;
  const total = samples.at(-1)!.cpuUs;
  say(
    `bench http-client: autocannon total CPU ${round(total / 1000, 0)} ms for ${report.requests.total} requests ` +
      `(${round(total / report.requests.total, 1)} µs/req with start-up)`,
  );
  const windowRequests = Math.round((report.requests.total / report.duration) * windowS);
  return {
    client: 'autocannon',
    requests: windowRequests,
    failed: report.errors + report.non2xx,
    cpuUs: last.cpuUs - first.cpuUs,
    wallS: windowS,
    note: `child; steady ${round(windowS, 1)} s window of ${report.requests.total} requests`,
  };
}
