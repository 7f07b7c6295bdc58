import { describe, expect, it } from 'vitest';
import { Memo } from '../../src/server/memo.js';

/** The worker's memo: bounded in count and in age, two generations, pure. */
describe('Memo', () => {
  it('keeps at most its limit and forgets the oldest half first', () => {
    const memo = new Memo<number, number>(4);
    for (let i = 0; i < 10; i++) memo.set(i, i * 10);
    expect(memo.size).toBeLessThanOrEqual(4);
    // The two newest generations of two: 6, 7 (old) and 8, 9 (young).
    expect([6, 7, 8, 9].map((k) => memo.get(k))).toEqual([60, 70, 80, 90]);
    expect(memo.get(5)).toBeUndefined();
  });

  it('overwrites in place and never counts a key twice', () => {
    const memo = new Memo<string, number>(4);
    memo.set('a', 1);
    memo.set('b', 2);
    memo.set('c', 3); // young was full: a, b are now old
    memo.set('a', 4); // back in young, gone from old
    expect(memo.get('a')).toBe(4);
    expect(memo.size).toBe(3);
    memo.delete('a');
    expect(memo.get('a')).toBeUndefined();
    expect(memo.size).toBe(2);
  });

  it('forgets an entry between one and two ages after it was written', () => {
    let now = 1_000;
    const memo = new Memo<string, string>(1_000, 100, () => now);
    memo.set('early', 'x');
    now = 1_099;
    memo.set('late', 'y');
    expect(memo.get('early')).toBe('x');
    now = 1_100; // the young generation is an age old: it becomes the old one
    memo.set('next', 'z');
    expect(memo.get('early')).toBe('x');
    expect(memo.get('late')).toBe('y');
    now = 1_200; // and an age later it is dropped
    memo.set('after', 'w');
    expect(memo.get('early')).toBeUndefined();
    expect(memo.get('late')).toBeUndefined();
    expect(memo.get('next')).toBe('z');
  });

  it('after a quiet spell of two ages, drops both generations at the next write', () => {
    let now = 0;
    const memo = new Memo<string, number>(1_000, 100, () => now);
    memo.set('a', 1);
    now = 150;
    memo.set('b', 2); // a is old now
    now = 460;
    memo.set('c', 3);
    expect(memo.get('a')).toBeUndefined();
    expect(memo.get('b')).toBeUndefined();
    expect(memo.size).toBe(1);
  });

  it('without an age, keeps what it holds however long it waits', () => {
    let now = 0;
    const memo = new Memo<string, number>(10, 0, () => now);
    memo.set('a', 1);
    now = 1e12;
    memo.set('b', 2);
    expect(memo.get('a')).toBe(1);
  });
});
