import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/**
 * What Linux's /proc says about a process: enough to prove that a pid is still the process we
 * started (pids are recycled; the start time, in clock ticks since boot, is not) and to find the
 * members of its process group. Every function answers undefined or [] where /proc cannot tell.
 */
export interface ProcessFacts {
  readonly pid: number;
  readonly pgid: number;
  /** Start time in clock ticks since boot: with the boot id, a pid's identity. */
  readonly start: number;
  /** argv joined by spaces (empty for a zombie or a kernel thread). */
  readonly cmdline: string;
  readonly zombie: boolean;
}

export function processFacts(pid: number): ProcessFacts | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses, so split after the last ")".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const pgid = Number(fields[2]);
  const start = Number(fields[19]);
  if (!Number.isFinite(pgid) || !Number.isFinite(start)) return undefined;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '').join(' ');
  } catch {
    // gone in between, or not ours to read
  }
  return { pid, pgid, start, cmdline, zombie: state === 'Z' || state === 'X' };
}

/** This boot's id: a pid and start time recorded under another boot name nothing running now. */
export function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

export function allPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
  } catch {
    return [];
  }
}

/** Live (not zombie) processes whose process group is `pgid`. */
export function groupMembers(pgid: number): ProcessFacts[] {
  return allPids()
    .map(processFacts)
    .filter((p): p is ProcessFacts => p !== undefined && p.pgid === pgid && !p.zombie);
}

/** The process's working directory, or undefined. */
export function cwdOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}
