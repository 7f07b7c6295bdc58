// Long because: main runs every peer side by side in one run (codestorm, vegeta, autocannon, wrk) and the order of its steps is the measurement; split, the order would be hidden.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ManagedChild } from '../src/stack/child.js';
import { compiled, packageRoot } from '../src/package-root.js';
import { freePort, waitForPort } from '../src/stack/ports.js';
import { ceilingBench } from './_ceiling.js';
import { dashboardBench } from './_dashboard.js';
import { historyBench } from './_history.js';
import { openModel, SECONDS, timerAlone, WINDOW, type OpenResult, type TimerFloor } from './_open-model.js';
import { artillery as artilleryPeer, vegeta as vegetaPeer, wrk as wrkPeer } from './_peers.js';
import { cpuWindowOf, exitOf, fmt, HELLO_WORLD, perThousand, pinned, round, run, say, table } from './_util.js';

/**
 * The load engine against its peers, side by side in one run, against the same fast local
 * server (a child process, so its CPU is not counted):
 * - open model at a fixed 2,000/s and 8,000/s: CPU seconds (user + sys, all threads, from /proc)
 *   per 1,000 requests for `codestorm run`, autocannon -R and vegeta, over the same steady window
 *   (start-up and wind-down left out for every tool alike); codestorm's send lag (due → written)
 *   and rate error from its summary.json, beside the send lag of its timer alone with no I/O
 *   (_timer-floor.ts), the floor that Node's millisecond timers set (both in _open-model.ts);
 * - closed model, 64 connections/VUs: the highest throughput of codestorm, wrk and autocannon,
 *   and CPU per 1,000 requests of codestorm and autocannon there: what a request costs when no
 *   pacing spreads the wake-ups out (autocannon -R is itself a closed loop per connection that
 *   stops for the rest of each second once it has made its share, so its open-model figure is
 *   this cost in bursts);
 * - codestorm's resident memory after 60 s and after 300 s at 2,000/s (skipped with `quick`).
 * `npm run bench -- engine dashboard` runs instead the open model with the live dashboard open in
 * headless Chromium (one tab, ten tabs) against without it (_dashboard.ts); `npm run bench -- engine
 * history` runs it with a journey recording a history of operations against the same without (_history.ts);
 * `npm run bench -- engine ceiling`, the highest rate one core sustains, against vegeta's (_ceiling.ts).
 */
const RATE = 2_000;
/** The open model's rates (issue #17's). */
const RATES = [2_000, 8_000] as const;
/** artillery needs more than a core at 2,000/s on this machine, so it runs at that rate only. */
const ARTILLERY_MAX_RATE = 2_000;
const VUS = 64;
/** `engine ceiling`'s cores: the generator on one, the target on the other. */
const GENERATOR_CORE = 0;
const TARGET_CORE = 1;
/** The closed runs last 10 s; CPU is read over their middle. */
const CLOSED_WINDOW = { from: 2, to: 8 } as const;


