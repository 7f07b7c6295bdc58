import os from 'node:os';
import { pin } from './cpus.js';
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { CodestormError } from '../errors.js';
import type { Ledger, StopSignal } from './ledger.js';

/**
 * A child process the harness owns: its recent output is kept for error messages, its exit is
 * a promise, and stop() escalates from a polite signal to SIGKILL.
 */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface StartChildOptions extends SpawnOptions {
  /** Short name used in messages: "redis", "toxiproxy", "server". */
  readonly name: string;
  /** Called with each line of stdout and stderr. */
  readonly onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** The stack's state file: the child is recorded there while it runs, for the watchdog and reaper. */
  readonly ledger?: Ledger | undefined;
  /** How it is stopped politely if this process dies first (default SIGTERM). */
  readonly stopSignal?: StopSignal;
  /** Where it runs: its niceness and CPUs, inherited by everything it forks (src/stack/cpus.ts). */
  readonly placement?: Placement | undefined;
}

const KEPT_LINES = 40;

/**
 * The last line of defence, and the one process-wide state in the harness: every child still
 * running when this process exits — a crash, an uncaught error, a test runner giving up on a
 * hook — is killed, with its process group, synchronously in the 'exit' event. The orderly way
 * out is the Teardown; this only catches what it never reached. Installed with the first child,
 * not on import: a process that starts none has no hook.
 */
const running = new Set<ManagedChild>();

/**
 * A signal that nobody handles ends the process without an 'exit' event (a benchmark stopped by
 * `timeout`, say). Where no handler is installed, one is: it kills the children, then lets the
 * signal do what it would have done. The CLI installs its own handlers first, for an orderly
 * teardown, and is left alone.
 */
let guarded = false;
function guardProcess(): void {
  if (guarded) return;
  guarded = true;
  process.once('exit', () => {
    for (const child of running) child.killGroupNow();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    if (process.listenerCount(signal) > 0) continue;
    process.once(signal, () => {
      for (const child of running) child.killGroupNow();
      process.kill(process.pid, signal);
    });
  }
}

/** The stack's processes yield to the load generator: a niceness and, where possible, their own CPUs. */
export interface Placement {
  readonly nice: number;
  /** A taskset CPU list; undefined leaves them on every CPU. */
  readonly cpus: string | undefined;
}

function place(pid: number, placement: Placement): void {
  if (placement.nice !== 0) {
    try {
      os.setPriority(pid, placement.nice);
    } catch {
      // not allowed here (a lower niceness needs privileges): it runs at ours
    }
  }
  if (placement.cpus !== undefined) pin(pid, placement.cpus);
}

export class ManagedChild {
  readonly name: string;
  readonly process: ChildProcess;
  readonly exited: Promise<ChildExit>;
  #exit: ChildExit | undefined;
  readonly #recent: string[] = [];
  #stopping = false;

  constructor(command: string, args: readonly string[], options: StartChildOptions) {
    const { name, onLine, ledger, stopSignal, placement, ...spawnOptions } = options;
    this.name = name;
    // Detached: a Ctrl-C at the terminal reaches only the harness, which then stops its
    // children in order (server before database) instead of all of them at once.
    this.process = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...spawnOptions });
    // Set before the child has had time to fork its own workers, which inherit it.
    if (placement !== undefined && this.process.pid !== undefined) place(this.process.pid, placement);
    const collect = (stream: 'stdout' | 'stderr') => {
      let partial = '';
      return (chunk: Buffer) => {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          this.#recent.push(line);
          if (this.#recent.length > KEPT_LINES) this.#recent.shift();
          onLine?.(line, stream);
        }
      };
    };
    running.add(this);
    guardProcess();
    const pid = this.process.pid;
    if (pid !== undefined) ledger?.addProcess(name, pid, stopSignal ?? 'SIGTERM');
    const forget = (): void => {
      if (pid !== undefined) ledger?.removeProcess(pid);
    };
    this.process.stdout?.on('data', collect('stdout'));
    this.process.stderr?.on('data', collect('stderr'));
    this.exited = new Promise((resolve) => {
      this.process.once('error', (err) => {
        this.#recent.push(String(err));
        this.#exit ??= { code: null, signal: null };
        running.delete(this);
        forget();
        resolve(this.#exit);
      });
      this.process.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        running.delete(this);
        forget();
        resolve(this.#exit);
      });
    });
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  /** True once stop() was called: an exit after that is expected, not a death. */
  get stopping(): boolean {
    return this.#stopping;
  }

  recentOutput(): string {
    return this.#recent.join('\n').trim();
  }

  /** Waits for an output line matching `ready`, failing if the child exits first. */
  waitForLine(ready: RegExp, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        const match = chunk.toString('utf8').split('\n').find((line) => ready.test(line));
        if (match !== undefined) finish(() => resolve(match));
      };
      const timer = setTimeout(
        () => finish(() => reject(this.failure(`was not ready after ${timeoutMs} ms`))),
        timeoutMs,
      );
      const finish = (then: () => void): void => {
        clearTimeout(timer);
        this.process.stdout?.off('data', onData);
        this.process.stderr?.off('data', onData);
        then();
      };
      this.process.stdout?.on('data', onData);
      this.process.stderr?.on('data', onData);
      void this.exited.then((exit) =>
        finish(() => reject(this.failure(`exited before it was ready (${describeExit(exit)})`))),
      );
    });
  }

  failure(what: string): CodestormError {
    const output = this.recentOutput();
    return new CodestormError(
      'CHILD_FAILED',
      `${this.name} ${what}${output === '' ? '' : `; its last output:\n${output}`}`,
    );
  }

  /** SIGKILL to the child's whole process group (it leads one: it was spawned detached). */
  killGroupNow(): void {
    const pid = this.process.pid;
    if (pid === undefined || this.#exit !== undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      this.process.kill('SIGKILL');
    }
  }

  /** Sends `signal`, then SIGKILL if the child has not exited after `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000): Promise<ChildExit> {
    this.#stopping = true;
    if (this.#exit !== undefined) return this.#exit;
    this.process.kill(signal);
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }
}

export function describeExit(exit: ChildExit): string {
  return exit.signal === null ? `exit code ${exit.code ?? 'unknown'}` : `signal ${exit.signal}`;
}
