import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBaseline } from '../../src/analyze/capacity-verdict.js';

/** The capacity gate's baseline file: what it accepts, and how it refuses the rest (exit 2, naming the file and field). */
describe('readBaseline', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'codestorm-baseline-'));
  const file = (name: string, body: string): string => {
    const p = path.join(dir, name);
    writeFileSync(p, body);
    return p;
  };

  it('reads a capacity --json output, intervals included, ignoring the other fields', () => {
    const f = file('full.json', JSON.stringify({ capacityRps: 200, p99AtStartMs: 9.5, p99AtStartIntervalMs: [8.1, null], steps: [], verdict: 'pass' }));
    expect(readBaseline(f)).toEqual({ file: f, capacityRps: 200, p99AtStartMs: 9.5, p99AtStartIntervalMs: [8.1, null] });
  });

  it('takes a baseline from before intervals were recorded with no interval (its p99 is then exact)', () => {
    const f = file('old.json', JSON.stringify({ capacityRps: 150, p99AtStartMs: 4 }));
    expect(readBaseline(f)).toEqual({ file: f, capacityRps: 150, p99AtStartMs: 4, p99AtStartIntervalMs: null });
  });

  it.each([
    ['no capacity', '{"p99AtStartMs": 3}', /--baseline: .*bad-0\.json: capacityRps: expected a number \(the output of codestorm capacity --json\)/],
    ['a capacity that is not a number', '{"capacityRps": "200"}', /bad-1\.json: capacityRps: expected a number/],
    ['not JSON', '{capacity', /bad-2\.json: not JSON/],
    ['not an object', '[1, 2]', /bad-3\.json: \(top level\)/],
  ])('refuses %s as invalid input naming the file and field', (_what, body, message) => {
    const name = `bad-${['{"p99AtStartMs": 3}', '{"capacityRps": "200"}', '{capacity', '[1, 2]'].indexOf(body)}.json`;
    const f = file(name, body);
    expect(() => readBaseline(f)).toThrow(message);
    expect(() => readBaseline(f)).toThrow(expect.objectContaining({ code: 'FLAG_INVALID', exitCode: 2 }));
  });

  it('refuses a missing file', () => {
    expect(() => readBaseline(path.join(dir, 'nope.json'))).toThrow(/--baseline: .*nope\.json: no such file/);
  });
});
