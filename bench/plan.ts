import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../src/package-root.js';
import { measureNode, round, say, table } from './_util.js';

/**
 * `codestorm plan --json` for the whole city (scale 1: 12,952,907 residents, 06:00–12:00, all
 * four streams), as a user runs it: a fresh process each time, its wall time and its peak
 * resident memory (getrusage's maxrss, read by a wrapper in the same process). Goal: under 2 s
 * and 200 MB. The issue names no peer; `node -e ""` (the cost of starting Node at all) is
 * measured beside it, so the plan's own share can be seen.
 */
const RUNS = 5;

const CITY = `name: whole-city
seed: 1
target: reference
city:
  clock: { start: "06:00", end: "12:00", compress: 60 }
  population: { scale: 1 }
journeys:
  - { name: residents, use: resident.open-code }
  - { name: checkpoints, use: checkpoint.verify }
  - { name: tables, use: sampler.table }
  - { name: labs, use: lab.result }
`;

type Sample = Awaited<ReturnType<typeof measureNode>>;

export async function main(): Promise<number> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-bench-plan-'));
  try {
    const file = path.join(scratch, 'whole-city.yaml');
    writeFileSync(file, CITY);
    const bin = path.join(packageRoot(), 'bin', 'codestorm.js');
    const empty = path.join(scratch, 'empty.mjs');
    writeFileSync(empty, '');
    const plans: Sample[] = [];
    const bare: Sample[] = [];
    for (let i = 0; i < RUNS; i++) {
      say(`bench plan: run ${i + 1} of ${RUNS}`);
      bare.push(await measureNode(empty, []));
      plans.push(await measureNode(bin, ['plan', file, '--json']));
    }
    const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const planS = median(plans.map((p) => p.seconds));
    const bareS = median(bare.map((p) => p.seconds));
    const planMb = Math.max(...plans.map((p) => p.maxRssMb));
    const bareMb = Math.max(...bare.map((p) => p.maxRssMb));
    process.stdout.write(
      `${table([
        { what: 'codestorm plan --json, whole city', 'wall s (median of 5)': round(planS, 3), 'peak RSS MB (max)': planMb, 'JSON bytes': plans[0]?.stdoutBytes ?? 0 },
        { what: 'node, empty module (start-up only)', 'wall s (median of 5)': round(bareS, 3), 'peak RSS MB (max)': bareMb, 'JSON bytes': 0 },
      ])}\n`,
    );
    process.stdout.write(
      `${JSON.stringify({
        bench: 'plan',
        residents: 12_952_907,
        wall_s: round(planS, 3),
        peak_rss_mb: planMb,
        node_startup_s: round(bareS, 3),
        node_startup_rss_mb: bareMb,
        goals: { wall_s: '< 2', peak_rss_mb: '< 200' },
        met: planS < 2 && planMb < 200,
      })}\n`,
    );
    return 0;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

