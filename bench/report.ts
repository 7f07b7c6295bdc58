import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mergeWire, SecondMetrics } from '../src/engine/second.js';
import { toNdjsonLine } from '../src/run-files/metrics.js';
import { packageRoot } from '../src/package-root.js';
import { measureNode, round, say, table } from './_util.js';

/**
 * Rendering a 1-hour run: a run directory of 3,600 seconds × 10 request names (each second ~100
 * requests per name, two outcomes, a fault in the middle, a server scrape every second) is
 * analysed and rendered by `codestorm report` in a fresh process: wall time, peak RSS and the
 * size of report.html. Goal: under 5 s, HTML under 5 MB. The issue names no peer.
 */
const SECONDS = 3_600;
const NAMES = 10;
const RUNS = 3;

export async function main(): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'codestorm-bench-report-'));
  try {
    say(`bench report: writing a ${SECONDS} s × ${NAMES}-name run directory`);
    synthesize(dir);
    const samples: { seconds: number; rssMb: number }[] = [];
    for (let i = 0; i < RUNS; i++) {
      say(`bench report: codestorm report, run ${i + 1} of ${RUNS}`);
      samples.push(await timeReport(dir));
    }
    const html = statSync(path.join(dir, 'report.html')).size;
    const wall = [...samples.map((s) => s.seconds)].sort((a, b) => a - b)[Math.floor(RUNS / 2)] ?? 0;
    const rss = Math.max(...samples.map((s) => s.rssMb));
    process.stdout.write(`${table([{ what: `codestorm report, ${SECONDS} s × ${NAMES} names`, 'wall s (median of 3)': round(wall, 2), 'peak RSS MB': rss, 'report.html MB': round(html / 1e6, 2) }])}\n`);
    process.stdout.write(`${JSON.stringify({ bench: 'report', seconds: SECONDS, names: NAMES, wall_s: round(wall, 3), peak_rss_mb: rss, html_mb: round(html / 1e6, 3), goals: { wall_s: '< 5', html_mb: '< 5' }, met: wall < 5 && html < 5e6 })}\n`);
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function synthesize(dir: string): void {
  const names = Array.from({ length: NAMES }, (_, i) => `request-${i}`);
  const lines: string[] = [];
  const scrapes: string[] = [];
  let x = 12345;
  const rand = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let t = 0; t < SECONDS; t++) {
    const m = new SecondMetrics(t);
    const trouble = t >= 1800 && t < 2100;
    m.offered(NAMES * 100);
    m.started(NAMES * 100);
    m.inFlight(trouble ? 800 : 20);
    for (const name of names) {
      for (let i = 0; i < 100; i++) {
        const failed = trouble && rand() < 0.3;
        const ms = trouble ? 200 + rand() * 3000 : 5 + rand() * rand() * 200;
        m.request(name, failed ? '5xx' : 'ok', ms * 1000, ms * 900);
      }
    }
    lines.push(toNdjsonLine(mergeWire([m.toWire()])));
    scrapes.push(JSON.stringify({ t: t + 0.3, metrics: { 'db_pool_waiting{worker="1"}': trouble ? 50 : 0, 'cache_requests_total{outcome="hit",worker="1"}': t * 900, 'cache_requests_total{outcome="miss",worker="1"}': t * 100 } }));
  }
  writeFileSync(path.join(dir, 'metrics.ndjson'), lines.join(''));
  writeFileSync(path.join(dir, 'server.ndjson'), `${scrapes.join('\n')}\n`);
  writeFileSync(
    path.join(dir, 'events.ndjson'),
    `${JSON.stringify({ t: 1800, event: 'fault-begin', fault: 'slow-db', kind: 'network', target: 'link postgres' })}\n${JSON.stringify({ t: 2100, event: 'fault-end', fault: 'slow-db', kind: 'network', target: 'link postgres' })}\n`,
  );
  writeFileSync(
    path.join(dir, 'scenario.yaml'),
    `name: hour\nseed: 1\ntarget: http://127.0.0.1:9\nload: { executor: constant-arrival-rate, rate: 1000, duration: ${SECONDS}s }\njourneys:\n  - { name: j, steps: [ { name: s, request: { url: "/" } } ] }\nslo:\n  window: 10s\n  http_req_duration: ["p(99)<1000"]\n  http_req_failed: ["rate<0.05"]\n`,
  );
  writeFileSync(
    path.join(dir, 'summary.json'),
    JSON.stringify({
      scenario: 'hour', seed: 1, profile: null, target: 'http://127.0.0.1:9', startedAt: '2026-01-01T00:00:00.000Z', durationS: SECONDS,
      requests: { total: 3_600_000, ok: 3_500_000, failed: 100_000, dropped: 0, byOutcome: {} }, rate: { offeredAvg: 1000, achievedAvg: 1000, peakOffered: 1000 },
      latencyMs: { p50: 30, p95: 300, p99: 2500, max: 3200 }, thresholds: [], breakingPoint: null,
      faults: [{ name: 'slow-db', kind: 'network', target: 'link postgres', startS: 1800, endS: 2100, recoveryS: null, failed: null }],
      slo: null, capacity: null, metastable: null, stopped: null, interrupted: false, verdict: 'pass',
    }),
  );
}

function timeReport(dir: string): Promise<{ seconds: number; rssMb: number }> {
  return measureNode(path.join(packageRoot(), 'bin', 'codestorm.js'), ['report', dir]).then((m) => ({ seconds: m.seconds, rssMb: m.maxRssMb }));
}
