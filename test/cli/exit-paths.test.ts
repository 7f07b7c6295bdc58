import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Teardown } from '../../src/stack/teardown.js';
import { startToxiproxy } from '../../src/stack/toxiproxy.js';
import { alive, descendants } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The ways codestorm ends that its own handlers never see, as a user or CI meets them: SIGKILL
 * of codestorm (its watchdog winds the stack down), SIGKILL of codestorm and its watchdog (the
 * next start or `codestorm down` reaps), and signals to the npm/npx process in front of it.
 * Each test has its own TMPDIR and state folder, so it sees only its own stack's leftovers.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/codestorm.js');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-exit-'));
// As root, Postgres runs as the postgres user: it must pass through the temporary folder.
chmodSync(scratch, 0o755);
const spawned: ChildProcess[] = [];

afterAll(() => {
  for (const child of spawned) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

interface Place {
  readonly env: NodeJS.ProcessEnv;
  readonly tmp: string;
  readonly state: string;
}

function place(name: string): Place {
  const tmp = path.join(scratch, name, 'tmp');
  const state = path.join(scratch, name, 'state');
  mkdirSync(tmp, { recursive: true, mode: 0o755 });
  return { tmp, state, env: { ...process.env, TMPDIR: tmp, CODESTORM_STATE_DIR: state } };
}

function start(command: string, args: readonly string[], env: NodeJS.ProcessEnv) {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  spawned.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, stdout: () => out, stderr: () => err };
}

/** The stack's folders in this test's TMPDIR, and its state files. */
const tempDirs = (p: Place) => readdirSync(p.tmp).filter((d) => /^codestorm-(pg|redis)-/.test(d));
const stateFiles = (p: Place) => (existsSync(p.state) ? readdirSync(p.state).filter((f) => f.endsWith('.json')) : []);

function comm(pid: number): string {
  try {
    return execFileSync('ps', ['-o', 'comm=', '-p', String(pid)], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

/** Waits until none of `pids` runs; returns how long that took, in ms. */
async function allGone(pids: readonly number[], withinMs: number): Promise<number> {
  const started = performance.now();
  await waitFor(`processes ${pids.join(', ')} gone`, () => (pids.every((p) => !alive(p)) ? true : undefined), withinMs, 50).catch(() => undefined);
  const left = pids.filter(alive).map((p) => `${p} ${comm(p)}`);
  expect(left, 'processes left').toEqual([]);
  return performance.now() - started;
}

function codestormDown(p: Place): string {
  return execFileSync(process.execPath, [BIN, 'down'], { cwd: ROOT, env: p.env, encoding: 'utf8' });
}

const FAULTS = `faults:
  - { name: slow-db, kind: network, link: postgres, toxic: latency, attributes: { latency: 200 }, at: "+1s", duration: 60s }
  - { name: tubes-locked, kind: db-stall, mode: lock, table: tubes, at: "+1s", duration: 60s }
  - { name: frozen, kind: process, action: stop, at: "+1s", duration: 60s }
`;

describe('SIGKILL of codestorm run in the middle of its faults', () => {
  it('the watchdog winds the stack down within 10 s; the next start has nothing to reap', async () => {
    const p = place('kill-run');
    const file = path.join(scratch, 'kill-run', 'scenario.yaml');
    writeFileSync(
      file,
      `name: killed\nseed: 3\ntarget: reference\nload: { executor: constant-arrival-rate, rate: 20, duration: 60s }\njourneys:\n  - { name: ready, steps: [ { name: readyz, request: { url: "/readyz" } } ] }\n${FAULTS}`,
    );
    const events = path.join(scratch, 'kill-run', 'run', 'events.ndjson');
    const run = start(process.execPath, [BIN, 'run', file, '--out', path.dirname(events), '--workers', '1'], p.env);
    await waitFor('three faults on', () => (existsSync(events) && readFileSync(events, 'utf8').split('fault-begin').length === 4 ? true : undefined), 120_000, 100);
    const stack = descendants(run.child.pid!);
    const names = stack.map(comm);
    expect(names).toEqual(expect.arrayContaining(['postgres', 'redis-server', 'toxiproxy-serve', 'node']));
    expect(tempDirs(p)).toHaveLength(2);
    expect(stateFiles(p)).toHaveLength(1);

    run.child.kill('SIGKILL');
    expect(await run.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const ms = await allGone(stack, 10_000);
    expect(ms).toBeLessThan(10_000);
    await waitFor('folders and state file gone', () => (tempDirs(p).length === 0 && stateFiles(p).length === 0 ? true : undefined), 2_000);
    console.log(`exit-paths: SIGKILL of run mid-fault: stack gone ${Math.round(ms)} ms after the kill`);
    expect(codestormDown(p)).toBe('codestorm: nothing left behind by a killed run\n');
    expect(readFileSync(path.join(p.state, 'watchdog.log'), 'utf8')).toMatch(/left by a killed run/);
  }, 180_000);
});

describe('SIGKILL of codestorm run against an external target, in the middle of a network fault', () => {
  it('its watchdog resets the Toxiproxy at TOXIPROXY_URL: no toxic is left on', async () => {
    const p = place('kill-external');
    const teardown = new Teardown();
    try {
      const toxiproxy = await startToxiproxy(teardown, () => {});
      const target = http.createServer((_req, res) => res.end('ok')).listen(0, '127.0.0.1');
      teardown.add('close the target', () => void target.close());
      await new Promise((r) => target.once('listening', r));
      const port = (target.address() as net.AddressInfo).port;
      await toxiproxy.client.createProxy({ name: 'link1', listen: '127.0.0.1:0', upstream: `127.0.0.1:${port}` });
      const file = path.join(scratch, 'kill-external', 'scenario.yaml');
      writeFileSync(
        file,
        `name: killed-external\nseed: 3\ntarget: http://127.0.0.1:${port}\nload: { executor: constant-arrival-rate, rate: 5, duration: 60s }\njourneys:\n  - { name: get, steps: [ { name: root, request: { url: "/" } } ] }\nfaults:\n  - { name: slow, kind: network, link: link1, toxic: latency, attributes: { latency: 500 }, at: "+1s", duration: 60s }\n`,
      );
      const events = path.join(scratch, 'kill-external', 'run', 'events.ndjson');
      const run = start(process.execPath, [BIN, 'run', file, '--out', path.dirname(events), '--workers', '1'], { ...p.env, TOXIPROXY_URL: toxiproxy.apiUrl });
      await waitFor('the fault on', () => (existsSync(events) && readFileSync(events, 'utf8').includes('fault-begin') ? true : undefined), 60_000, 100);
      expect((await toxiproxy.client.getProxy('link1')).toxics.map((t) => t.type)).toEqual(['latency']);
      expect(stateFiles(p)).toHaveLength(1);
      const tree = descendants(run.child.pid!);
      run.child.kill('SIGKILL');
      await run.exited;
      await waitFor('the toxic gone', async () => ((await toxiproxy.client.getProxy('link1')).toxics.length === 0 ? true : undefined), 10_000, 100);
      await allGone(tree, 5_000);
      expect(stateFiles(p)).toEqual([]);
      expect(readFileSync(path.join(p.state, 'watchdog.log'), 'utf8')).toContain(`reset the Toxiproxy at ${toxiproxy.apiUrl}`);
    } finally {
      await teardown.run();
    }
  }, 120_000);
});

describe('SIGKILL of codestorm server and of its watchdog too', () => {
  it('leaves the stack running until codestorm down reaps it, and says what it stopped', async () => {
    const p = place('kill-all');
    const server = start(process.execPath, [BIN, 'server', '--residents', '500'], p.env);
    await waitFor('the server up', () => (server.stdout().includes('press Ctrl-C to stop') ? true : undefined), 90_000, 100);
    const [file] = stateFiles(p);
    const ledger = JSON.parse(readFileSync(path.join(p.state, file!), 'utf8'));
    const stack = descendants(server.child.pid!);
    process.kill(ledger.watchdog.pid, 'SIGKILL');
    server.child.kill('SIGKILL');
    await server.exited;
    await new Promise((r) => setTimeout(r, 2_000));
    // Nobody is left to stop them: Postgres and Redis run on (the server's primary stops itself
    // when its IPC channel closes, Toxiproxy when its output pipe does).
    const running = stack.filter(alive).map(comm);
    expect(running).toEqual(expect.arrayContaining(['postgres', 'redis-server']));
    expect(tempDirs(p)).toHaveLength(2);

    const said = codestormDown(p);
    expect(said).toMatch(new RegExp(`stopped what a killed run \\(pid ${server.child.pid}\\) left running: .*redis-server.*postgres`));
    expect(said.match(/removed .*codestorm-(pg|redis)-\w+, left by a killed run/g)).toHaveLength(2);
    expect(said).toMatch(/reaped 1 stack: \d+ processes stopped, 2 folders removed/);
    await allGone(stack, 5_000);
    expect(tempDirs(p)).toEqual([]);
    expect(stateFiles(p)).toEqual([]);
    expect(codestormDown(p)).toBe('codestorm: nothing left behind by a killed run\n');
  }, 180_000);
});

describe('the next start after SIGKILL of codestorm and its watchdog', () => {
  it('reaps the processes, the folders and the external Toxiproxy\'s toxics, and says so on stderr', async () => {
    const p = place('next-start');
    const teardown = new Teardown();
    try {
      // An external Toxiproxy (TOXIPROXY_URL), with a toxic a fault of the killed run left on it.
      const toxiproxy = await startToxiproxy(teardown, () => {});
      const echo = net.createServer((s) => s.pipe(s)).listen(0, '127.0.0.1');
      teardown.add('close the echo server', () => void echo.close());
      await new Promise((r) => echo.once('listening', r));
      await toxiproxy.client.createProxy({ name: 'other', listen: '127.0.0.1:0', upstream: `127.0.0.1:${(echo.address() as net.AddressInfo).port}` });
      const env = { ...p.env, TOXIPROXY_URL: toxiproxy.apiUrl };

      const first = start(process.execPath, [BIN, 'server', '--residents', '500'], env);
      await waitFor('the server up', () => (first.stdout().includes('press Ctrl-C to stop') ? true : undefined), 90_000, 100);
      await toxiproxy.client.addToxic('other', { name: 'left-on', type: 'latency', stream: 'downstream', attributes: { latency: 1_000, jitter: 0 } });
      const [file] = stateFiles(p);
      const ledger = JSON.parse(readFileSync(path.join(p.state, file!), 'utf8'));
      const stack = descendants(first.child.pid!);
      process.kill(ledger.watchdog.pid, 'SIGKILL');
      first.child.kill('SIGKILL');
      await first.exited;
      await new Promise((r) => setTimeout(r, 1_000));
      expect(stack.filter(alive).map(comm)).toEqual(expect.arrayContaining(['postgres', 'redis-server']));

      const next = start(process.execPath, [BIN, 'server', '--residents', '100'], env);
      await waitFor('the next server up', () => (next.stdout().includes('press Ctrl-C to stop') ? true : undefined), 90_000, 100);
      const said = next.stderr();
      expect(said).toMatch(new RegExp(`codestorm: stopped what a killed run \\(pid ${first.child.pid}\\) left running: .*postgres`));
      expect(said.match(/codestorm: removed .*codestorm-(pg|redis)-\w+, left by a killed run/g)).toHaveLength(2);
      expect(said).toContain(`codestorm: reset the Toxiproxy at ${toxiproxy.apiUrl}`);
      expect((await toxiproxy.client.getProxy('other')).toxics).toEqual([]);
      await allGone(stack, 5_000);
      const nextStack = descendants(next.child.pid!);
      next.child.kill('SIGTERM');
      expect((await next.exited).code).toBe(0);
      await allGone(nextStack, 5_000);
      expect(tempDirs(p)).toEqual([]);
      expect(stateFiles(p)).toEqual([]);
    } finally {
      await teardown.run();
    }
  }, 240_000);
});

describe.each(['SIGINT', 'SIGTERM'] as const)('%s to the npm process of `npm run demo`', (signal) => {
  it('stops codestorm within 5 s, and nothing is left', async () => {
    const p = place(`npm-${signal}`);
    const npm = start('npm', ['run', 'demo', '--', '--out', path.join(scratch, `npm-${signal}`, 'run')], p.env);
    await waitFor('the demo running', () => (/codestorm: running xian/.test(npm.stderr()) ? true : undefined), 150_000, 100);
    const tree = descendants(npm.child.pid!);
    expect(tree.map(comm)).toEqual(expect.arrayContaining(['node', 'postgres', 'redis-server', 'toxiproxy-serve']));
    const started = performance.now();
    process.kill(npm.child.pid!, signal); // the npm process alone, not its group
    await npm.exited;
    const ms = await allGone(tree, 5_000);
    const total = performance.now() - started;
    console.log(`exit-paths: ${signal} to npm run demo: npm exited and its tree gone ${Math.round(total)} ms after the signal`);
    expect(total).toBeLessThan(5_000);
    expect(ms).toBeLessThan(5_000);
    expect(npm.stderr()).toMatch(new RegExp(`codestorm: ${signal}: stopping the run`));
    expect(tempDirs(p)).toEqual([]);
    expect(stateFiles(p)).toEqual([]);
  }, 240_000);
});

describe('SIGTERM to the npx process of `npx codestorm server`', () => {
  it('kills the sh in between; codestorm sees its parent gone and stops within 10 s', async () => {
    const p = place('npx-SIGTERM');
    const npx = start('npx', ['codestorm', 'server', '--residents', '500'], p.env);
    await waitFor('the server up', () => (npx.stdout().includes('press Ctrl-C to stop') ? true : undefined), 90_000, 100);
    const tree = descendants(npx.child.pid!);
    expect(tree.map(comm)).toEqual(expect.arrayContaining(['sh', 'node', 'postgres', 'redis-server']));
    const started = performance.now();
    process.kill(npx.child.pid!, 'SIGTERM');
    await allGone(tree, 10_000);
    const ms = performance.now() - started;
    console.log(`exit-paths: SIGTERM to npx codestorm server: its tree gone ${Math.round(ms)} ms after the signal`);
    expect(ms).toBeLessThan(10_000);
    expect(tempDirs(p)).toEqual([]);
    expect(stateFiles(p)).toEqual([]);
  }, 180_000);
});
