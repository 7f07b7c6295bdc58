// Long because: dashboardBench interleaves its rounds (none, one tab, ten tabs) in one loop so drift hits them alike.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { compiled } from '../src/package-root.js';
import { which } from '../src/stack/tools.js';
import { clockTicks, cpuSecondsOf, cpuWindowOf, exitOf, medianOf, perThousand, round, run, say, table } from './_util.js';

/**
 * `npm run bench -- engine dashboard`: what the live dashboard costs the run it watches. The
 * engine's open-model run (a fixed rate against the bench's local server) without a dashboard;
 * with `--dashboard` open in one headless Chromium tab; in ten tabs as a browser holds them, one
 * in front and nine in the background (headless Chromium shows every page, so the nine are told
 * they are hidden, as a desktop browser tells its background tabs: they keep their points and do
 * not draw them); and in ten tabs all in front, each drawing every chart every second, the worst
 * case. Three times each, interleaved, so that the machine's drift falls on all alike; medians
 * kept. For each: codestorm's CPU seconds (all threads) per 1,000 requests made over the steady
 * window, its rate error, the browser's CPU over the same window (on a machine of two cores it
 * competes with the engine), and what the dashboard's polls took of the run's main thread (wall
 * time, so a busy machine inflates it).
 *
 * The run's CPU varies by a third from run to run on a shared machine of two cores, more than
 * the dashboard could cost, so its own share is also measured apart: a process that writes one
 * of those runs' metrics.ndjson again at its pace (_replay.ts) with the dashboard following it
 * and the tabs open, against the same process without a dashboard. What that process spends more
 * is the dashboard's work, per second of the run and per request of it.
 */
export interface DashboardBench {
  readonly url: string;
  readonly scratch: string;
  readonly rate: number;
  readonly seconds: number;
  readonly window: { readonly from: number; readonly to: number };
  readonly scenario: (dir: string, name: string, load: string) => string;
  readonly spawn: (file: string, url: string, out: string, extra?: readonly string[]) => ChildProcess;
}

interface Setup {
  readonly key: 'none' | 'one_tab' | 'ten_tabs' | 'ten_tabs_in_front';
  readonly label: string;
  readonly tabs: number;
  /** Tabs after the first that are in the background. */
  readonly behind: boolean;
}

const SETUPS: readonly Setup[] = [
  { key: 'none', label: 'none', tabs: 0, behind: false },
  { key: 'one_tab', label: '1 tab', tabs: 1, behind: false },
  { key: 'ten_tabs', label: '10 tabs, 9 in the background', tabs: 10, behind: true },
  { key: 'ten_tabs_in_front', label: '10 tabs, all in front', tabs: 10, behind: false },
];
const ROUNDS = 3;

/** What a browser tells a tab in the background, told to a headless page. */
const IN_THE_BACKGROUND = `Object.defineProperty(document, 'hidden', { get: () => true }); Object.defineProperty(document, 'visibilityState', { get: () => 'hidden' });`;

interface Measured {
  readonly cpu: number | null;
  readonly achieved: number;
  readonly browserCpu: number | null;
  readonly polls: { readonly polls: number; readonly totalMs: number; readonly maxMs: number; readonly dropped: number } | null;
}

