import { ExitCode } from '../errors.js';
import { reapLeftovers } from '../stack/reap.js';
import type { CommandIO } from './io.js';

/**
 * `codestorm down`: by hand, what every stack start does first — stop the processes, remove the
 * temporary folders and reset the external Toxiproxy that killed runs left, as their state files
 * name them, and remove stray temporary folders no process uses. Says what it did; exit 0, also
 * when there was nothing to do. Stacks whose owner still runs are left alone.
 */
export async function downCommand(io: CommandIO): Promise<ExitCode> {
  const report = await reapLeftovers({ env: io.env, say: (line) => io.stdout(`${line}\n`) });
  if (report.lines.length === 0) {
    io.stdout('codestorm: nothing left behind by a killed run\n');
  } else {
    const n = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
    io.stdout(
      `codestorm: reaped ${n(report.stacks, 'stack', 'stacks')}: ${n(report.processes, 'process', 'processes')} stopped, ` +
        `${n(report.dirs, 'folder', 'folders')} removed, ${n(report.toxiproxies, 'Toxiproxy', 'Toxiproxies')} reset\n`,
    );
  }
  return ExitCode.ok;
}
