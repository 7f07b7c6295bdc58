import { readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import { ledgerFiles, readLedger, stateDir, type LedgerData, type ProcessRecord } from './ledger.js';
import { postgresTempRoot } from './postgres.js';
import { postgresRunAs } from './postgres-binaries.js';
import { allPids, bootId, cwdOf, groupMembers, processFacts, type ProcessFacts } from './proc.js';
import { ToxiproxyControl } from './toxiproxy-control.js';

/**
 * Reaping what killed runs left: the processes, temporary folders and Toxiproxy changes named in
 * state files whose owner is dead (ledger.ts), and temporary folders of ours that no state file
 * names and no process uses. A process is stopped only when it is provably ours: its pid has the
 * start time recorded under this boot, or it is in such a process's group and was started by
 * the same command no earlier. Used by the watchdog (its one stack, the moment its owner dies),
 * by every stack start (all of them, said on stderr) and by `codestorm down`.
 */
export interface ReapOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** One line per thing reaped. */
  readonly say?: (line: string) => void;
  /** How long a process has to stop politely before its group gets SIGKILL. */
  readonly graceMs?: number;
  /** Temporary folders younger than this are never swept: a run may be about to use them. */
  readonly minAgeMs?: number;
  /** Where to look for stray temporary folders (default: where postgres.ts and redis.ts make them). */
  readonly tempRoots?: readonly string[];
}

export interface ReapReport {
  readonly stacks: number;
  readonly processes: number;
  readonly dirs: number;
  readonly toxiproxies: number;
  readonly lines: readonly string[];
}

/** Names of the temporary folders the stack makes (postgres.ts, redis.ts). */
export const TEMP_DIR_PATTERN = /^codestorm-(pg|redis)-/;
const DEFAULT_GRACE_MS = 3_000;
const DEFAULT_MIN_AGE_MS = 120_000;

/** Every leftover: stacks whose owner died, then stray temporary folders. */
export async function reapLeftovers(options: ReapOptions = {}): Promise<ReapReport> {
  const total = { stacks: 0, processes: 0, dirs: 0, toxiproxies: 0, lines: [] as string[] };
  const live = new Set<string>();
  for (const file of ledgerFiles(stateDir(options.env))) {
    const data = readLedger(file);
    if (data === undefined) continue;
    if (data instanceof Error) {
      total.lines.push(say(options, `codestorm: ignoring unreadable state file ${file}: ${data.message}`));
      continue;
    }
    if (ownerAlive(data)) {
      for (const dir of data.dirs) live.add(dir);
      continue;
    }
    add(total, await reapStack(file, data, options));
  }
  const roots = options.tempRoots ?? [...new Set([os.tmpdir(), await postgresTempRoot(await postgresRunAs({ create: false }))])];
  add(total, sweepTempDirs(roots, live, options));
  return total;
}

/** One stack's leftovers, from its state file; the file is removed afterwards. */
export async function reapStack(file: string, data: LedgerData, options: ReapOptions = {}): Promise<ReapReport> {
  const lines: string[] = [];
  const who = `a killed run (pid ${data.owner.pid})`;
  const sameBoot = data.bootId === bootId();
  const ours = sameBoot ? data.processes.flatMap((record) => provenGroup(record)) : [];
  for (const { record, leaderAlive } of ours) {
    if (!leaderAlive) continue;
    signal(record.pid, record.stop);
    signal(record.pid, 'SIGCONT'); // a worker a fault stopped can act on it
  }
  const deadline = Date.now() + (options.graceMs ?? DEFAULT_GRACE_MS);
  while (Date.now() < deadline && ours.some(({ record }) => stillOurs(record))) await sleep(50);
  for (const { record, members } of ours) {
    // SIGKILL to the whole group while its leader is still ours (stopped workers, children), and
    // to each member proven earlier that is still the same process.
    if (stillOurs(record)) {
      signal(-record.pid, 'SIGKILL');
      signal(record.pid, 'SIGKILL'); // a process that leads no group of its own (a server worker)
    }
    for (const m of members) if (processFacts(m.pid)?.start === m.start) signal(m.pid, 'SIGKILL');
  }
  if (ours.length > 0) {
    lines.push(say(options, `codestorm: stopped what ${who} left running: ${ours.map(({ record }) => `${record.name} (pid ${record.pid})`).join(', ')}`));
  }
  let dirs = 0;
  for (const dir of data.dirs) {
    if (!exists(dir)) continue;
    rmSync(dir, { recursive: true, force: true });
    dirs++;
    lines.push(say(options, `codestorm: removed ${dir}, left by ${who}`));
  }
  let toxiproxies = 0;
  for (const apiUrl of data.toxiproxy) {
    try {
      await new ToxiproxyControl(apiUrl, 2_000).reset();
      toxiproxies++;
      lines.push(say(options, `codestorm: reset the Toxiproxy at ${apiUrl} (toxics ${who} may have left)`));
    } catch (err) {
      lines.push(say(options, `codestorm: could not reset the Toxiproxy at ${apiUrl}, changed by ${who}: ${errorMessage(err)}`));
    }
  }
  const watchdog = data.watchdog;
  if (sameBoot && watchdog !== null && watchdog.pid !== process.pid && processFacts(watchdog.pid)?.start === watchdog.start) {
    signal(watchdog.pid, 'SIGKILL');
  }
  rmSync(file, { force: true });
  return { stacks: 1, processes: ours.length, dirs, toxiproxies, lines };
}

