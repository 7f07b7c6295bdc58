import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { invalidInput } from '../errors.js';

/**
 * Keeping the load generator and the system under test apart on one machine: the stack's
 * processes are pinned to the upper half of the CPUs and the generator (this process) to the
 * lower half, as if each had a machine of its own. Without it they fight over the same cores,
 * and a generator busy with a retry storm starves Redis or Postgres for hundreds of
 * milliseconds — the system under test then fails because of the harness. Pinning goes
 * through `taskset` (util-linux); where it is missing or there is one CPU, nothing is pinned and
 * the stack only runs at a lower priority (STACK_NICE).
 */
export interface CpuSplit {
  /** taskset list for the stack, e.g. "1" or "4-7". */
  readonly stack: string;
  /** taskset list for the generator, e.g. "0" or "0-3". */
  readonly generator: string;
}

/** CODESTORM_STACK_CPUS: "none" (no pinning), or a taskset list such as "2-3"; default half and half. */
export function cpuSplit(env: NodeJS.ProcessEnv = process.env): CpuSplit | undefined {
  const cpus = os.availableParallelism();
  const raw = env['CODESTORM_STACK_CPUS'];
  if (raw === 'none') return undefined;
  if (raw !== undefined && raw !== '') {
    if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(raw)) throw invalidInput('STACK_CPUS_INVALID', `CODESTORM_STACK_CPUS: expected "none" or a CPU list such as "1" or "2-3", got "${raw}"`);
    const given = expand(raw);
    const rest = Array.from({ length: cpus }, (_, i) => i).filter((i) => !given.includes(i));
    return rest.length === 0 ? undefined : { stack: raw, generator: rest.join(',') };
  }
  if (cpus < 2 || !hasTaskset()) return undefined;
  const half = Math.floor(cpus / 2);
  return { stack: range(half, cpus - 1), generator: range(0, half - 1) };
}

/** Pins a process (all its threads, and what it forks from now on) to `cpus`; false if it could not. */
export function pin(pid: number, cpus: string): boolean {
  const result = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
  return result.status === 0;
}

let tasksetFound: boolean | undefined;
function hasTaskset(): boolean {
  tasksetFound ??= spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
  return tasksetFound;
}

function range(from: number, to: number): string {
  return from === to ? String(from) : `${from}-${to}`;
}

function expand(list: string): number[] {
  return list.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number);
    return b === undefined ? [a!] : Array.from({ length: b - a! + 1 }, (_, i) => a! + i);
  });
}

/**
 * Pins this process (every thread, and the worker threads it starts from now on) to `cpus`;
 * returns how to put it back where it was. Nothing happens where taskset is missing.
 */
export function pinSelf(cpus: string): () => void {
  const before = spawnSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8' });
  const was = before.status === 0 ? /list:\s*(\S+)/.exec(before.stdout)?.[1] : undefined;
  if (was === undefined || !pin(process.pid, cpus)) return () => {};
  return () => {
    pin(process.pid, was);
  };
}
