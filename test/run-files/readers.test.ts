import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeWire, SecondMetrics } from '../../src/engine/second.js';
import { CodestormError } from '../../src/errors.js';
import { readEvents, readMetrics, readRunDir, readServer, readSummary, toNdjsonLine } from '../../src/run-files/index.js';

/**
 * Each reader of src/run-files refuses a malformed line with a one-line error (exit 2) that
 * names the file, the line and the field, after accepting the good lines before it.
 */
const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-readers-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const dir = mkdtempSync(path.join(scratch, 'run-'));
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

function refusal(read: () => unknown): CodestormError {
  try {
    read();
  } catch (err) {
    if (err instanceof CodestormError) return err;
    throw err;
  }
  throw new Error('expected the reader to refuse the file');
}

function oneSecond(): string[] {
  const s = new SecondMetrics(0);
  s.offered(1);
  s.started(1);
  s.request('get', 'ok', 1_000, 900);
  return toNdjsonLine(mergeWire([s.toWire()])).trim().split('\n');
}

describe('the run files\' readers', () => {
  it('metrics.ndjson: a request line whose count is not a number', () => {
    const [totals, request] = oneSecond();
    const bad = JSON.parse(request!);
    bad.counts.ok = 'one';
    const f = file('metrics.ndjson', `${totals}\n${JSON.stringify(bad)}\n`);
    const err = refusal(() => readMetrics(f));
    expect(err.code).toBe('METRICS_LINE_INVALID');
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(new RegExp(`^${escape(f)}:2: counts\\.ok: `));
  });

  it('metrics.ndjson: a histogram for an outcome the counts do not have, and an unknown key', () => {
    const [totals, request] = oneSecond();
    const bad = { ...JSON.parse(request!), extra: 1 };
    bad.hdr.timeout = bad.hdr.ok;
    const f = file('metrics.ndjson', `${totals}\n${JSON.stringify(bad)}\n`);
    expect(refusal(() => readMetrics(f)).message.split('\n')).toEqual([`${f}:2: (line): Unrecognized key: "extra"`]);
    delete bad.extra;
    writeFileSync(f, `${totals}\n${JSON.stringify(bad)}\n`);
    expect(refusal(() => readMetrics(f)).message.split('\n')).toEqual([`${f}:2: hdr.timeout: present, but counts has no such outcome`]);
  });

  it('events.ndjson: a fault-begin that does not name its target', () => {
    const f = file('events.ndjson', '{"t":0,"event":"run-start"}\n\n{"t":1.5,"event":"fault-begin","fault":"f","kind":"network"}\n');
    const err = refusal(() => readEvents(f));
    expect(err.code).toBe('EVENTS_LINE_INVALID');
    expect(err.exitCode).toBe(2);
    // Line 3: the blank line between is counted, as an editor counts it.
    expect(err.message).toMatch(new RegExp(`^${escape(f)}:3: target: expected a string`));
  });

  it('events.ndjson: an event without a time of its own', () => {
    const f = file('events.ndjson', '{"t":0,"event":"run-start"}\n{"event":"run-end"}\n');
    expect(refusal(() => readEvents(f)).message).toMatch(new RegExp(`^${escape(f)}:2: t: `));
  });

  it('events.ndjson: a wall-clock time as epoch ms (a worker log line an earlier codestorm recorded) is read, not refused', () => {
    const f = file('events.ndjson', '{"t":0,"time":"2026-12-02T16:00:00.000Z","event":"run-start"}\n{"t":146.3,"time":1796227589075,"event":"server-undefined","level":50}\n');
    expect(readEvents(f).map((e) => e.event)).toEqual(['run-start', 'server-undefined']);
  });

  it('server.ndjson: a sample that is not a number', () => {
    const f = file('server.ndjson', '{"t":0,"metrics":{"a":1}}\n{"t":1,"metrics":{"a":"busy"}}\n');
    const err = refusal(() => readServer(f));
    expect(err.code).toBe('SERVER_LINE_INVALID');
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(new RegExp(`^${escape(f)}:2: `));
    expect(err.message).toContain('metrics');
  });

  it('summary.json (one document, so no line): the field that is wrong', () => {
    const f = file('summary.json', JSON.stringify({ scenario: 'x', seed: -1 }));
    const err = refusal(() => readSummary(f));
    expect(err.code).toBe('SUMMARY_INVALID');
    expect(err.exitCode).toBe(2);
    const lines = err.message.split('\n');
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${escape(f)}: seed: `)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${escape(f)}: verdict: `)));
  });

  it('readRunDir reads every file through these readers, and names a missing one', () => {
    const f = file('metrics.ndjson', `${oneSecond().join('\n')}\n`);
    const dir = path.dirname(f);
    expect(refusal(() => readRunDir(dir)).message).toBe(`${dir}: not a run directory (no scenario.yaml)`);
    writeFileSync(path.join(dir, 'scenario.yaml'), 'name: x\n');
    writeFileSync(path.join(dir, 'events.ndjson'), '{"t":"soon","event":"run-start"}\n');
    expect(refusal(() => readRunDir(dir)).message).toMatch(new RegExp(`^${escape(path.join(dir, 'events.ndjson'))}:1: t: `));
    writeFileSync(path.join(dir, 'events.ndjson'), '{"t":0,"event":"run-start"}\n');
    const run = readRunDir(dir);
    expect(run.seconds.map((s) => [s.t, s.offered, s.requests.map((r) => [r.name, r.total, r.ok])])).toEqual([[0, 1, [['get', 1, 1]]]]);
    expect(run.events).toEqual([{ t: 0, event: 'run-start' }]);
    expect(run.server).toEqual([]);
    expect(run.summary).toBeUndefined();
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
