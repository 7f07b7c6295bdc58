import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { ManagedChild } from '../src/stack/child.js';
import { freePort, waitForPort } from '../src/stack/ports.js';
import { CONNECTIONS, setUp, type Contender } from './_http-clients.js';
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
const WARM_UP = 2_000;
const ROUNDS = 2;

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
    const sums = await rounds(contenders, rate, seconds);
    for (const c of contenders) results.push({ client: c.name, ...sums.get(c.name)!, note: c.note });
    const cannon = await autocannon(url, rate, seconds);
    if (cannon !== undefined) results.push(cannon);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await server.stop();
  }

  report(results, { rate, seconds });
  return results.every((r) => r.failed === 0) ? 0 : 1;
}

/** ROUNDS rounds of seconds / ROUNDS each; rounds alternate the clients so that drift on a shared machine hits them all alike. */
async function rounds(contenders: readonly Contender[], rate: number, seconds: number): Promise<Map<string, Omit<Measured, 'client' | 'note'>>> {
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
  return sums;
}

/** The table, then the one JSON line with every client's CPU per request and the ratios. */
function report(results: readonly Measured[], o: { rate: number; seconds: number }): void {
  const { rate, seconds } = o;
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