export async function dashboardBench(b: DashboardBench): Promise<number> {
  const executablePath = process.env['CHROMIUM_PATH'] ?? (await which('chromium')) ?? (await which('chromium-browser'));
  if (executablePath === undefined) throw new Error('no chromium on PATH: apt-get install -y chromium, or set CHROMIUM_PATH');
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });
  const file = b.scenario(b.scratch, 'open', `load: { executor: constant-arrival-rate, rate: ${b.rate}, duration: ${b.seconds}s }`);
  const runs = Object.fromEntries(SETUPS.map((s) => [s.key, [] as Measured[]])) as Record<Setup['key'], Measured[]>;
  let alone: Alone;
  try {
    for (let round_ = 0; round_ < ROUNDS; round_++) {
      for (const setup of SETUPS) {
        say(`bench engine dashboard: open model ${b.rate}/s, dashboard: ${setup.label} (round ${round_ + 1} of ${ROUNDS})`);
        runs[setup.key].push(await measure(b, file, browser, setup, path.join(b.scratch, `run-${setup.key}-${round_}`)));
      }
    }
    alone = await dashboardAlone(b, browser, path.join(b.scratch, 'run-none-0'));
  } finally {
    await browser.close();
  }
  const errors = (key: Setup['key']) => runs[key].map((m) => (100 * Math.abs(m.achieved - b.rate)) / b.rate);
  const cpu = (key: Setup['key']) => medianOf(runs[key].map((m) => m.cpu));
  const ratio = (x: number | null, y: number | null) => (x === null || y === null ? null : round(x / y, 3));
  const of = <T>(f: (key: Setup['key']) => T) => Object.fromEntries(SETUPS.map((s) => [s.key, f(s.key)]));
  const rows = SETUPS.map((s) => ({
    dashboard: s.label,
    'CPU s / 1,000 req (each run)': `${cpu(s.key) ?? 'n/a'} (${runs[s.key].map((m) => m.cpu ?? 'n/a').join(', ')})`,
    'ratio to none': ratio(cpu(s.key), cpu('none')) ?? 'n/a',
    'rate error %, median (worst)': `${round(medianOf(errors(s.key))!, 2)} (${round(Math.max(...errors(s.key)), 2)})`,
    'browser CPU s / 1,000 req': s.tabs === 0 ? '' : (medianOf(runs[s.key].map((m) => m.browserCpu)) ?? 'n/a'),
    'polls: ms per poll, mean / max': s.tabs === 0 ? '' : runs[s.key].map((m) => (m.polls === null ? 'n/a' : `${round(m.polls.totalMs / Math.max(1, m.polls.polls), 2)} / ${m.polls.maxMs}`)).join(', '),
  }));
  process.stdout.write(`${table(rows)}\n`);
  process.stdout.write(
    `the dashboard alone (replaying a run of ${b.rate}/s): ${alone.one_tab_ms_per_s} ms of CPU per second of the run with 1 tab, ${alone.ten_tabs_ms_per_s} ms with 10, ` +
      `against ${round((cpu('none') ?? 0) * b.rate, 1)} ms the run itself takes a second\n`,
  );
  process.stdout.write(
    `${JSON.stringify({
      bench: 'engine-dashboard',
      rate: b.rate,
      rounds: ROUNDS,
      cpu_s_per_1000: of(cpu),
      cpu_ratio: of((k) => ratio(cpu(k), cpu('none'))),
      rate_error_pct: of((k) => round(medianOf(errors(k))!, 2)),
      worst_rate_error_pct: of((k) => round(Math.max(...errors(k)), 2)),
      cpu_s_per_1000_each_run: of((k) => runs[k].map((m) => m.cpu)),
      browser_cpu_s_per_1000: of((k) => medianOf(runs[k].map((m) => m.browserCpu))),
      dashboard_alone: alone,
      dashboard_alone_share_of_run_cpu: of((k) => {
        const extra = k === 'one_tab' ? alone.one_tab_ms_per_s : k === 'ten_tabs' || k === 'ten_tabs_in_front' ? alone.ten_tabs_ms_per_s : null;
        const none = cpu('none');
        return extra === null || none === null ? null : round(extra / (none * b.rate), 4);
      }),
      dashboard_polls: { one_tab: runs.one_tab.map((m) => m.polls), ten_tabs: runs.ten_tabs.map((m) => m.polls), ten_tabs_in_front: runs.ten_tabs_in_front.map((m) => m.polls) },
      goals: { cpu_ratio: '<= 1.05', rate_error_pct: '< 1' },
    })}\n`,
  );
  return 0;
}

/** One measured run, the tabs of `setup` open on its dashboard from its first second. */
async function measure(b: DashboardBench, file: string, browser: Browser, setup: Setup, out: string): Promise<Measured> {
  const ticks = await clockTicks();
  const spawned = Date.now();
  const child = b.spawn(file, b.url, out, setup.tabs > 0 ? ['--dashboard', '--dashboard-linger', '5s'] : []);
  const cpu = cpuWindowOf(child, b.window);
  let browserCpu: number | null = null;
  let polls: Measured['polls'] = null;
  if (setup.tabs > 0) {
    const url = await addressOf(child);
    const context = await browser.newContext();
    const pages = await Promise.all(Array.from({ length: setup.tabs }, () => context.newPage()));
    if (setup.behind) await Promise.all(pages.slice(1).map((p) => p.addInitScript(IN_THE_BACKGROUND)));
    await Promise.all(pages.map((p) => p.goto(url)));
    // The same window as codestorm's, from its start.
    await new Promise((r) => setTimeout(r, Math.max(0, b.window.from * 1000 - (Date.now() - spawned))));
    const first = await browserCpuSeconds(ticks);
    await new Promise((r) => setTimeout(r, (b.window.to - b.window.from) * 1000));
    browserCpu = perThousand((await browserCpuSeconds(ticks)) - first, b.rate, b.window);
    polls = await pollsOf(url);
    await context.close();
  }
  const used = await cpu;
  await exitOf(child);
  const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as { rate: { achievedAvg: number } };
  // Per request made: a run that fell behind its rate made fewer.
  return { cpu: perThousand(used, summary.rate.achievedAvg, b.window), achieved: summary.rate.achievedAvg, browserCpu, polls };
}

