import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isListening } from '../../src/stack/ports.js';
import { alive, descendants } from '../helpers/processes.js';

/**
 * `codestorm server` as a user runs it: started as a process, stopped by a signal. Afterwards
 * no process it started may be left, and every port it used must be free.
 */
const BIN = path.resolve(import.meta.dirname, '../../bin/codestorm.js');


async function runUntilReady(): Promise<{ child: ReturnType<typeof spawn>; stdout: () => string; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, 'server', '--residents', '2000', '--workers', '2'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const deadline = Date.now() + 60_000;
  while (!out.includes('press Ctrl-C to stop')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not come up:\n${out}\n${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, stdout: () => out, stderr: () => err };
}

function portsIn(text: string): number[] {
  return [...text.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
}

describe.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('codestorm server stopped by %s', (signal) => {
  it('leaves no process of the stack and frees its ports', async () => {
    const { child, stdout, stderr } = await runUntilReady();
    const pid = child.pid!;
    const spawned = descendants(pid);
    // postgres (+ its backends), redis-server, toxiproxy-server, the server primary and 2 workers
    expect(spawned.length).toBeGreaterThanOrEqual(6);
    const ports = [...new Set(portsIn(stdout()))];
    expect(ports.length).toBeGreaterThanOrEqual(5);
    for (const port of ports) expect(await isListening(port), `port ${port} listening while up`).toBe(true);
    // Every process must be ours, started for this run.
    const url = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout())?.[1];
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    const code = await exited;
    expect(code, stderr()).toBe(0);
    expect(stderr()).toContain('stopped');
    const left = spawned.filter(alive);
    expect(left, `processes left: ${left.join(', ')}`).toEqual([]);
    for (const port of ports) expect(await isListening(port), `port ${port} still listening`).toBe(false);
  }, 120_000);
});

describe('codestorm server when a process of its stack dies', () => {
  it('stops everything else and exits 1, naming what died', async () => {
    const { child, stderr } = await runUntilReady();
    const spawned = descendants(child.pid!);
    const redis = spawned.find((pid) => {
      try {
        return execFileSync('ps', ['-o', 'comm=', '-p', String(pid)], { encoding: 'utf8' }).trim() === 'redis-server';
      } catch {
        return false;
      }
    });
    expect(redis, 'a redis-server under codestorm server').toBeDefined();
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    process.kill(redis!, 'SIGKILL');
    expect(await exited).toBe(1);
    expect(stderr()).toMatch(/redis-server died \(signal SIGKILL\)/);
    const left = spawned.filter(alive);
    expect(left, `processes left: ${left.join(', ')}`).toEqual([]);
  }, 120_000);
});

describe('codestorm server with bad flags', () => {
  it('exits 2 with one line naming the flag, starting nothing', () => {
    let status = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, [BIN, 'server', '--profile', 'brittle'], { encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      status = (err as { status: number }).status;
      stderr = (err as { stderr: string }).stderr;
    }
    expect(status).toBe(2);
    expect(stderr.trim().split('\n')[0]).toMatch(/--profile: expected one of fragile, hardened/);
  });

  it('refuses a port that is taken, before starting anything', async () => {
    const taken = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => taken.once('listening', r));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const child = spawn(process.execPath, [BIN, 'server', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(2);
      expect(stderr).toContain(`--port: ${port} is already in use`);
      expect(stderr).not.toContain('starting embedded Postgres');
    } finally {
      taken.close();
    }
  });
});
