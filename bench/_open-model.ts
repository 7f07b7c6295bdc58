import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compiled } from '../src/package-root.js';
import { ARTILLERY_VERSION, VEGETA_VERSION, type Peer } from './_peers.js';
import { cpuWindowOf, fmt, perThousand, round, say } from './_util.js';

/**
 * `bench -- engine`'s open model (issue #17): at one fixed rate, codestorm, autocannon -R, vegeta
 * and artillery in turn against the same target, each one's CPU over the same steady window
 * (start-up and wind-down left out for every tool alike), with codestorm's send lag and rate
 * error from its summary.json; and the engine's timer alone with nothing to send
 * (_timer-floor.ts), the floor that Node's millisecond timers set.
 */
export const SECONDS = 12;
/** CPU is read between these offsets: start-up and wind-down are not the steady state. */
export const WINDOW = { from: 2, to: 10 } as const;

type Rows = Record<string, string | number>[];

export interface OpenResult {
  /** CPU seconds per 1,000 requests by tool; null where a tool is missing. */
  readonly cpu: Record<string, number | null>;
  /** codestorm's own, from its summary.json. */
  readonly sendLag: { readonly p50: number; readonly p99: number } | null;
  readonly rateErrorPct: number;
}

export interface TimerFloor {
  readonly p50: number;
  readonly p99: number;
  readonly wakesPerS: number;
  /** CPU seconds per 1,000 arrivals the timer walks, with nothing sent. */
  readonly cpu: number | null;
}

export interface OpenModel {
  readonly url: string;
  readonly scratch: string;
  readonly rate: number;
  readonly rows: Rows;
  readonly scenario: (dir: string, name: string, load: string) => string;
  readonly spawn: (file: string, url: string, out: string) => ChildProcess;
  /** autocannon's entry script; undefined when it is not installed. */
  readonly autocannon: string | undefined;
  readonly vegeta: Peer;
  /** Left out at rates artillery cannot keep. */
  readonly artillery: Peer | undefined;
}

export async function openModel(o: OpenModel): Promise<OpenResult> {
  const { url, rate, rows } = o;
  const cpu: Record<string, number | null> = {};
  const cpuOf = async (name: string, child: ChildProcess): Promise<number | null> => {
    say(`bench engine: open model ${rate}/s, ${name}`);
    return perThousand(await cpuWindowOf(child, WINDOW), rate, WINDOW);
  };
  const file = o.scenario(o.scratch, `open-${rate}`, `load: { executor: constant-arrival-rate, rate: ${rate}, duration: ${SECONDS}s }`);
  const out = path.join(o.scratch, `open-run-${rate}`);
  cpu['codestorm'] = await cpuOf('codestorm', o.spawn(file, url, out));
  const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as {
    rate: { achievedAvg: number };
    requests: { failed: number };
    sendLagMs: { p50: number; p99: number } | null;
  };
  const sendLag = summary.sendLagMs === null ? null : { p50: summary.sendLagMs.p50, p99: summary.sendLagMs.p99 };
  const rateErrorPct = round((100 * Math.abs(summary.rate.achievedAvg - rate)) / rate, 2);
  rows.push({
    test: `open ${rate}/s`,
    tool: 'codestorm run',
    'CPU s / 1,000 req': fmt(cpu['codestorm']),
    'send lag p99 ms': fmt(sendLag?.p99),
    note: `achieved ${summary.rate.achievedAvg}/s (error ${rateErrorPct} %), failed ${summary.requests.failed}, send lag p50 ${fmt(sendLag?.p50)} ms`,
  });

  const cannon = o.autocannon;
  cpu['autocannon'] = cannon === undefined ? null : await cpuOf('autocannon', spawn(process.execPath, [cannon, '-c', '10', '-R', String(rate), '-d', String(SECONDS), url], { stdio: 'ignore' }));
  rows.push({ test: `open ${rate}/s`, tool: 'autocannon -R', 'CPU s / 1,000 req': fmt(cpu['autocannon']), note: cannon === undefined ? 'not installed' : '-c 10, each connection\'s share of a second in a burst' });

  const vegeta = o.vegeta.path;
  if (vegeta !== undefined) {
    const attack = spawn(vegeta, ['attack', `-rate=${rate}/s`, `-duration=${SECONDS}s`, '-output=/dev/null'], { stdio: ['pipe', 'ignore', 'ignore'] });
    attack.stdin?.end(`GET ${url}\n`);
    cpu['vegeta'] = await cpuOf('vegeta', attack);
  } else {
    cpu['vegeta'] = null;
  }
  rows.push({ test: `open ${rate}/s`, tool: `vegeta attack (${VEGETA_VERSION})`, 'CPU s / 1,000 req': fmt(cpu['vegeta']), note: o.vegeta.missing });

  if (o.artillery !== undefined) cpu['artillery'] = await artilleryAt(o, o.artillery, cpuOf);
  return { cpu, sendLag, rateErrorPct };
}