/** Once the run has ended, while its dashboard lingers: what its polls took. */
async function pollsOf(url: string): Promise<Measured['polls']> {
  for (let i = 0; i < 100; i++) {
    const snapshot = (await (await fetch(new URL('/snapshot', url))).json()) as { panel: { end: unknown }; cost: NonNullable<Measured['polls']> };
    if (snapshot.panel.end !== null) return snapshot.cost;
    await new Promise((r) => setTimeout(r, 250));
  }
  return null;
}

function addressOf(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const m = /live dashboard at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(text);
      if (m !== null) resolve(m[1]!);
    });
    child.once('exit', () => reject(new Error(`codestorm exited before its dashboard started: ${text}`)));
  });
}

/** CPU seconds of the browser this bench launched: every process below this one that is Chromium (its renderers included). */
async function browserCpuSeconds(ticks: number): Promise<number> {
  const { stdout } = await run('ps', ['-eo', 'pid=,ppid=,comm=']);
  const rows = stdout.trim().split('\n').map((l) => l.trim().split(/\s+/)).map(([pid, ppid, comm]) => ({ pid: Number(pid), ppid: Number(ppid), comm: comm ?? '' }));
  const tree = [process.pid];
  for (let i = 0; i < tree.length; i++) for (const p of rows) if (p.ppid === tree[i]) tree.push(p.pid);
  return rows.filter((p) => tree.includes(p.pid) && /chrom/i.test(p.comm)).reduce((sum, p) => sum + (cpuSecondsOf(p.pid, ticks) ?? 0), 0);
}

/**
 * The dashboard's own CPU, apart from the engine's: a run replayed three times over (36 s), the
 * replay process's CPU from its 8th second to its 34th (the pages loaded, the code warm) with the
 * dashboard and its tabs (1, then 10 in front), less the same process's without a dashboard;
 * ms per second of the run.
 */
const REPLAYS = 3;
const ALONE_WINDOW = { from: 8, to: 34 } as const;

interface Alone {
  readonly one_tab_ms_per_s: number | null;
  readonly ten_tabs_ms_per_s: number | null;
  readonly without_ms_per_s: number | null;
}

async function dashboardAlone(b: DashboardBench, browser: Browser, recorded: string): Promise<Alone> {
  const replay = async (tabs: number | null): Promise<number | null> => {
    say(`bench engine dashboard: the dashboard alone, replaying a run, ${tabs === null ? 'no dashboard' : `${tabs} tab${tabs === 1 ? '' : 's'}`}`);
    const child = spawn(process.execPath, [compiled('bench/_replay.js'), recorded, path.join(b.scratch, `replay-${tabs}`), String(REPLAYS), ...(tabs === null ? [] : ['dashboard'])], { stdio: ['ignore', 'ignore', 'pipe'] });
    const used = cpuWindowOf(child, ALONE_WINDOW);
    if (tabs !== null) {
      const url = await addressOf(child);
      const context = await browser.newContext();
      const pages = await Promise.all(Array.from({ length: tabs }, () => context.newPage()));
      await Promise.all(pages.map((p) => p.goto(url)));
      await exitOf(child);
      await context.close();
    }
    const cpu = await used;
    return cpu === null ? null : (1000 * cpu) / (ALONE_WINDOW.to - ALONE_WINDOW.from);
  };
  const without = await replay(null);
  const one = await replay(1);
  const ten = await replay(10);
  const extra = (x: number | null) => (x === null || without === null ? null : round(Math.max(0, x - without), 1));
  return { one_tab_ms_per_s: extra(one), ten_tabs_ms_per_s: extra(ten), without_ms_per_s: without === null ? null : round(without, 1) };
}
