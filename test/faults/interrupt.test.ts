import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { alive, descendants } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';
import { captureIO } from '../helpers/io.js';
import { http, metric, point } from '../helpers/k6-json.js';
import { main } from '../../src/cli/main.js';

/**
 * Ctrl-C in the middle of a fault: `codestorm run` as a user runs it, in a process of its own,
 * interrupted with SIGINT while a latency toxic, a table lock and held connections are on.
 * Afterwards there must be no toxic, no fault session, no process it started, and a run
 * directory with what was measured and a summary that says it was interrupted.
 */
const BIN = path.resolve(import.meta.dirname, '../../bin/codestorm.js');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-interrupt-'));


function lines(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const until = <T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 90_000): Promise<T> => waitFor(what, probe, timeoutMs, 100);

function startRun(file: string, dir: string, env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [BIN, 'run', file, '--out', dir, '--workers', '1'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

const FAULTS = `faults:
  - { name: slow-db, kind: network, link: postgres, toxic: latency, attributes: { latency: 200 }, at: "+1s", duration: 60s }
  - { name: tubes-locked, kind: db-stall, mode: lock, table: tubes, at: "+1s", duration: 60s }
  - { name: sleepers, kind: db-stall, mode: connections, count: 4, at: "+1s", duration: 60s }
`;

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('SIGINT in the middle of a fault', () => {
  let t: TestStack;
  let db: pg.Client;

  beforeAll(async () => {
    t = await startTestStack({ profile: 'hardened' });
    db = new pg.Client({ connectionString: t.stack.postgres.url });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end().catch(() => {});
    await t?.stop();
  });

  const faultSessions = async () =>
    (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'codestorm-fault%'")).rows[0]?.n ?? -1;

  it('against an external target: every toxic and lock is undone, the partial run is kept', async () => {
    const file = path.join(scratch, 'external.yaml');
    writeFileSync(
      file,
      `name: interrupted\nseed: 3\ntarget: ${t.stack.url}\nload: { executor: constant-arrival-rate, rate: 20, duration: 60s }\njourneys:\n  - { name: ready, steps: [ { name: readyz, request: { url: "/readyz" } } ] }\n${FAULTS}`,
    );
    const dir = path.join(scratch, 'external-run');
    const run = startRun(file, dir, { TOXIPROXY_URL: t.stack.toxiproxy.apiUrl, DATABASE_URL: t.stack.postgres.url, REDIS_URL: t.stack.redis.url });
    const events = path.join(dir, 'events.ndjson');
    await until('three faults on', () => (lines(events).filter((e) => e['event'] === 'fault-begin').length === 3 ? true : undefined));
    // The faults are really on.
    expect((await t.stack.toxiproxy.client.getProxy('postgres')).toxics.map((x) => x.type)).toEqual(['latency']);
    expect(await faultSessions()).toBe(5);
    // Two whole seconds measured under the faults: metrics.ndjson's totals line (name "*") for
    // a second is written once that second is over.
    const lastBeginS = Math.max(...lines(events).filter((e) => e['event'] === 'fault-begin').map((e) => Number(e['t'])));
    await until('two seconds measured under the faults', () =>
      lines(path.join(dir, 'metrics.ndjson')).some((l) => l['name'] === '*' && Number(l['t']) >= Math.ceil(lastBeginS) + 1) ? true : undefined,
    );
    const children = descendants(run.child.pid!);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(1);

    expect((await t.stack.toxiproxy.client.getProxy('postgres')).toxics).toEqual([]);
    expect(await until('no fault sessions', async () => ((await faultSessions()) === 0 ? 0 : undefined), 10_000)).toBe(0);
    expect(children.filter(alive)).toEqual([]);
    const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    expect(summary.interrupted).toBe(true);
    expect(summary.verdict).toBe('fail');
    expect(summary.requests.total).toBeGreaterThan(0);
    expect(summary.faults.map((f: { name: string }) => f.name).sort()).toEqual(['sleepers', 'slow-db', 'tubes-locked']);
    expect(summary.faults.every((f: { startS: number | null; endS: number | null }) => f.startS !== null && f.endS !== null)).toBe(true);
    const ends = lines(events).filter((e) => e['event'] === 'fault-end');
    expect(ends.map((e) => e['why'])).toEqual(['stopped', 'stopped', 'stopped']);
    expect(lines(events).some((e) => e['event'] === 'interrupted')).toBe(true);
    expect(lines(path.join(dir, 'metrics.ndjson')).length).toBeGreaterThan(0);
    expect(run.stderr()).toMatch(/SIGINT: stopping the run; partial results stay in/);
  }, 120_000);

  it('codestorm faults: the timeline and the scrapes alone, undone, then a k6 load joined to them on one clock', async () => {
    const file = path.join(scratch, 'faults-only.yaml');
    writeFileSync(
      file,
      `name: faults-only\nseed: 3\ntarget: ${t.stack.url}\nscrape: ${t.stack.metricsUrl}\nload: { executor: constant-arrival-rate, rate: 20, duration: 4s }\njourneys:\n  - { name: ready, steps: [ { name: readyz, request: { url: "/readyz" } } ] }\n` +
        'faults:\n  - { name: slow-db, kind: network, link: postgres, toxic: latency, attributes: { latency: 200 }, at: "+1s", duration: 2s }\n',
    );
    const dir = path.join(scratch, 'faults-only-run');
    const io = captureIO({ ...process.env, TOXIPROXY_URL: t.stack.toxiproxy.apiUrl, DATABASE_URL: t.stack.postgres.url, REDIS_URL: t.stack.redis.url });
    const before = Date.now();
    expect(await main(['faults', file, '--out', dir, '--json'], io), io.err()).toBe(0);
    const result = JSON.parse(io.out());
    expect(result).toMatchObject({ dir, interrupted: false, faults: [{ name: 'slow-db', kind: 'network', failed: null }] });
    expect(result.faults[0].startS).toBeCloseTo(1, 0);
    expect(result.faults[0].endS).toBeCloseTo(3, 0);
    expect(result.durationS).toBeCloseTo(4, 0);
    expect((await t.stack.toxiproxy.client.getProxy('postgres')).toxics).toEqual([]);
    const scrapes = lines(path.join(dir, 'server.ndjson'));
    expect(scrapes.length).toBeGreaterThanOrEqual(3);
    expect(scrapes.every((s) => typeof s['metrics'] === 'object')).toBe(true);
    expect(existsSync(path.join(dir, 'metrics.ndjson'))).toBe(false);

    // A k6 load over the same wall-clock seconds, one request every 50 ms from the faults' start.
    const zero = Date.parse(String(lines(path.join(dir, 'events.ndjson')).find((e) => e['event'] === 'fault-begin')!['time'])) - 1000 * Number(lines(path.join(dir, 'events.ndjson')).find((e) => e['event'] === 'fault-begin')!['t']);
    expect(zero).toBeGreaterThanOrEqual(before - 50);
    const k6 = [metric('http_req_duration', 'trend', 'time'), ...Array.from({ length: 80 }, (_, i) => point('http_req_duration', zero + i * 50, 5, http(200, true)))];
    const k6File = path.join(scratch, 'k6-beside-faults.json');
    writeFileSync(k6File, `${k6.join('\n')}\n`);
    const joined = captureIO();
    expect(await main(['report', '--from-k6', k6File, '--run', dir], joined), joined.err()).toBe(0);
    const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    expect(summary.requests.total).toBe(80);
    // Second 0 is k6's first whole second, at most 1 s before the faults' own.
    const shift = (zero - Math.floor(zero / 1000) * 1000) / 1000;
    expect(summary.faults[0].startS).toBeCloseTo(result.faults[0].startS + shift, 2);
    expect(summary.faults[0].endS).toBeCloseTo(result.faults[0].endS + shift, 2);
  }, 60_000);

  it('codestorm faults, SIGTERM mid-fault: every toxic and lock undone, exit 1', async () => {
    const file = path.join(scratch, 'faults-long.yaml');
    writeFileSync(
      file,
      `name: faults-long\nseed: 3\ntarget: ${t.stack.url}\nload: { executor: constant-arrival-rate, rate: 20, duration: 60s }\njourneys:\n  - { name: ready, steps: [ { name: readyz, request: { url: "/readyz" } } ] }\n${FAULTS}`,
    );
    const dir = path.join(scratch, 'faults-long-run');
    const child = spawn(process.execPath, [BIN, 'faults', file, '--out', dir], {
      env: { ...process.env, TOXIPROXY_URL: t.stack.toxiproxy.apiUrl, DATABASE_URL: t.stack.postgres.url, REDIS_URL: t.stack.redis.url },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const events = path.join(dir, 'events.ndjson');
    await until('three faults on', () => (lines(events).filter((e) => e['event'] === 'fault-begin').length === 3 ? true : undefined));
    expect((await t.stack.toxiproxy.client.getProxy('postgres')).toxics.map((x) => x.type)).toEqual(['latency']);
    expect(await faultSessions()).toBe(5);
    child.kill('SIGTERM');
    expect(await exited).toBe(1);
    expect((await t.stack.toxiproxy.client.getProxy('postgres')).toxics).toEqual([]);
    expect(await until('no fault sessions', async () => ((await faultSessions()) === 0 ? 0 : undefined), 10_000)).toBe(0);
    expect(lines(events).filter((e) => e['event'] === 'fault-end').map((e) => e['why'])).toEqual(['stopped', 'stopped', 'stopped']);
    expect(lines(events).some((e) => e['event'] === 'interrupted')).toBe(true);
    expect(stderr).toMatch(/SIGTERM: stopping the faults and undoing them/);
  }, 60_000);

  it('against the reference stack: every process it started is gone', async () => {
    const file = path.join(scratch, 'reference.yaml');
    writeFileSync(
      file,
      `name: interrupted-ref\nseed: 3\ntarget: reference\nload: { executor: constant-arrival-rate, rate: 20, duration: 60s }\njourneys:\n  - { name: ready, steps: [ { name: readyz, request: { url: "/readyz" } } ] }\n${FAULTS}  - { name: frozen, kind: process, action: stop, at: "+2s", duration: 60s }\n`,
    );
    const dir = path.join(scratch, 'reference-run');
    const run = startRun(file, dir);
    const events = path.join(dir, 'events.ndjson');
    await until('four faults on', () => (lines(events).filter((e) => e['event'] === 'fault-begin').length === 4 ? true : undefined));
    const children = descendants(run.child.pid!);
    expect(children.length).toBeGreaterThanOrEqual(4); // postgres, redis, toxiproxy, the server and its worker
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(1);
    await until('every child gone', () => (children.filter(alive).length === 0 ? true : undefined), 15_000);
    const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    expect(summary.interrupted).toBe(true);
    expect(summary.faults).toHaveLength(4);
  }, 150_000);
});
