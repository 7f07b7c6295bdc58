import path from 'node:path';
import { ExitCode } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { defaultRunDir } from '../run-files/index.js';
import { compareCommand } from './compare.js';
import type { CommandIO } from './io.js';
import { runCommand } from './run.js';

/**
 * `npm run demo`: the morning of 4 January 2022 against the reference stack, once with the
 * `fragile` profile and once with `hardened`, back to back (`codestorm run
 * scenarios/xian-2022-01-04.yaml --profile …` each), then one page comparing the two
 * (`codestorm compare`). `--profile P` runs that profile alone.
 *
 * A demo shows a failure rather than gating on one: thresholds that fail are reported, and the
 * exit code is 0 unless the harness itself failed (1) or the input was invalid (2).
 */
export const DEMO_SCENARIO = path.join(packageRoot(), 'scenarios', 'xian-2022-01-04.yaml');

export async function demoCommand(flags: { profile?: string; out?: string; compress?: string }, io: CommandIO): Promise<ExitCode> {
  const root = flags.out ?? defaultRunDir('xian-demo');
  const profiles = flags.profile === undefined ? ['fragile', 'hardened'] : [flags.profile];
  const dirs: string[] = [];
  for (const profile of profiles) {
    const dir = profiles.length === 1 ? root : path.join(root, profile);
    const compress = flags.compress === undefined ? '' : ` --compress ${flags.compress}`;
    io.stderr(`codestorm demo: codestorm run ${path.relative(process.cwd(), DEMO_SCENARIO)} --profile ${profile}${compress} --out ${dir}\n`);
    const code = await runCommand(DEMO_SCENARIO, { profile, out: dir, ...(flags.compress === undefined ? {} : { compress: flags.compress }) }, io);
    if (code !== ExitCode.ok && code !== ExitCode.thresholdsFailed) return code;
    dirs.push(dir);
  }
  const [first, second] = dirs;
  if (first !== undefined && second !== undefined) {
    const page = path.join(root, 'compare.html');
    io.stderr(`codestorm demo: codestorm compare ${first} ${second} --out ${page}\n`);
    const code = await compareCommand(first, second, { out: page }, io);
    if (code !== ExitCode.ok) return code;
    io.stdout(
      `\nThe morning twice, in ${root}: open ${page} in a browser — both goodput curves, each breaking point, the metastability verdicts and what it meant for people, side by side.` +
        ` Each run's own report is ${path.join(first, 'report.html')} and ${path.join(second, 'report.html')}; summary.json holds each verdict.\n`,
    );
  } else if (first !== undefined) {
    io.stdout(
      `\nThe run is in ${first}: open ${path.join(first, 'report.html')} in a browser (what broke, when, and the charts);` +
        ` summary.json holds the verdict, summary.md and junit.xml are for CI, metrics.ndjson, events.ndjson and server.ndjson the raw data.\n`,
    );
  }
  return ExitCode.ok;
}
