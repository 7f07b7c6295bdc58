import type { CommandIO } from '../../src/cli/io.js';

/** A CommandIO for running a command in-process: output collected, never interrupted. */
export function captureIO(env: NodeJS.ProcessEnv = process.env): CommandIO & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    env,
    stderrIsTTY: false,
    interrupted: new Promise(() => {}),
    out: () => out,
    err: () => err,
  };
}
