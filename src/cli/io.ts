/**
 * What a command touches of the process, injected so that commands run in-process in tests:
 * its output streams, environment, and the signals that ask it to stop.
 */
export interface CommandIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Whether stderr is a terminal (a live progress line) or a log (a line every few seconds). */
  readonly stderrIsTTY: boolean;
  /** Resolves with the signal's name when the user asks the command to stop (Ctrl-C, SIGTERM,
   *  SIGHUP; the parent's death counts as SIGHUP). */
  readonly interrupted: Promise<NodeJS.Signals>;
}

/** How often the parent is looked for (see processIO). */
const PARENT_POLL_MS = 250;

export function processIO(): CommandIO {
  const interrupted = new Promise<NodeJS.Signals>((resolve) => {
    const on = (signal: NodeJS.Signals) => () => {
      resolve(signal);
      // A second Ctrl-C while we tear down is the user insisting: say we heard it.
      process.on(signal, () => process.stderr.write('codestorm: still stopping, please wait\n'));
    };
    process.once('SIGINT', on('SIGINT'));
    process.once('SIGTERM', on('SIGTERM'));
    process.once('SIGHUP', on('SIGHUP'));
    // A wrapper that dies without passing its signal on (`npx codestorm` runs us under `sh -c`,
    // which npx's SIGTERM kills and leaves us orphaned): our parent changing is our cue.
    const parent = process.ppid;
    if (parent > 1) {
      const poll = setInterval(() => {
        if (process.ppid === parent) return;
        clearInterval(poll);
        process.stderr.write(`codestorm: its parent process (pid ${parent}) is gone; stopping as on SIGHUP\n`);
        resolve('SIGHUP');
      }, PARENT_POLL_MS);
      poll.unref();
    }
  });
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    stderrIsTTY: process.stderr.isTTY === true,
    interrupted,
  };
}
