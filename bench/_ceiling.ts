import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Peer } from './_peers.js';
import { exitOf, pinned, round, run, say, table } from './_util.js';

/**
 * `npm run bench -- engine ceiling`: the highest fixed rate one generator sustains on one core
 * (issue #17), codestorm with one worker thread against vegeta, the target pinned to the other
 * core (`taskset`). Each rate in turn, the two tools alternating so that the machine's drift falls
 * on both alike, each for STEP_S seconds; a tool keeps climbing while it sustains the rate:
 * achieved within 1 % of the rate and fewer than 1 % of its requests failed. codestorm's send lag
 * p99 (due → written, from its summary.json) is given at each rate too, and the highest rate
 * where it also stayed within 1 ms and within 2 ms; vegeta does not report when it sent.
 */
export interface CeilingBench {
  readonly url: string;
  readonly scratch: string;
  readonly scenario: (dir: string, name: string, load: string) => string;
  /** codestorm run, already on the generator's core. */
  readonly spawn: (file: string, url: string, out: string) => ChildProcess;
  readonly vegeta: Peer;
  /** The generator's core, given to `taskset -c`. */
  readonly core: number;
}

export const CEILING_RATES = [5_000, 10_000, 15_000, 20_000, 25_000, 30_000, 40_000, 50_000] as const;
const STEP_S = 8;
const RATE_ERROR_PCT = 1;
const FAILED_PCT = 1;

interface Step {
  readonly rate: number;
  readonly achieved: number;
  readonly errorPct: number;
  readonly failedPct: number;
  readonly sendLagP99: number | null;
  readonly sustained: boolean;
}

export async function ceilingBench(b: CeilingBench): Promise<number> {
  const steps: { codestorm: Step[]; vegeta: Step[] } = { codestorm: [], vegeta: [] };
  const climbing = { codestorm: true, vegeta: b.vegeta.path !== undefined };
  for (const rate of CEILING_RATES) {
    if (climbing.codestorm) {
      say(`bench engine ceiling: codestorm at ${rate}/s on core ${b.core}`);
      const step = await codestormAt(b, rate);
      steps.codestorm.push(step);
      climbing.codestorm = step.sustained;
    }
    if (climbing.vegeta) {
      say(`bench engine ceiling: vegeta at ${rate}/s on core ${b.core}`);
      const step = await vegetaAt(b, rate);
      steps.vegeta.push(step);
      climbing.vegeta = step.sustained;
    }
    if (!climbing.codestorm && !climbing.vegeta) break;
  }
  const rows = [
    ...steps.codestorm.map((s) => ({ tool: 'codestorm run (1 worker)', ...row(s) })),
    ...steps.vegeta.map((s) => ({ tool: 'vegeta attack', ...row(s) })),
  ];
  process.stdout.write(`${table(rows)}\n`);
  const highest = (xs: readonly Step[], ok: (s: Step) => boolean = () => true): number | null => {
    let best: number | null = null;
    for (const s of xs) {
      if (!s.sustained) break;
      if (ok(s)) best = s.rate;
    }
    return best;
  };
  const ours = highest(steps.codestorm);
  const theirs = b.vegeta.path === undefined ? null : highest(steps.vegeta);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'engine ceiling',
      core: b.core,
      step_s: STEP_S,
      highest_sustained_rps: { codestorm: ours, vegeta: theirs },
      ratio_vs_vegeta: ours === null || theirs === null ? null : round(ours / theirs),
      codestorm_highest_with_send_lag_p99_le_1ms: highest(steps.codestorm, (s) => s.sendLagP99 !== null && s.sendLagP99 <= 1),
      codestorm_highest_with_send_lag_p99_le_2ms: highest(steps.codestorm, (s) => s.sendLagP99 !== null && s.sendLagP99 <= 2),
      steps,
      vegeta_missing: b.vegeta.missing || undefined,
      goals: { ratio_vs_vegeta: '>= 2', rate_error_pct: `< ${RATE_ERROR_PCT}`, send_lag_p99_ms: '<= 1' },
    })}\n`,
  );
  return 0;
}

function row(s: Step): Record<string, string | number> {
  return {
    'rate /s': s.rate,
    'achieved /s': s.achieved,
    'rate error %': s.errorPct,
    'failed %': s.failedPct,
    'send lag p99 ms': s.sendLagP99 ?? '',
    sustained: s.sustained ? 'yes' : 'no',
  };
}

function judged(rate: number, achieved: number, failedPct: number, sendLagP99: number | null): Step {
  const errorPct = round((100 * Math.abs(achieved - rate)) / rate, 2);
  return { rate, achieved: Math.round(achieved), errorPct, failedPct, sendLagP99, sustained: errorPct < RATE_ERROR_PCT && failedPct < FAILED_PCT };
}

async function codestormAt(b: CeilingBench, rate: number): Promise<Step> {
  const file = b.scenario(b.scratch, `ceiling-${rate}`, `load: { executor: constant-arrival-rate, rate: ${rate}, duration: ${STEP_S}s }`);
  const out = path.join(b.scratch, `ceiling-run-${rate}`);
  await exitOf(b.spawn(file, b.url, out));
  const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as {
    rate: { achievedAvg: number };
    requests: { total: number; failed: number; dropped: number };
    sendLagMs: { p99: number } | null;
  };
  rmSync(out, { recursive: true, force: true });
  const all = summary.requests.total + summary.requests.dropped;
  const failedPct = all === 0 ? 100 : round((100 * (summary.requests.failed + summary.requests.dropped)) / all, 2);
  return judged(rate, summary.rate.achievedAvg, failedPct, summary.sendLagMs?.p99 ?? null);
}

async function vegetaAt(b: CeilingBench, rate: number): Promise<Step> {
  const vegeta = b.vegeta.path!;
  const results = path.join(b.scratch, `vegeta-${rate}.bin`);
  const [command, args] = pinned(b.core, [vegeta, 'attack', `-rate=${rate}/s`, `-duration=${STEP_S}s`, `-output=${results}`]);
  const attack = spawn(command, args, { stdio: ['pipe', 'ignore', 'ignore'] });
  attack.stdin?.end(`GET ${b.url}\n`);
  await exitOf(attack);
  const { stdout } = await run(vegeta, ['report', '-type=json', results], { maxBuffer: 16 * 1024 * 1024 });
  rmSync(results, { force: true });
  // vegeta's `rate` is requests over the attack's span: its achieved sending rate.
  const report = JSON.parse(stdout) as { rate: number; success: number; requests: number };
  return judged(rate, report.rate, round(100 * (1 - report.success), 2), null);
}
