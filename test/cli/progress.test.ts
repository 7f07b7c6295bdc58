import { describe, expect, it } from 'vitest';
import { bar, progress } from '../../src/cli/progress.js';
import { mergeWire, SecondMetrics } from '../../src/engine/second.js';

function second(t: number): ReturnType<typeof mergeWire> {
  const m = new SecondMetrics(t);
  m.offered(100);
  m.started(100);
  m.inFlight(7);
  for (let i = 0; i < 95; i++) m.request('get', 'ok', 10_000, 9_000);
  for (let i = 0; i < 5; i++) m.request('get', '5xx', 2_000_000, 2_000_000);
  return mergeWire([m.toWire()]);
}

describe('progress', () => {
  it('redraws one line with a bar on a terminal, and ends it with a newline', () => {
    const out: string[] = [];
    const p = progress((text) => out.push(text), { tty: true, quiet: false, totalS: 10 });
    p.second(second(0));
    p.second(second(4));
    p.end();
    expect(out).toHaveLength(3);
    expect(out[0]).toMatch(/^\r\u001b\[2K\[##------------------\] \[ {3}1s \/ 10s\] offered 100\/s achieved 100\/s dropped 0 p95 .* errors 5\.0% in flight ≤ 7$/);
    expect(out[1]).toContain('[##########----------] [   5s / 10s]');
    expect(out[2]).toBe('\n');
  });

  it('writes a plain line every 5 seconds when stderr is not a terminal', () => {
    const out: string[] = [];
    const p = progress((text) => out.push(text), { tty: false, quiet: false, totalS: 10 });
    for (let t = 0; t < 10; t++) p.second(second(t));
    p.end();
    expect(out).toHaveLength(2);
    for (const line of out) {
      expect(line).not.toContain('\r');
      expect(line).not.toContain('#');
      expect(line.endsWith('\n')).toBe(true);
    }
    expect(out[0]).toContain('[   5s / 10s]');
    expect(out[1]).toContain('[  10s / 10s]');
  });

  it('writes nothing when quiet', () => {
    const out: string[] = [];
    const p = progress((text) => out.push(text), { tty: true, quiet: true, totalS: 10 });
    p.second(second(0));
    p.end();
    expect(out).toEqual([]);
  });

  it('fills the bar in proportion, never past either end', () => {
    expect(bar(0, 10)).toBe(`[${'-'.repeat(20)}]`);
    expect(bar(10, 10)).toBe(`[${'#'.repeat(20)}]`);
    expect(bar(15, 10)).toBe(`[${'#'.repeat(20)}]`);
    expect(bar(1, 0)).toBe(`[${'#'.repeat(20)}]`);
  });
});
