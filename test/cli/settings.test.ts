import http from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdentityGenerator } from '../../sim/identity/generator.js';
import type { CommandIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { parseSettings } from '../../src/cli/settings.js';
import { RESILIENCE } from '../../src/server/config.js';
import { DEFAULT_RESIDENTS, DEFAULT_SEED } from '../../src/stack/defaults.js';
import { captureIO } from '../helpers/io.js';

/**
 * `--set KEY=VALUE` on run, capacity and server: the keys and types come from the profiles'
 * defaults; a bad one is exit 2 naming it before anything starts; a good one reaches the
 * reference server, is named in the run (events, summary.json, report.html) and in `compare`.
 */
const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-settings-'));
const io = captureIO;
const KEYS = Object.keys(RESILIENCE.hardened);

let plain: http.Server;
let plainOrigin = '';
beforeAll(async () => {
  plain = http.createServer((req, res) => {
    req.resume();
    res.writeHead(201, { 'content-type': 'application/json' }).end('{"token":"t"}');
  });
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  plainOrigin = `http://127.0.0.1:${(plain.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => plain.close(() => resolve()));
  rmSync(scratch, { recursive: true, force: true });
});

/** Signs in one resident of the stack's default seed at `rate`/s for 3 s. */
function sessionScenario(name: string, target: string, rate = 300): string {
  const who = createIdentityGenerator({ seed: DEFAULT_SEED, population: DEFAULT_RESIDENTS }).identity(0);
  const file = path.join(scratch, `${name}.yaml`);
  writeFileSync(
    file,
    `name: ${name}\nseed: 5\ntarget: ${target}\nload: { executor: constant-arrival-rate, rate: ${rate}, duration: 3s }\njourneys:\n  - name: sign-in\n    steps:\n      - name: session\n        request: { method: POST, url: /api/v1/session, body: { idNumber: "${who.idNumber}", phone: "${who.phone}" } }\n`,
  );
  return file;
}

describe('parseSettings', () => {
  it('reads each value by the type of its key\'s defaults', () => {
    expect(parseSettings(['coalesce=false', 'maxInFlight=64', 'signedCacheEntries=on', 'nearCacheMs=0'])).toEqual({ coalesce: false, maxInFlight: 64, signedCacheEntries: true, nearCacheMs: 0 });
    expect(parseSettings([])).toEqual({});
  });

  it('names an unknown key and lists every setting there is', () => {
    expect(() => parseSettings(['frobnicate=1'])).toThrow(`--set frobnicate=1: unknown setting "frobnicate"; settings: ${KEYS.join(', ')}`);
  });

  it('names the key and the type it expects for a bad value, every problem at once', () => {
    const problems = (() => {
      try {
        parseSettings(['maxInFlight=-1', 'dbPoolSize=2.5', 'coalesce=maybe', 'retryAfterS=', 'coalesce', 'maxInFlight=3', 'maxInFlight=4']);
      } catch (err) {
        return (err as Error & { exitCode: number }).message.split('\n');
      }
      return [];
    })();
    expect(problems).toEqual([
      '--set maxInFlight=-1: maxInFlight expects a whole number >= 0, got "-1"',
      '--set dbPoolSize=2.5: dbPoolSize expects a whole number >= 0, got "2.5"',
      '--set coalesce=maybe: coalesce expects true or false (or on/off, yes/no, 1/0), got "maybe"',
      '--set retryAfterS=: retryAfterS expects a whole number >= 0, got ""',
      '--set coalesce: expected KEY=VALUE, e.g. --set coalesce=false',
      '--set maxInFlight=4: maxInFlight is set twice (first to 3)',
    ]);
  });

  it('derives the keys and their types from whatever the profiles hold', () => {
    // As if a profile gained settings the parser has never heard of.
    const profiles = { a: { ratio: 0.5, n: 2, mode: 'lifo', flag: true, nested: { x: 1 } }, b: { ratio: 1, n: 3, mode: 'fifo', flag: false, nested: { x: 2 } } };
    expect(parseSettings(['ratio=0.25', 'n=7', 'mode=fifo', 'flag=0'], profiles)).toEqual({ ratio: 0.25, n: 7, mode: 'fifo', flag: false });
    expect(() => parseSettings(['n=1.5'], profiles)).toThrow('n expects a whole number >= 0');
    expect(() => parseSettings(['mode=random'], profiles)).toThrow('mode expects one of lifo, fifo, got "random"');
    expect(() => parseSettings(['nested=1'], profiles)).toThrow('nested expects nothing: it cannot be set');
    expect(() => parseSettings(['ratio=1e400'], profiles)).toThrow('ratio expects a number >= 0');
  });
});

describe('--set on the command line', () => {
  it('exits 2 on an unknown key, naming it, with nothing started or written, on run, capacity and server', async () => {
    const file = sessionScenario('bad-key', 'reference');
    for (const argv of [
      ['run', file, '--out', path.join(scratch, 'never-run')],
      ['capacity', file, '--out', path.join(scratch, 'never-capacity')],
      ['server'],
    ]) {
      const cli = io();
      expect(await main([...argv, '--set', 'coalesce=false', '--set', 'frobnicate=1'], cli), argv[0]).toBe(2);
      // That line and nothing else: a stack starting would have said "starting embedded Postgres".
      expect(cli.err(), argv[0]).toBe(`codestorm: --set frobnicate=1: unknown setting "frobnicate"; settings: ${KEYS.join(', ')}\n`);
      expect(cli.out(), argv[0]).toBe('');
    }
    expect(existsSync(path.join(scratch, 'never-run'))).toBe(false);
    expect(existsSync(path.join(scratch, 'never-capacity'))).toBe(false);
  });

  it('exits 2 on a bad value, naming the key and the type', async () => {
    const cli = io();
    expect(await main(['server', '--set', 'maxInFlight=lots'], cli)).toBe(2);
    expect(cli.err()).toBe('codestorm: --set maxInFlight=lots: maxInFlight expects a whole number >= 0, got "lots"\n');
  });

  it('exits 2 against an external target: there is no server setting to change', async () => {
    const cli = io();
    expect(await main(['run', sessionScenario('external', plainOrigin), '--set', 'coalesce=false', '--out', path.join(scratch, 'never-external')], cli)).toBe(2);
    expect(cli.err()).toBe(`codestorm: --set: the target is ${plainOrigin}, not the reference stack: there is no server setting to change\n`);
    expect(existsSync(path.join(scratch, 'never-external'))).toBe(false);
  });
});

describe('codestorm run --set against the reference stack', () => {
  const setRun = path.join(scratch, 'set-run');
  const plainRun = path.join(scratch, 'plain-run');

  it('runs the server with the settings and names them in events.ndjson, summary.json and report.html', async () => {
    const cli = io();
    const code = await main(['run', sessionScenario('with-set', 'reference'), '--out', setRun, '--set', 'coalesce=false', '--set', 'maxInFlight=1', '--workers', '1'], cli);
    expect([0, 99], cli.err()).toContain(code);
    const summary = JSON.parse(readFileSync(path.join(setRun, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ profile: 'hardened', settings: { coalesce: false, maxInFlight: 1 } });
    // One request at a time: sign-ins that overlap are shed, which hardened's 512 never would.
    expect(summary.requests.byOutcome.shed).toBeGreaterThan(0);
    expect(summary.requests.byOutcome.ok).toBeGreaterThan(0);
    const start = readFileSync(path.join(setRun, 'events.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.event === 'run-start');
    expect(start).toMatchObject({ profile: 'hardened', settings: { coalesce: false, maxInFlight: 1 } });
    expect(readFileSync(path.join(setRun, 'report.html'), 'utf8')).toContain('profile hardened, coalesce=false, maxInFlight=1 ·');
    expect(cli.out()).toContain('  server     hardened, coalesce=false, maxInFlight=1\n');
    // `codestorm report` keeps them.
    expect([0, 99]).toContain(await main(['report', setRun], io()));
    expect(JSON.parse(readFileSync(path.join(setRun, 'summary.json'), 'utf8')).settings).toEqual({ coalesce: false, maxInFlight: 1 });
  }, 180_000);

  it('compare shows the profile and the settings of each run', async () => {
    expect(await main(['run', sessionScenario('without-set', plainOrigin), '--out', plainRun, '--workers', '1', '--quiet'], io())).toBe(0);
    expect(JSON.parse(readFileSync(path.join(plainRun, 'summary.json'), 'utf8')).settings).toEqual({});
    const json = io();
    expect(await main(['compare', setRun, plainRun, '--json'], json)).toBe(0);
    const rows = JSON.parse(json.out()).differences;
    expect(rows).toEqual(
      expect.arrayContaining([
        { what: 'profile', a: 'hardened', b: 'external target', changePct: null },
        { what: 'settings (--set)', a: 'coalesce=false, maxInFlight=1', b: 'none', changePct: null },
      ]),
    );
    const table = io();
    const page = path.join(scratch, 'compare.html');
    expect(await main(['compare', setRun, plainRun, '--out', page], table)).toBe(0);
    expect(table.out()).toMatch(/settings \(--set\) +coalesce=false, maxInFlight=1 +none/);
    expect(readFileSync(page, 'utf8')).toContain('<td>coalesce=false, maxInFlight=1</td>');
  }, 60_000);
});

describe('codestorm capacity --set against the reference stack', () => {
  it('runs the stack with the setting and names it in capacity.json, capacity.html and summary.md', async () => {
    const out = path.join(scratch, 'capacity-set');
    const cli = io();
    // One short step (--start = --max): this is about the settings, not the capacity.
    const code = await main(['capacity', sessionScenario('capacity-set', 'reference'), '--out', out, '--start', '100', '--max', '100', '--step', '2s', '--settle', '0s', '--no-overload', '--workers', '1', '--json', '--set', 'coalesce=false'], cli);
    expect([0, 99], cli.err()).toContain(code);
    const report = JSON.parse(cli.out());
    expect(report).toMatchObject({ profile: 'hardened', settings: { coalesce: false } });
    expect(report.steps.length).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(readFileSync(path.join(out, 'capacity.json'), 'utf8')).settings).toEqual({ coalesce: false });
    expect(readFileSync(path.join(out, 'capacity.html'), 'utf8')).toContain('profile hardened, coalesce=false');
    expect(readFileSync(path.join(out, 'summary.md'), 'utf8')).toContain('profile: hardened, coalesce=false');
    expect(cli.err()).toContain('(hardened, coalesce=false)');
  }, 180_000);
});

describe('codestorm server --set', () => {
  it('starts the server with the setting, prints what is in effect, and the server acts on it', async () => {
    let stop: (signal: NodeJS.Signals) => void = () => {};
    const interrupted = new Promise<NodeJS.Signals>((resolve) => (stop = resolve));
    let out = '';
    let err = '';
    const cli: CommandIO = { stdout: (t) => (out += t), stderr: (t) => (err += t), env: process.env, stderrIsTTY: false, interrupted };
    // One resident signs in 40 times at once: without its sign-in budget, so that what stops
    // them is the one request in flight.
    const done = main(['server', '--residents', '200', '--set', 'maxInFlight=1', '--set', 'signInBurst=0'], cli);
    const deadline = Date.now() + 90_000;
    while (!out.includes('press Ctrl-C to stop')) {
      if (Date.now() > deadline) throw new Error(`server did not come up:\n${out}\n${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    try {
      expect(out).toMatch(/settings:.* maxInFlight=1 \(--set\)/s);
      expect(out).toMatch(/settings:.* signInBurst=0 \(--set\)/s);
      expect(out).toMatch(/settings:.* coalesce=true /s);
      const url = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
      const idNumber = /"idNumber":"([^"]+)"/.exec(out)![1]!;
      const phone = /"phone":"([^"]+)"/.exec(out)![1]!;
      const answers = await Promise.all(
        Array.from({ length: 40 }, async () => {
          const res = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ idNumber, phone }), signal: AbortSignal.timeout(10_000) });
          return { status: res.status, body: await res.text() };
        }),
      );
      const shed = answers.filter((a) => a.status === 503);
      expect(shed.length, JSON.stringify(answers.map((a) => a.status))).toBeGreaterThan(0);
      expect(shed[0]!.body).toContain('OVERLOADED');
      expect(answers.some((a) => a.status === 201)).toBe(true);
    } finally {
      stop('SIGTERM');
    }
    expect(await done, err).toBe(0);
  }, 120_000);
});
