import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { compiled } from '../package-root.js';
import type { Ledger } from './ledger.js';

/**
 * A watchdog tied to this process's life: a small detached process holding the read end of a
 * pipe whose only write end is ours. However this process ends — SIGKILL included — the kernel
 * closes that end, the watchdog reads end-of-file and reaps the stack its state file names
 * (watchdog-main.ts), within the reaper's grace of a few seconds. Linux's PR_SET_PDEATHSIG would
 * do this per child without a process, but Node cannot set it without native code, and it
 * would not remove the temporary folders.
 *
 * release() is the orderly end: the state file is gone by then, so the watchdog just exits.
 */
export interface Watchdog {
  readonly pid: number | undefined;
  release(): void;
}

export function startWatchdog(ledger: Ledger, env: NodeJS.ProcessEnv = process.env): Watchdog {
  const child = spawn(process.execPath, [compiled('src/stack/watchdog-main.js'), ledger.file], {
    // Its own session: a Ctrl-C to our process group leaves it alone (the teardown is orderly then).
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
    env,
  });
  child.on('error', () => {}); // no watchdog: the next start still reaps from the state file
  child.unref();
  // The pipe must not keep this process alive either.
  (child.stdin as Socket | null)?.unref();
  child.stdin?.on('error', () => {});
  if (child.pid !== undefined) ledger.setWatchdog(child.pid);
  return {
    pid: child.pid,
    release: () => child.stdin?.end(),
  };
}