/** artillery at the rate: one request per virtual user, 10 pooled connections (as autocannon's -c 10). */
async function artilleryAt(o: OpenModel, peer: Peer, cpuOf: (name: string, child: ChildProcess) => Promise<number | null>): Promise<number | null> {
  const { rate, rows } = o;
  const tool = `artillery run (${ARTILLERY_VERSION})`;
  if (peer.path === undefined) {
    rows.push({ test: `open ${rate}/s`, tool, 'CPU s / 1,000 req': 'n/a', note: peer.missing });
    return null;
  }
  const script = path.join(o.scratch, `artillery-${rate}.yml`);
  const report = path.join(o.scratch, `artillery-${rate}.json`);
  const origin = o.url.replace(/\/$/, '');
  writeFileSync(script, `config:\n  target: "${origin}"\n  phases:\n    - duration: ${SECONDS}\n      arrivalRate: ${rate}\n  http:\n    pool: 10\nscenarios:\n  - flow:\n      - get:\n          url: "/"\n`);
  const child = spawn(process.execPath, [peer.path, 'run', '--quiet', script, '--output', report], { stdio: 'ignore', env: { ...process.env, ARTILLERY_DISABLE_TELEMETRY: 'true' } });
  const cpu = await cpuOf('artillery', child);
  let note = '10 pooled connections, a virtual user per request';
  try {
    const counters = (JSON.parse(readFileSync(report, 'utf8')) as { aggregate: { counters: Record<string, number> } }).aggregate.counters;
    note += `; achieved ${Math.round((counters['http.requests'] ?? 0) / SECONDS)}/s, failed ${counters['vusers.failed'] ?? 0}`;
  } catch {
    note += '; no report';
  }
  rows.push({ test: `open ${rate}/s`, tool, 'CPU s / 1,000 req': fmt(cpu), note });
  return cpu;
}

/** The engine's timer alone at `rate`, nothing sent: its send lag, and its CPU over the window. */
export async function timerAlone(rate: number, rows: Rows): Promise<TimerFloor> {
  say(`bench engine: the timer alone at ${rate}/s (no I/O)`);
  const child = spawn(process.execPath, [compiled('bench/_timer-floor.js'), String(rate), String(SECONDS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  const ended = new Promise((resolve) => child.stdout?.on('data', (b: Buffer) => (stdout += b.toString())).on('end', resolve));
  const cpu = perThousand(await cpuWindowOf(child, WINDOW), rate, WINDOW);
  await ended;
  const floor: TimerFloor = { ...(JSON.parse(stdout) as Omit<TimerFloor, 'cpu'>), cpu };
  rows.push({
    test: `open ${rate}/s`,
    tool: 'the timer alone (no I/O)',
    'CPU s / 1,000 req': fmt(cpu),
    'send lag p99 ms': floor.p99,
    note: `p50 ${floor.p50} ms, ${floor.wakesPerS} wake-ups/s`,
  });
  return floor;
}
