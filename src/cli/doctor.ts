import { ExitCode } from '../errors.js';
import { checkPrerequisites } from '../stack/prerequisites.js';
import type { CommandIO } from './io.js';

/** `codestorm doctor`: what is installed, what is missing, and how to get it. */
export async function doctorCommand(flags: { json?: boolean }, io: CommandIO): Promise<ExitCode> {
  const checks = await checkPrerequisites(io.env);
  const usable = checks.every((c) => c.ok || !c.required);
  if (flags.json === true) {
    io.stdout(`${JSON.stringify({ usable, checks })}\n`);
  } else {
    const width = Math.max(...checks.map((c) => c.name.length));
    for (const c of checks) {
      io.stdout(`${c.ok ? 'ok     ' : c.required ? 'MISSING' : 'missing'}  ${c.name.padEnd(width)}  ${c.found}\n`);
      if (c.fix !== undefined) io.stdout(`${' '.repeat(9 + width)}  get it: ${c.fix}\n`);
    }
    io.stdout(usable ? 'everything codestorm needs is usable\n' : 'codestorm cannot run until the MISSING items are installed\n');
  }
  return usable ? ExitCode.ok : ExitCode.harnessFailed;
}
