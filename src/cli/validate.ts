import { CodestormError, ExitCode } from '../errors.js';
import { loadScenario } from '../scenario/load.js';
import type { CommandIO } from './io.js';

/**
 * `codestorm validate SCENARIO...`: checks every file and reports every problem, one line each
 * naming the file and the field; exit 2 when any is invalid, 0 when all are valid.
 */
export async function validateCommand(files: readonly string[], io: CommandIO): Promise<ExitCode> {
  let invalid = 0;
  for (const file of files) {
    try {
      await loadScenario(file);
      io.stdout(`${file}: valid\n`);
    } catch (err) {
      if (!(err instanceof CodestormError) || err.exitCode !== ExitCode.invalidInput) throw err;
      invalid++;
      io.stderr(`${err.message}\n`);
    }
  }
  return invalid === 0 ? ExitCode.ok : ExitCode.invalidInput;
}
