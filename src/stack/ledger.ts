// Ledger runs past 60 lines as a class of small members (none over 8 lines): no function here is long.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { bootId, processFacts } from './proc.js';
import { cacheDir } from './tools.js';

/**
 * A running stack's state file: what it started (each process with its start time, so that a
 * recycled pid is never mistaken for ours), the temporary folders it made, the external
 * Toxiproxy it changed, who owns it and who watches over it. Written as things start, cleared as
 * they stop, removed when the stack is down; one left behind is what a killed run left, and
 * the watchdog, the next start and `codestorm down` reap it (reap.ts). This module is the
 * file's one schema, writer and reader.
 */
const pid = z.number().int().positive();
const identity = z.strictObject({ pid, start: z.number().int().nonnegative() });

const processRecord = z.strictObject({
  name: z.string(),
  pid,
  start: z.number().int().nonnegative(),
  cmdline: z.string(),
  /** How the teardown stops it politely; SIGKILL to its process group follows. */
  stop: z.enum(['SIGTERM', 'SIGINT', 'SIGQUIT']),
});

const ledgerSchema = z.strictObject({
  version: z.literal(1),
  bootId: z.string(),
  owner: identity,
  watchdog: identity.nullable(),
  processes: z.array(processRecord),
  dirs: z.array(z.string()),
  /** External Toxiproxy APIs (TOXIPROXY_URL) this stack put links and toxics on. */
  toxiproxy: z.array(z.string()),
});

export type LedgerData = z.output<typeof ledgerSchema>;
export type ProcessRecord = z.output<typeof processRecord>;
export type StopSignal = ProcessRecord['stop'];

/** Where state files live: CODESTORM_STATE_DIR, else `stacks/` in the cache folder. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['CODESTORM_STATE_DIR'] || path.join(cacheDir(env), 'stacks');
}

export class Ledger {
  readonly file: string;
  #data: LedgerData;
  #closed = false;

  private constructor(file: string, data: LedgerData) {
    this.file = file;
    this.#data = data;
  }

  /** A new state file for a stack owned by this process. */
  static open(env: NodeJS.ProcessEnv = process.env): Ledger {
    const dir = stateDir(env);
    mkdirSync(dir, { recursive: true });
    const ledger = new Ledger(path.join(dir, `${process.pid}-${randomBytes(4).toString('hex')}.json`), ownedByThisProcess());
    ledger.#write();
    return ledger;
  }

  get data(): LedgerData {
    return this.#data;
  }

  /** Records a process the moment it was spawned; one that has already gone is not recorded. */
  addProcess(name: string, childPid: number, stop: StopSignal): void {
    const facts = processFacts(childPid);
    if (facts === undefined) return;
    this.#update({ processes: [...this.#data.processes, { name, pid: childPid, start: facts.start, cmdline: facts.cmdline, stop }] });
  }

  removeProcess(childPid: number): void {
    if (!this.#data.processes.some((p) => p.pid === childPid)) return;
    this.#update({ processes: this.#data.processes.filter((p) => p.pid !== childPid) });
  }

  addDir(dir: string): void {
    this.#update({ dirs: [...this.#data.dirs, dir] });
  }

  removeDir(dir: string): void {
    this.#update({ dirs: this.#data.dirs.filter((d) => d !== dir) });
  }

  addToxiproxy(apiUrl: string): void {
    if (!this.#data.toxiproxy.includes(apiUrl)) this.#update({ toxiproxy: [...this.#data.toxiproxy, apiUrl] });
  }

  setWatchdog(watchdogPid: number): void {
    const facts = processFacts(watchdogPid);
    if (facts !== undefined) this.#update({ watchdog: { pid: watchdogPid, start: facts.start } });
  }

  /** The stack is down: nothing is left to reap. */
  close(): void {
    this.#closed = true;
    rmSync(this.file, { force: true });
  }

  #update(change: Partial<LedgerData>): void {
    this.#data = { ...this.#data, ...change };
    this.#write();
  }

  #write(): void {
    if (!this.#closed) replaceWhole(this.file, this.#data);
  }
}

/** An empty record of a stack this process owns, with no watchdog yet. */
function ownedByThisProcess(): LedgerData {
  const self = processFacts(process.pid);
  return { version: 1, bootId: bootId(), owner: { pid: process.pid, start: self?.start ?? 0 }, watchdog: null, processes: [], dirs: [], toxiproxy: [] };
}

/** Whole-file replace, so a reader never sees half a file. */
function replaceWhole(file: string, data: LedgerData): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(data)}\n`);
  renameSync(tmp, file);
}

/** The state files in `dir`, oldest name first. */
export function ledgerFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

/** A state file's contents; undefined when it is gone; an Error when it is unreadable. */
export function readLedger(file: string): LedgerData | undefined | Error {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = ledgerSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}
