import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { readLedger } from './ledger.js';
import { reapStack } from './reap.js';

/**
 * The watchdog process (watchdog.ts): `node watchdog-main.js STATE_FILE`, stdin a pipe from the
 * process that owns the stack. When the pipe closes, the owner has ended; if its state file is
 * still there, it ended without tearing down, and what the file names is reaped. What it did
 * goes to watchdog.log beside the state files, since nobody is left to read its stderr.
 */
const file = process.argv[2];
if (file === undefined) {
  process.stderr.write('usage: watchdog-main.js STATE_FILE\n');
  process.exitCode = 2;
} else {
  // Signals meant for the owner's terminal or session are not for us.
  process.on('SIGINT', () => {});
  process.on('SIGHUP', () => {});
  let reaping = false;
  const reap = async (): Promise<void> => {
    if (reaping) return;
    reaping = true;
    const data = readLedger(file);
    if (data !== undefined && !(data instanceof Error)) {
      const log = path.join(path.dirname(file), 'watchdog.log');
      await reapStack(file, data, {
        say: (line) => appendFileSync(log, `${new Date().toISOString()} watchdog ${process.pid}: ${line.replace(/^codestorm: /, '')}\n`),
      });
    }
    process.exit(0);
  };
  process.stdin.on('end', () => void reap());
  process.stdin.on('close', () => void reap());
  process.stdin.on('error', () => void reap());
  process.stdin.resume();
}
