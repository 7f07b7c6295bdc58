import { describe, expect, it } from 'vitest';
import { readDuration, readUnitDuration } from '../../../src/engine/executors/duration.js';
import { parseThresholds } from '../../../src/engine/thresholds.js';

/** The one duration grammar: the unit-required part thresholds use, and the config form around it. */
describe('readUnitDuration', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['1.1s', 1_100],
    ['.5s', 500],
    ['2d', 172_800_000],
    ['250us', 0.25],
    ['0s', 0],
  ])('%s is %d ms', (text, ms) => {
    expect(readUnitDuration(text)).toBe(ms);
  });

  it.each(['', '10', '-1s', '1 s', '1e3ms', 's', '10x', '1m 30s'])('%j is not a duration with units', (text) => {
    expect(readUnitDuration(text)).toBeUndefined();
  });

  it('is the unit part of the config grammar, which adds plain milliseconds', () => {
    for (const text of ['500ms', '1m30s', '1.5h', '2d']) expect(readDuration(text)).toBe(readUnitDuration(text));
    expect(readDuration('10')).toBe(10);
  });
});

describe('delayAbortEval reads the same grammar', () => {
  const delayOf = (delay: unknown): number | undefined =>
    parseThresholds({ http_req_duration: [{ threshold: 'p(99)<1s', abortOnFail: true, delayAbortEval: delay }] })[0]?.delayAbortEvalMs;

  it.each([
    ['10s', 10_000],
    [' 1m30s ', 90_000],
    ['2d', 172_800_000],
  ])('%j is %d ms', (delay, ms) => {
    expect(delayOf(delay)).toBe(ms);
  });

  it.each(['10', 10, '', '-5s'])('%j is refused with the same message as before', (delay) => {
    expect(() => delayOf(delay)).toThrow(/delayAbortEval: expected a duration such as "10s", "500ms", "1m" or "1m30s", got /);
  });
});