/** Whether the process that owns a state file still runs (the same pid with the same start, this boot). */
export function ownerAlive(data: LedgerData): boolean {
  if (data.bootId !== bootId()) return false;
  const facts = processFacts(data.owner.pid);
  return facts !== undefined && !facts.zombie && facts.start === data.owner.start;
}

interface Proven {
  readonly record: ProcessRecord;
  readonly leaderAlive: boolean;
  /** Members of its process group other than the leader, proven ours. */
  readonly members: readonly ProcessFacts[];
}

function provenGroup(record: ProcessRecord): Proven[] {
  const leader = processFacts(record.pid);
  const leaderAlive = leader !== undefined && !leader.zombie && leader.start === record.start;
  // A group id stays taken while any member lives, so members of a live leader's group are its;
  // without the leader, only members running the leader's own command, started after it.
  const members = groupMembers(record.pid)
    .filter((m) => m.pid !== record.pid && m.start >= record.start && (leaderAlive || m.cmdline === record.cmdline));
  return leaderAlive || members.length > 0 ? [{ record, leaderAlive, members }] : [];
}

function stillOurs(record: ProcessRecord): boolean {
  const facts = processFacts(record.pid);
  return facts !== undefined && !facts.zombie && facts.start === record.start;
}

/**
 * Temporary folders of ours that no live stack names: removed when older than minAgeMs and no
 * process has them on its command line or as its working directory (a stack started by an older
 * codestorm, without a state file, still uses its folders).
 */
function sweepTempDirs(roots: readonly string[], live: ReadonlySet<string>, options: ReapOptions): ReapReport {
  const candidates = roots.flatMap((root) => {
    try {
      return readdirSync(root)
        .filter((name) => TEMP_DIR_PATTERN.test(name))
        .map((name) => path.join(root, name));
    } catch {
      return [];
    }
  });
  const oldEnough = Date.now() - (options.minAgeMs ?? DEFAULT_MIN_AGE_MS);
  const stale = candidates.filter((dir) => !live.has(dir) && (mtimeOf(dir) ?? Infinity) < oldEnough);
  if (stale.length === 0) return { stacks: 0, processes: 0, dirs: 0, toxiproxies: 0, lines: [] };
  const uses = allPids().map((p) => ({ cmdline: processFacts(p)?.cmdline ?? '', cwd: cwdOf(p) ?? '' }));
  const lines: string[] = [];
  for (const dir of stale) {
    const inside = `${dir}/`;
    if (uses.some((u) => u.cmdline.includes(inside) || u.cwd === dir || u.cwd.startsWith(inside))) continue;
    rmSync(dir, { recursive: true, force: true });
    lines.push(say(options, `codestorm: removed ${dir}, a temporary folder a crashed run left`));
  }
  return { stacks: 0, processes: 0, dirs: lines.length, toxiproxies: 0, lines };
}

function add(total: { stacks: number; processes: number; dirs: number; toxiproxies: number; lines: string[] }, r: ReapReport): void {
  total.stacks += r.stacks;
  total.processes += r.processes;
  total.dirs += r.dirs;
  total.toxiproxies += r.toxiproxies;
  total.lines.push(...r.lines);
}

function say(options: ReapOptions, line: string): string {
  options.say?.(line);
  return line;
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // already gone
  }
}

function exists(dir: string): boolean {
  return mtimeOf(dir) !== undefined;
}

function mtimeOf(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