export async function main(args: readonly string[]): Promise<number> {
  const quick = args.includes('quick');
  if (args.includes('history')) return withTarget((url, scratch) => historyBench({ url, scratch, rate: RATE, seconds: SECONDS, window: WINDOW, spawn: (file, target, out) => spawnCodestorm(file, target, out) }));
  if (args.includes('ceiling')) {
    // The generator on core 0, the target on core 1: one core each, as issue #17 asks.
    return withTarget(
      async (url, scratch) => ceilingBench({ url, scratch, scenario: writeScenario, spawn: (file, target, out) => spawnCodestorm(file, target, out, [], GENERATOR_CORE), vegeta: await vegetaPeer(), core: GENERATOR_CORE }),
      TARGET_CORE,
    );
  }
  if (args.includes('dashboard')) return withTarget((url, scratch) => dashboardBench({ url, scratch, rate: RATE, seconds: SECONDS, window: WINDOW, scenario: writeScenario, spawn: spawnCodestorm }));
  return withTarget(async (url, scratch) => {
    const rows: Record<string, string | number>[] = [];
    const cpuClosed: Record<string, number | null> = {};

    // Open model, at each fixed rate: every tool over the same steady window.
    const open: Record<number, OpenResult> = {};
    const vegeta = await vegetaPeer();
    const artillery = await artilleryPeer();
    const autocannon = autocannonEntry();
    for (const rate of RATES) {
      open[rate] = await openModel({ url, scratch, rate, rows, scenario: writeScenario, spawn: spawnCodestorm, autocannon, vegeta, artillery: rate <= ARTILLERY_MAX_RATE ? artillery : undefined });
    }
    // The timer alone, with nothing to send: the floor of any Node open model's send lag, and
    // what its wake-ups cost in CPU before a single request is written.
    const floor: Record<number, TimerFloor> = {};
    for (const rate of RATES) floor[rate] = await timerAlone(rate, rows);

    // Closed model, as fast as it goes.
    const closed = writeScenario(scratch, 'closed', `load: { executor: constant-vus, vus: ${VUS}, duration: 10s }`);
    say(`bench engine: closed model, ${VUS} VUs, codestorm`);
    const closedCpu = await cpuWindowOf(spawnCodestorm(closed, url, path.join(scratch, 'closed-run')), CLOSED_WINDOW);
    const closedSummary = JSON.parse(readFileSync(path.join(scratch, 'closed-run', 'summary.json'), 'utf8')) as { requests: { total: number }; durationS: number };
    const oursRps = closedSummary.requests.total / 10;
    cpuClosed['codestorm'] = perThousand(closedCpu, oursRps, CLOSED_WINDOW);
    rows.push({ test: `closed ${VUS}`, tool: 'codestorm run (constant-vus)', 'req/s': Math.round(oursRps), 'CPU s / 1,000 req': fmt(cpuClosed['codestorm']) });
    const wrk = (await wrkPeer()).path;
    let wrkRps: number | null = null;
    if (wrk !== undefined) {
      say(`bench engine: closed model, wrk -c${VUS}`);
      const { stdout } = await run(wrk, ['-t1', `-c${VUS}`, '-d10s', url]);
      wrkRps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? Number.NaN);
    }
    rows.push({ test: `closed ${VUS}`, tool: 'wrk -t1', 'req/s': wrkRps === null ? 'not installed' : Math.round(wrkRps) });
    let cannonRps: number | null = null;
    const cannon = autocannonEntry();
    if (cannon !== undefined) {
      say(`bench engine: closed model, autocannon -c${VUS}`);
      const child = spawn(process.execPath, [cannon, '-c', String(VUS), '-d', '10', '-j', url], { stdio: ['ignore', 'pipe', 'ignore'] });
      let stdout = '';
      child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const used = await cpuWindowOf(child, CLOSED_WINDOW);
      cannonRps = (JSON.parse(stdout) as { requests: { average: number } }).requests.average;
      cpuClosed['autocannon'] = perThousand(used, cannonRps, CLOSED_WINDOW);
    }
    rows.push({ test: `closed ${VUS}`, tool: 'autocannon', 'req/s': cannonRps === null ? 'not installed' : Math.round(cannonRps), 'CPU s / 1,000 req': fmt(cpuClosed['autocannon']) });

    // Memory over a long run.
    let rss: { at60: number; at300: number } | null = null;
    if (!quick) {
      const long = writeScenario(scratch, 'long', `load: { executor: constant-arrival-rate, rate: ${RATE}, duration: 305s }`);
      say('bench engine: codestorm at 2,000/s for 305 s, RSS at 60 s and 300 s');
      const child = spawnCodestorm(long, url, path.join(scratch, 'long-run'));
      const at = (s: number) => new Promise<number>((resolve) => setTimeout(() => resolve(rssMb(child.pid!)), s * 1000));
      const at60 = await at(60);
      const at300 = await at(240);
      await exitOf(child);
      rss = { at60, at300 };
      rows.push({ test: 'memory', tool: 'codestorm run', note: `RSS ${at60} MB at 60 s, ${at300} MB at 300 s` });
    }

    process.stdout.write(`${table(rows)}\n`);
    const ratio = (a: number | null | undefined, b: number | null | undefined) => (a == null || b == null ? null : round(a / b));
    const at = (rate: number) => {
      const o = open[rate]!;
      return {
        cpu_s_per_1000: o.cpu,
        cpu_ratio_vs_autocannon: ratio(o.cpu['codestorm'], o.cpu['autocannon']),
        cpu_ratio_vs_vegeta: ratio(o.cpu['codestorm'], o.cpu['vegeta']),
        ...(o.cpu['artillery'] === undefined ? {} : { cpu_ratio_vs_artillery: ratio(o.cpu['codestorm'], o.cpu['artillery']) }),
        send_lag_ms: o.sendLag,
        timer_floor_send_lag_ms: { p50: floor[rate]!.p50, p99: floor[rate]!.p99 },
        timer_floor_cpu_s_per_1000: floor[rate]!.cpu,
        rate_error_pct: o.rateErrorPct,
      };
    };
    process.stdout.write(
      `${JSON.stringify({
        bench: 'engine',
        open: Object.fromEntries(RATES.map((rate) => [String(rate), at(rate)])),
        closed_rps: { codestorm: Math.round(oursRps), wrk: wrkRps === null ? null : Math.round(wrkRps), autocannon: cannonRps === null ? null : Math.round(cannonRps) },
        throughput_ratio_vs_wrk: ratio(oursRps, wrkRps),
        // The same two clients without pacing: what a request costs once wake-ups are shared.
        closed_cpu_s_per_1000: cpuClosed,
        closed_cpu_ratio_vs_autocannon: ratio(cpuClosed['codestorm'], cpuClosed['autocannon']),
        rss_mb: rss,
        rss_growth_pct: rss === null ? null : round((100 * (rss.at300 - rss.at60)) / rss.at60, 1),
        // Issue #17's goals.
        goals: {
          '2000': { cpu_ratio_vs_autocannon: '<= 1.2', cpu_ratio_vs_vegeta: '<= 0.25', send_lag_p99_ms: '<= 1', rate_error_pct: '< 0.5' },
          '8000': { cpu_ratio_vs_autocannon: '<= 1.0', send_lag_p99_ms: '<= 1', rate_error_pct: '< 0.5' },
          rss_growth_pct: '<= 20',
        },
      })}\n`,
    );
    return 0;
  });
}

