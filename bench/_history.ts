import type { ChildProcess } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cpuWindowOf, medianOf, perThousand, round, say, table } from './_util.js';

/**
 * `npm run bench -- engine history`: what recording a Jepsen-style history costs the engine
 * (issue #14: at most 10 % more CPU per request). One journey module, run twice over: `off`
 * sends its request; `on` records an invoke before it and its ok/fail/info after, with keys and
 * a value as the city's operations carry them, into history.ndjson. The engine's open model at a
 * fixed rate against the bench's local server, one worker; whole-process CPU (all threads, the
 * history's writer in the main thread included) per 1,000 requests over the steady window.
 * Rounds interleaved so that the machine's drift falls on both alike; medians kept.
 */
export interface HistoryBench {
  readonly url: string;
  readonly scratch: string;
  readonly rate: number;
  readonly seconds: number;
  readonly window: { readonly from: number; readonly to: number };
  readonly spawn: (file: string, url: string, out: string) => ChildProcess;
}

const ROUNDS = 3;
const MODES = ['off', 'on'] as const;
type Mode = (typeof MODES)[number];

const JOURNEY: Record<Mode, string> = {
  off: `await ctx.request('get', { method: 'GET', path: '/' });`,
  on: `const id = ctx.record({ type: 'invoke', f: 'code.read', keys: { resident: n % 100000 }, value: { idempotencyKey: 'k' + n } });
      const r = await ctx.request('get', { method: 'GET', path: '/' });
      ctx.record({ type: r.outcome === 'ok' ? 'ok' : r.outcome === 'timeout' ? 'info' : 'fail', id, value: { status: r.status } });`,
};

function scenario(b: HistoryBench, mode: Mode): string {
  const module = path.join(b.scratch, `history-${mode}.mjs`);
  writeFileSync(module, `let n = 0;\nexport function journeys() {\n  return [{ name: 'get', weight: 1, run: async (ctx) => {\n      n++;\n      ${JOURNEY[mode]}\n  } }];\n}\n`);
  const file = path.join(b.scratch, `history-${mode}.yaml`);
  writeFileSync(file, `name: bench-history-${mode}\nseed: 1\ntarget: http://127.0.0.1:1\nmodule: ${module}\nload: { executor: constant-arrival-rate, rate: ${b.rate}, duration: ${b.seconds}s }\n`);
  return file;
}

interface Measured {
  readonly cpu: number | null;
  readonly achieved: number;
  readonly failed: number;
  readonly historyBytes: number;
}

export async function historyBench(b: HistoryBench): Promise<number> {
  const files = { off: scenario(b, 'off'), on: scenario(b, 'on') };
  const runs: Record<Mode, Measured[]> = { off: [], on: [] };
  for (let i = 0; i < ROUNDS; i++) {
    for (const mode of MODES) {
      say(`bench engine history: open model ${b.rate}/s, history ${mode} (round ${i + 1} of ${ROUNDS})`);
      const out = path.join(b.scratch, `history-run-${mode}-${i}`);
      const cpu = await cpuWindowOf(b.spawn(files[mode], b.url, out), b.window);
      const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as { rate: { achievedAvg: number }; requests: { failed: number } };
      let historyBytes = 0;
      try {
        historyBytes = statSync(path.join(out, 'history.ndjson')).size;
      } catch {
        // No operation recorded: no file.
      }
      runs[mode].push({ cpu: perThousand(cpu, b.rate, b.window), achieved: summary.rate.achievedAvg, failed: summary.requests.failed, historyBytes });
    }
  }
  const cpu = (m: Mode) => medianOf(runs[m].map((r) => r.cpu));
  const error = (m: Mode) => medianOf(runs[m].map((r) => (100 * Math.abs(r.achieved - b.rate)) / b.rate));
  const off = cpu('off');
  const on = cpu('on');
  const ratio = off === null || on === null ? null : round(on / off, 3);
  process.stdout.write(
    `${table(
      MODES.map((m) => ({
        history: m,
        'CPU s / 1,000 req (each run)': `${cpu(m) ?? 'n/a'} (${runs[m].map((r) => r.cpu ?? 'n/a').join(', ')})`,
        'ratio to off': m === 'off' ? 1 : (ratio ?? 'n/a'),
        'rate error %': round(error(m) ?? 0, 2),
        failed: runs[m].map((r) => r.failed).join(', '),
        'history.ndjson bytes': runs[m].map((r) => r.historyBytes).join(', '),
      })),
    )}\n`,
  );
  process.stdout.write(
    `${JSON.stringify({
      bench: 'engine-history',
      rate: b.rate,
      rounds: ROUNDS,
      cpu_s_per_1000: { off, on },
      cpu_ratio: ratio,
      rate_error_pct: { off: error('off'), on: error('on') },
      cpu_s_per_1000_each_run: { off: runs.off.map((r) => r.cpu), on: runs.on.map((r) => r.cpu) },
      history_bytes: runs.on.map((r) => r.historyBytes),
      goal: { cpu_ratio: '<= 1.10' },
      met: ratio === null ? null : ratio <= 1.1,
    })}\n`,
  );
  return 0;
}
