import { appendFileSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseSlo } from '../src/analyze/slo.js';
import { startDashboard } from '../src/dashboard/dashboard.js';
import { LiveRun } from '../src/dashboard/live-run.js';
import { RUN_FILES } from '../src/run-files/index.js';

/**
 * `node dist/bench/_replay.js SRC OUT TIMES [dashboard]`: writes SRC's metrics.ndjson into OUT a
 * second at a time, at the pace it was written, TIMES over (each time after the last, so a short
 * run makes a long one), with OUT's dashboard up when asked (its address on stderr, as `run
 * --dashboard` prints it): the dashboard's share of a run alone, without the engine beside it
 * (_dashboard.ts measures this process's CPU once the dashboard's code is warm).
 */
const [src, out, times, dashboard] = process.argv.slice(2) as [string, string, string, string | undefined];
mkdirSync(out, { recursive: true });
copyFileSync(path.join(src, RUN_FILES.scenario), path.join(out, RUN_FILES.scenario));
writeFileSync(path.join(out, RUN_FILES.metrics), '');
writeFileSync(path.join(out, RUN_FILES.events), readFileSync(path.join(src, RUN_FILES.events), 'utf8').split('\n')[0] + '\n');
const lines = readFileSync(path.join(src, RUN_FILES.metrics), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { t?: number });
const length = Math.max(...lines.map((l) => l.t ?? 0)) + 1;
const seconds = new Map<number, string>();
for (let k = 0; k < Number(times); k++) {
  for (const line of lines) {
    if (line.t === undefined && k > 0) continue;
    const t = line.t === undefined ? -1 : line.t + k * length;
    seconds.set(t, (seconds.get(t) ?? '') + `${JSON.stringify(line.t === undefined ? line : { ...line, t })}\n`);
  }
}
const live = dashboard === undefined ? undefined : await startDashboard({ port: 0, dir: out, model: new LiveRun({ dir: out, mode: 'run', slo: parseSlo(undefined), thresholds: [], plannedS: seconds.size }) });
if (live !== undefined) process.stderr.write(`codestorm: live dashboard at ${live.url}\n`);
const start = Date.now();
for (const [i, text] of [...seconds.entries()].sort((a, b) => a[0] - b[0]).entries()) {
  await sleep(Math.max(0, start + (i + 1) * 1000 - Date.now()));
  appendFileSync(path.join(out, RUN_FILES.metrics), text[1]);
}
await sleep(1000);
live?.end({ verdict: 'pass', headline: 'replayed', report: null, dir: out });
process.stderr.write(`replayed: ${JSON.stringify(live?.cost ?? null)}\n`);
await sleep(500);
await live?.close();