function writeScenario(dir: string, name: string, load: string): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, `name: bench-${name}\nseed: 1\ntarget: http://127.0.0.1:1\n${load}\njourneys:\n  - name: get\n    steps:\n      - name: get\n        request: { url: "/" }\n`);
  return file;
}

function spawnCodestorm(file: string, url: string, out: string, extra: readonly string[] = [], core?: number): ChildProcess {
  const [command, args] = pinned(core, [process.execPath, path.join(packageRoot(), 'bin', 'codestorm.js'), 'run', file, '--target', url.replace(/\/$/, ''), '--out', out, '--quiet', '--workers', '1', ...extra]);
  return spawn(command, args, { stdio: ['ignore', 'ignore', extra.length > 0 ? 'pipe' : 'ignore'] });
}

/** The same fast local server as the main bench, for `body`, stopped after; on one core when `core` is given. */
async function withTarget(body: (url: string, scratch: string) => Promise<number>, core?: number): Promise<number> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-bench-engine-'));
  const port = await freePort();
  const [command, args] = pinned(core, [process.execPath, '-e', HELLO_WORLD, String(port)]);
  const target = new ManagedChild(command, args, { name: 'target' });
  try {
    await waitForPort(port, { what: 'target' });
    return await body(`http://127.0.0.1:${port}/`, scratch);
  } finally {
    await target.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

function autocannonEntry(): string | undefined {
  try {
    return path.join(path.dirname(createRequire(compiled('bench/engine.js')).resolve('autocannon/package.json')), 'autocannon.js');
  } catch {
    return undefined;
  }
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}


