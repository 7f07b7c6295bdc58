import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** On GitHub Actions, summary.md is appended to the job's step summary ($GITHUB_STEP_SUMMARY). */
export async function appendStepSummary(env: NodeJS.ProcessEnv, dir: string): Promise<boolean> {
  const target = env['GITHUB_STEP_SUMMARY'];
  if (target === undefined || target === '') return false;
  appendFileSync(target, `${readFileSync(path.join(dir, 'summary.md'), 'utf8')}\n`);
  return true;
}
