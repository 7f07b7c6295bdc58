import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStartAt } from '../../src/cli/faults.js';
import { main } from '../../src/cli/main.js';
import { captureIO } from '../helpers/io.js';

/**
 * `codestorm faults`' input: every mistake is exit 2 with one line naming the flag or the field,
 * found before anything starts or any folder is made. The runs themselves, against a real stack,
 * are in test/faults/interrupt.test.ts.
 */
const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-faults-cli-'));
const scenario = (target: string) => {
  const file = path.join(scratch, `s-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    `name: f\nseed: 1\ntarget: ${target}\nload: { executor: constant-arrival-rate, rate: 1, duration: 2s }\njourneys:\n  - { name: j, steps: [ { name: get, request: { url: "/" } } ] }\n` +
      'faults:\n  - { name: slow, kind: network, link: postgres, toxic: latency, attributes: { latency: 100 }, at: "+1s", duration: 1s }\n',
  );
  return file;
};

describe('codestorm faults: invalid input (exit 2)', () => {
  it.each([
    ['a reference target', [scenario('reference')], {}, /target: faults acts on a stack you run, not on "reference"/],
    ['a network fault with no TOXIPROXY_URL', [scenario('http://127.0.0.1:9')], {}, /TOXIPROXY_URL/],
    ['--start-at that is not a time', [scenario('http://127.0.0.1:9'), '--start-at', 'soon'], { TOXIPROXY_URL: 'http://127.0.0.1:9' }, /--start-at: expected an ISO 8601 time/],
    ['--start-at in the past', [scenario('http://127.0.0.1:9'), '--start-at', '2020-01-01T00:00:00Z'], { TOXIPROXY_URL: 'http://127.0.0.1:9' }, /--start-at: 2020-01-01T00:00:00Z is in the past/],
    ['--scrape that is not http', [scenario('http://127.0.0.1:9'), '--scrape', 'ftp://x'], { TOXIPROXY_URL: 'http://127.0.0.1:9' }, /--scrape: expected an http:\/\/ URL/],
  ])('%s', async (_what, args, env, message) => {
    const out = path.join(scratch, `out-${Math.random().toString(36).slice(2)}`);
    const io = captureIO({ PATH: process.env['PATH'], ...env });
    expect(await main(['faults', ...args, '--out', out], io)).toBe(2);
    expect(io.err()).toMatch(message);
    expect(io.err().trim().split('\n')[0]).toMatch(/^codestorm: /);
    expect(existsSync(out)).toBe(false);
  });
});

describe('--start-at', () => {
  const now = Date.parse('2026-01-04T08:59:00Z');
  it('reads an ISO time and a duration from now', () => {
    expect(parseStartAt('2026-01-04T09:00:00Z', now)).toBe(Date.parse('2026-01-04T09:00:00Z'));
    expect(parseStartAt('+30s', now)).toBe(now + 30_000);
    expect(parseStartAt('+1m30s', now)).toBe(now + 90_000);
  });
});
