import { describe, expect, it } from 'vitest';
import { inTurns, PROBES_AT_ONCE } from '../../sim/check/final-state.js';

/** The check's probes after a run (sim/check/final-state.ts): a few at once, answers in order. */
describe('probes in turns', () => {
  it('run every item, never more than the limit at once, and answer in the items\' order', async () => {
    let running = 0;
    let most = 0;
    const items = Array.from({ length: 37 }, (_, i) => i);
    const answers = await inTurns(items, PROBES_AT_ONCE, async (i) => {
      running++;
      most = Math.max(most, running);
      // Later items finish sooner, so an answer kept in finishing order would be out of order.
      await new Promise((r) => setTimeout(r, (37 - i) % 5));
      running--;
      return i * 2;
    });
    expect(answers).toEqual(items.map((i) => i * 2));
    expect(most).toBe(PROBES_AT_ONCE);
    expect(await inTurns([], 8, async () => 1)).toEqual([]);
    expect(await inTurns([1, 2, 3], 0, async (i) => i)).toEqual([1, 2, 3]);
  });
});
