import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeWire, SecondMetrics } from '../../src/engine/second.js';
import { LineTail, MetricsTail, RunFollower, toNdjsonLine } from '../../src/run-files/index.js';

/**
 * Following a run directory while it is written (the live dashboard): only complete lines, only
 * what was appended, and of metrics.ndjson only complete seconds, through the files' own readers.
 */
const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-follow-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function second(t: number, requests: number): string {
  const s = new SecondMetrics(t);
  s.offered(requests);
  s.started(requests);
  for (let i = 0; i < requests; i++) s.request(i % 2 === 0 ? 'a' : 'b', 'ok', 1_000 * (i + 1), 900);
  return toNdjsonLine(mergeWire([s.toWire()]));
}

describe('LineTail', () => {
  it('returns each complete line once, holds a half-written one, and starts again on a file written anew', () => {
    const f = path.join(scratch, 'lines.ndjson');
    const tail = new LineTail(f);
    expect(tail.read()).toEqual([]); // no file yet
    writeFileSync(f, '{"a":1}\n{"b":');
    expect(tail.read().map((l) => l.text)).toEqual(['{"a":1}']);
    expect(tail.read()).toEqual([]);
    expect(tail.settled).toBe(false); // half a line is still out
    appendFileSync(f, '2}\n\n{"c":"é"}\n');
    expect(tail.read()).toEqual([
      { text: '{"b":2}', where: `${f}:2` },
      { text: '{"c":"é"}', where: `${f}:4` },
    ]);
    expect(tail.read()).toEqual([]);
    expect(tail.settled).toBe(true);
    writeFileSync(f, '{"d":1}\n');
    expect(tail.read()).toEqual([{ text: '{"d":1}', where: `${f}:1` }]);
  });
});

describe('MetricsTail', () => {
  it('gives a second once a later one has begun, or once the file has been quiet for a read; gaps as empty seconds', () => {
    const f = path.join(scratch, 'metrics.ndjson');
    writeFileSync(f, '');
    const tail = new MetricsTail(f);
    appendFileSync(f, second(0, 4));
    expect(tail.read()).toEqual([]); // just written: its writer may not be done
    const [zero] = tail.read(); // quiet for a read: done
    expect(zero).toMatchObject({ t: 0, offered: 4 });
    expect(zero!.requests.map((r) => [r.name, r.total])).toEqual([['a', 2], ['b', 2]]);
    appendFileSync(f, second(1, 2) + second(3, 6));
    expect(tail.read().map((s) => [s.t, s.offered])).toEqual([[1, 2], [2, 0]]);
    expect(tail.read(true).map((s) => s.t)).toEqual([3]);
    expect(tail.names).toEqual(['a', 'b']);
  });

  it('refuses a line for a second it has given already, naming the file and line', () => {
    const f = path.join(scratch, 'late.ndjson');
    writeFileSync(f, second(0, 1) + second(1, 1));
    const tail = new MetricsTail(f);
    expect(tail.read().map((s) => s.t)).toEqual([0]);
    appendFileSync(f, second(0, 1));
    expect(() => tail.read()).toThrow(new RegExp(`late\\.ndjson:5: t: second 0 was complete already`));
  });
});

describe('RunFollower', () => {
  it('reads what events.ndjson, server.ndjson and metrics.ndjson gained since the last read', () => {
    const dir = mkdtempSync(path.join(scratch, 'run-'));
    for (const f of ['metrics.ndjson', 'events.ndjson']) writeFileSync(path.join(dir, f), '');
    const follow = new RunFollower(dir);
    appendFileSync(path.join(dir, 'events.ndjson'), '{"t":-0.5,"event":"run-start"}\n');
    appendFileSync(path.join(dir, 'metrics.ndjson'), second(0, 2));
    const first = follow.read();
    expect(first.events.map((e) => e.event)).toEqual(['run-start']);
    expect(first.server).toEqual([]); // no scrapes: no server.ndjson
    appendFileSync(path.join(dir, 'server.ndjson'), '{"t":1,"metrics":{"up":1}}\n');
    appendFileSync(path.join(dir, 'events.ndjson'), '{"t":1.2,"event":"fault-begin","fault":"f","kind":"network","target":"link x"}\n');
    const second_ = follow.read(true);
    expect(second_.events.map((e) => e.event)).toEqual(['fault-begin']);
    expect(second_.server).toEqual([{ t: 1, metrics: { up: 1 } }]);
    expect(second_.seconds.map((s) => s.t)).toEqual([0]);
    appendFileSync(path.join(dir, 'events.ndjson'), '{"t":2,"event":"fault-begin"}\n');
    expect(() => follow.read()).toThrow(/events\.ndjson:3: fault: expected a string/);
  });
});
