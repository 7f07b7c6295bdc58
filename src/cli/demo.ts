import path from 'node:path';
import { ExitCode } from '../errors.js';
import { packageRoot } from '../package-root.js';
import type { CommandIO } from './io.js';
import { runCommand } from './run.js';

/**
 * `npm run demo`: the morning of 4 January 2022 against the reference stack —
 * `codestorm run scenarios/xian-2022-01-04.yaml` — ending with where the results are.
 * A demo shows a failure rather than gating on one: thresholds that fail are reported, and the
 * exit code is 0 unless the harness itself failed (1) or the input was invalid (2).
 */
export const DEMO_SCENARIO = path.join(packageRoot(), 'scenarios', 'xian-2022-01-04.yaml');

export async function demoCommand(flags: { profile: string; out?: string }, io: CommandIO): Promise<ExitCode> {
  io.stderr(`codestorm demo: codestorm run ${path.relative(process.cwd(), DEMO_SCENARIO)} --profile ${flags.profile}\n`);
  let dir = '';
  const code = await runCommand(DEMO_SCENARIO, { profile: flags.profile, ...(flags.out === undefined ? {} : { out: flags.out }) }, {
    ...io,
    stdout: (text) => {
      const m = /results in (.+)$/m.exec(text);
      if (m !== null) dir = m[1] ?? '';
      io.stdout(text);
    },
  });
  if (dir !== '') {
    io.stdout(
      `\nThe run is in ${dir}: open ${path.join(dir, 'report.html')} in a browser (what broke, when, and the charts);` +
        ` summary.json holds the verdict, summary.md and junit.xml are for CI, metrics.ndjson, events.ndjson and server.ndjson the raw data.` +
        ` Try --profile fragile to see it fall over and stay down.\n`,
    );
  }
  return code === ExitCode.thresholdsFailed ? ExitCode.ok : code;
}
