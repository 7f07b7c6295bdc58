import { parseDuration } from '../engine/executors/duration.js';
import { ExitCode, invalidInput } from '../errors.js';
import type { FaultOutcome } from '../faults/timeline.js';
import { defaultRunDir } from '../run-files/index.js';
import { runFaults } from '../run/faults-run.js';
import { loadScenario } from '../scenario/load.js';
import type { CommandIO } from './io.js';
import { dashboardSpec, type DashboardFlags } from './dashboard-flags.js';
import { parseCount } from './options.js';
import { parseTarget } from './scenario-flags.js';

export interface FaultsFlags extends DashboardFlags {
  readonly target?: string;
  readonly scrape?: string;
  readonly out?: string;
  readonly seed?: string;
  readonly startAt?: string;
  readonly quiet?: boolean;
  readonly json?: boolean;
}

/**
 * `codestorm faults SCENARIO --target URL`: the scenario's fault timeline and the scrapes
 * against a stack the user runs, while a load runs elsewhere (k6 from `export k6`). Faults act
 * through TOXIPROXY_URL, REDIS_URL and DATABASE_URL. Writes events.ndjson and server.ndjson into
 * the run directory; `report --from-k6 FILE… --run DIR` joins k6's results to them.
 *
 * Exit codes: 0 every fault began and was undone; 1 one could not begin, or a signal stopped the
 * run (every fault is undone either way); 2 invalid input.
 */
export async function faultsCommand(file: string, flags: FaultsFlags, io: CommandIO): Promise<ExitCode> {
  const loaded = await loadScenario(file);
  const scenario = loaded.scenario;
  const targetRaw = flags.target ?? scenario.target;
  if (targetRaw === 'reference') {
    throw invalidInput('TARGET_INVALID', `${flags.target !== undefined ? '--target' : `${file}: target`}: faults acts on a stack you run, not on "reference"`, 'start one with `codestorm server`, then pass --target URL and its TOXIPROXY_URL, REDIS_URL and DATABASE_URL');
  }
  const target = parseTarget(targetRaw, flags.target !== undefined ? '--target' : `${file}: target`);
  const scrape = flags.scrape === undefined ? scenario.scrape : parseUrl('--scrape', flags.scrape);
  const seed = flags.seed !== undefined ? parseCount('--seed', flags.seed, 0, 2 ** 31 - 1) : (scenario.seed ?? 1);
  const dir = flags.out ?? defaultRunDir(`${scenario.name}-faults`);
  const say = (line: string): void => {
    if (flags.quiet !== true) io.stderr(`${line}\n`);
  };
  const startAtMs = flags.startAt === undefined ? undefined : parseStartAt(flags.startAt, Date.now());
  const dashboard = dashboardSpec(flags);
  const notice = (line: string): void => io.stderr(`${line}\n`);
  const result = await runFaults({ file, loaded, seed, target, scrape, dir, startAtMs, dashboard }, { env: io.env, interrupted: io.interrupted, say, notice });
  if (flags.json === true) io.stdout(`${JSON.stringify({ dir, ...result })}\n`);
  else io.stdout(describe(result.faults, dir, result.interrupted));
  return result.interrupted || result.faults.some((f) => f.failed !== null) ? ExitCode.harnessFailed : ExitCode.ok;
}

/**
 * --start-at: when second 0 is, so that faults and a load started apart share one clock: an
 * ISO 8601 time (2026-01-04T09:00:00Z) or a duration from now (+30s).
 */
export function parseStartAt(raw: string, nowMs: number): number {
  if (raw.startsWith('+')) return nowMs + parseDuration(raw.slice(1), '--start-at');
  const at = /^\d{4}-\d\d-\d\dT/.test(raw) ? Date.parse(raw) : Number.NaN;
  if (!Number.isFinite(at)) throw invalidInput('FLAG_INVALID', `--start-at: expected an ISO 8601 time (2026-01-04T09:00:00Z) or +DURATION, got "${raw}"`);
  if (at < nowMs - 1_000) throw invalidInput('FLAG_INVALID', `--start-at: ${raw} is in the past`);
  return at;
}

function parseUrl(flag: string, raw: string): string {
  try {
    const url = new URL(raw);
    if (url.protocol === 'http:') return url.href;
  } catch {
    // reported below
  }
  throw invalidInput('FLAG_INVALID', `${flag}: expected an http:// URL, got "${raw}"`);
}

function describe(faults: readonly FaultOutcome[], dir: string, interrupted: boolean): string {
  const lines = [
    `faults: ${interrupted ? 'INTERRUPTED' : faults.some((f) => f.failed !== null) ? 'A FAULT FAILED' : 'DONE'}, every fault undone`,
    ...faults.map(faultLine),
    `  results in ${dir}; join a load's k6 results to them: codestorm report --from-k6 FILE… --run ${dir}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** A fault as the summaries on stdout list it, for `run` and `faults` alike. */
export function faultLine(f: { readonly name: string; readonly kind: string; readonly target: string; readonly startS: number | null; readonly endS: number | null; readonly failed: string | null }): string {
  const what = `  fault      ${f.name} (${f.kind} on ${f.target})`;
  if (f.startS === null) return `${what} never began${f.failed === null ? '' : `: ${f.failed}`}`;
  return `${what} +${f.startS}s → +${f.endS ?? '?'}s${f.failed === null ? '' : `, ${f.failed}`}`;
}
