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
 * release() is the orderly end: the state file is gone by then (or names only what the teardown
 * could not stop), so the watchdog exits at once; release waits for that, so that nothing of
 * ours outlives codestorm.
 */
export interface Watchdog {
  readonly pid: number | undefined;
  release(): Promise<void>;
}

const RELEASE_WAIT_MS = 5_000;

export function startWatchdog(ledger: Ledger, env: NodeJS.ProcessEnv = process.env): Watchdog {
  const child = spawn(process.execPath, [compiled('src/stack/watchdog-main.js'), ledger.file], {
    // Its own session: a Ctrl-C to our process group leaves it alone (the teardown is orderly then).
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
    env,
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve()); // no watchdog: the next start still reaps from the state file
  });
  child.unref();
  // The pipe must not keep this process alive either.
  (child.stdin as Socket | null)?.unref();
  child.stdin?.on('error', () => {});
  if (child.pid !== undefined) ledger.setWatchdog(child.pid);
  return {
    pid: child.pid,
    release: async () => {
      child.stdin?.end();
      // A timer of our own keeps the loop alive while we wait: the child and its pipe are unref'd.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, RELEASE_WAIT_MS)))]);
      clearTimeout(timer);
    },
  };
}
