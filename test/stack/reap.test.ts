import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/stack/ledger.js';
import { reapLeftovers } from '../../src/stack/reap.js';
import { alive } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The reaper on its own, without a stack: what a dead owner's state file names is stopped and
 * removed, but only what is provably ours; stray temporary folders go when nothing uses them.
 */
const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-reap-test-'));
const started: ChildProcess[] = [];
afterAll(() => {
  for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

function sleeper(options: { cwd?: string } = {}): ChildProcess {
  const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore', ...options });
  started.push(child);
  return child;
}

/** A process that opens a state file, records `record` in it, says so, and waits to be killed. */
async function ownerRecording(stateDir: string, pids: number[], dir: string): Promise<{ owner: ChildProcess; file: string }> {
  const ledgerModule = path.resolve(import.meta.dirname, '../../dist/src/stack/ledger.js');
  const code = `const { Ledger } = await import(${JSON.stringify(ledgerModule)});
    const l = Ledger.open({ CODESTORM_STATE_DIR: ${JSON.stringify(stateDir)} });
    for (const pid of ${JSON.stringify(pids)}) l.addProcess('sleep', pid, 'SIGTERM');
    l.addDir(${JSON.stringify(dir)});
    console.log(l.file); setInterval(() => {}, 1000);`;
  const owner = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(owner);
  let out = '';
  owner.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  const file = await waitFor('the state file', () => (out.includes('\n') ? out.trim() : undefined), 10_000);
  return { owner, file };
}

describe('reaping a killed owner\'s state file', () => {
  it('stops its processes and removes its folders, says so, and leaves a recycled pid alone', async () => {
    const stateDir = path.join(scratch, 'state-1');
    const dir = path.join(scratch, 'left-folder');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'data'), 'x');
    const ours = sleeper();
    const recycled = sleeper();
    const { owner, file } = await ownerRecording(stateDir, [ours.pid!, recycled.pid!], dir);
    // The second record's pid now names a process started at another time: as if it were recycled.
    const data = JSON.parse(readFileSync(file, 'utf8'));
    data.processes[1].start -= 1;
    writeFileSync(file, JSON.stringify(data));

    // While the owner lives, its stack is in use and nothing is touched.
    const untouched = await reapLeftovers({ env: { CODESTORM_STATE_DIR: stateDir }, tempRoots: [] });
    expect(untouched.lines).toEqual([]);
    expect(alive(ours.pid!)).toBe(true);

    owner.kill('SIGKILL');
    await waitFor('the owner gone', () => (owner.exitCode !== null || owner.signalCode !== null ? true : undefined));
    const said: string[] = [];
    const report = await reapLeftovers({ env: { CODESTORM_STATE_DIR: stateDir }, tempRoots: [], graceMs: 1_000, say: (l) => said.push(l) });
    expect(report).toMatchObject({ stacks: 1, processes: 1, dirs: 1 });
    expect(said).toEqual([
      `codestorm: stopped what a killed run (pid ${owner.pid}) left running: sleep (pid ${ours.pid})`,
      `codestorm: removed ${dir}, left by a killed run (pid ${owner.pid})`,
    ]);
    await waitFor('our sleep gone', () => (ours.exitCode !== null || ours.signalCode !== null ? true : undefined));
    expect(alive(recycled.pid!)).toBe(true);
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(stateDir)).toEqual([]);
    // Nothing is left to reap the second time.
    expect((await reapLeftovers({ env: { CODESTORM_STATE_DIR: stateDir }, tempRoots: [] })).lines).toEqual([]);
  });
});

describe('stray temporary folders', () => {
  it('are removed when old and unused; a fresh one, one in use and one a live stack names stay', async () => {
    const root = path.join(scratch, 'tmp');
    mkdirSync(root);
    const make = (name: string, ageS: number): string => {
      const dir = path.join(root, name);
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'postmaster.pid'), '1');
      const when = Date.now() / 1000 - ageS;
      utimesSync(dir, when, when);
      return dir;
    };
    const stalePg = make('codestorm-pg-stale1', 3_600);
    const staleRedis = make('codestorm-redis-stale2', 3_600);
    const fresh = make('codestorm-pg-fresh', 5);
    const inUse = make('codestorm-redis-inuse', 3_600);
    const named = make('codestorm-pg-named', 3_600);
    const other = make('codestorm-capacity-x', 3_600); // not one of the stack's
    const user = sleeper({ cwd: inUse });
    await waitFor('the sleeper in its folder', () => (alive(user.pid!) ? true : undefined));
    const stateDir = path.join(scratch, 'state-2');
    const live = Ledger.open({ CODESTORM_STATE_DIR: stateDir });
    live.addDir(named);
    try {
      const said: string[] = [];
      const report = await reapLeftovers({ env: { CODESTORM_STATE_DIR: stateDir }, tempRoots: [root], say: (l) => said.push(l) });
      expect(report.dirs).toBe(2);
      expect(said.sort()).toEqual([
        `codestorm: removed ${stalePg}, a temporary folder a crashed run left`,
        `codestorm: removed ${staleRedis}, a temporary folder a crashed run left`,
      ]);
      expect([stalePg, staleRedis].filter(existsSync)).toEqual([]);
      expect([fresh, inUse, named, other].filter(existsSync)).toEqual([fresh, inUse, named, other]);
    } finally {
      live.close();
    }
  });
});
