import { describe, expect, it, vi } from 'vitest';
import { Batcher } from '../../src/server/resilience/batcher.js';

/** The miss batcher (missBatch): pure, no I/O. */
describe('Batcher', () => {
  const source = () =>
    vi.fn(async (keys: readonly number[], _deadline: number) => new Map(keys.filter((k) => k >= 0).map((k) => [k, `row ${k}`] as const)));

  it('the keys asked for in one turn of the event loop go to the source in one call', async () => {
    const loadMany = source();
    const b = new Batcher(100, loadMany);
    const got = await Promise.all([3, 1, 2].map((k) => b.load(k, 0)));
    expect(got).toEqual(['row 3', 'row 1', 'row 2']);
    expect(loadMany).toHaveBeenCalledTimes(1);
    expect(loadMany.mock.calls[0]![0]).toEqual([3, 1, 2]);
  });

  it('splits a turn into calls of at most `max` keys, in arrival order', async () => {
    const loadMany = source();
    const b = new Batcher(2, loadMany);
    await Promise.all([1, 2, 3, 4, 5].map((k) => b.load(k, 0)));
    expect(loadMany.mock.calls.map((c) => c[0])).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('a key asked for in a later turn goes in a later call', async () => {
    const loadMany = source();
    const b = new Batcher(100, loadMany);
    await b.load(1, 0);
    await b.load(2, 0);
    expect(loadMany.mock.calls.map((c) => c[0])).toEqual([[1], [2]]);
  });

  it('a call carries its keys\' earliest deadline; 0 (none) never wins over one that is set', async () => {
    const loadMany = source();
    const b = new Batcher(100, loadMany);
    await Promise.all([b.load(1, 0), b.load(2, 5_000), b.load(3, 3_000), b.load(4, 0)]);
    expect(loadMany.mock.calls[0]![1]).toBe(3_000);
    await Promise.all([b.load(1, 0), b.load(2, 0)]);
    expect(loadMany.mock.calls[1]![1]).toBe(0);
  });

  it('a key the source has no value for resolves to undefined; the others still get theirs', async () => {
    const b = new Batcher(100, source());
    expect(await Promise.all([b.load(-1, 0), b.load(4, 0)])).toEqual([undefined, 'row 4']);
  });

  it('a failed call rejects every key in it, and only those', async () => {
    const err = new Error('pool exhausted');
    const loadMany = vi.fn(async (keys: readonly number[]) => {
      if (keys.includes(1)) throw err;
      return new Map(keys.map((k) => [k, k] as const));
    });
    const b = new Batcher(2, loadMany);
    const settled = await Promise.allSettled([1, 2, 3].map((k) => b.load(k, 0)));
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect((settled[0] as PromiseRejectedResult).reason).toBe(err);
    expect(b.waiting).toBe(0);
  });

  it('refuses a batch size under one', () => {
    expect(() => new Batcher(0, source())).toThrow(/at least one key/);
  });
});
