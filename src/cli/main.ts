import { Command, CommanderError } from 'commander';
import { CodestormError, ExitCode, errorMessage } from '../errors.js';
import { COMMANDS } from './commands.js';
import { processIO, type CommandIO } from './io.js';

/**
 * The codestorm command line: wires the commands, nothing else. This is the one place that
 * turns outcomes into an exit code (../../shared/DESIGN.md: 0 ok, 99 thresholds, 2 invalid
 * input, 1 the harness failed). The commands themselves are in commands.ts.
 */
export function program(io: CommandIO, setExit: (code: ExitCode) => void): Command {
  const cli = new Command('codestorm')
    .description('Replay a city\'s testing morning against a health-code system, inject faults, see where it breaks')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  for (const add of COMMANDS) add(cli, io, setExit);
  return cli;
}

export async function main(argv: readonly string[], io: CommandIO): Promise<ExitCode> {
  let code: ExitCode = ExitCode.ok;
  try {
    await program(io, (c) => (code = c)).parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; bad flags and unknown commands are invalid input.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.invalidInput;
    }
    if (err instanceof CodestormError) {
      io.stderr(`codestorm: ${err.message}\n`);
      if (err.hint !== undefined) io.stderr(`  hint: ${err.hint}\n`);
      return err.exitCode;
    }
    io.stderr(`codestorm: internal error: ${err instanceof Error ? (err.stack ?? err.message) : errorMessage(err)}\n`);
    return ExitCode.harnessFailed;
  }
}

/**
 * The process entry (bin/codestorm.js): the one place that sets process.exitCode. Importing this
 * module runs nothing; tests call main() with their own IO.
 */
export async function runCli(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  process.exitCode = await main(argv, processIO());
  // Children and sockets are closed by now; nothing legitimate keeps the loop alive.
  setTimeout(() => process.exit(), 200).unref();
}
