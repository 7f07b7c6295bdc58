import { ExitCode, invalidInput } from '../errors.js';
import { exportK6 } from '../k6/export.js';
import { loadScenario } from '../scenario/load.js';
import type { CommandIO } from './io.js';
import { parseCount } from './options.js';

/** `codestorm export k6 SCENARIO --out DIR [--parallelism N]`: translate, call, report. */
export interface ExportFlags {
  readonly out?: string;
  readonly parallelism?: string;
}

export const MAX_PARALLELISM = 1_000;

export async function exportCommand(format: string, file: string, flags: ExportFlags, io: CommandIO): Promise<ExitCode> {
  if (format !== 'k6') throw invalidInput('FORMAT_INVALID', `export: expected the format "k6", got "${format}"`);
  if (flags.out === undefined || flags.out === '') throw invalidInput('FLAG_INVALID', '--out: missing: the folder to write script.js, testrun.yaml and README.md into');
  const parallelism = flags.parallelism === undefined ? 1 : parseCount('--parallelism', flags.parallelism, 1, MAX_PARALLELISM);
  const loaded = await loadScenario(file);
  const result = await exportK6(loaded, { outDir: flags.out, parallelism });
  for (const f of result.files) io.stderr(`wrote ${f}\n`);
  io.stderr(`script.js: ${result.scriptBytes.toLocaleString('en')} bytes; ${Object.keys(result.load.scenarios).length} k6 scenario(s); seed ${result.seed}\n`);
  for (const note of result.notes) io.stderr(`note: ${note}\n`);
  io.stderr(`next: ${result.configMapCommand} && kubectl apply -f testrun.yaml (in ${flags.out}; see its README.md)\n`);
  return ExitCode.ok;
}
