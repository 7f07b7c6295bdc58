import { GENERATOR_BEHIND_MS, type GeneratorVerdict } from './analysis-types.js';
import type { RunDir } from './read.js';

/** The generator's lateness over the run; null when no second records an arrival lag. */
export function generatorVerdict(run: RunDir): GeneratorVerdict | null {
  let worst: { ms: number; atS: number } | null = null;
  let behindFromS: number | null = null;
  let secondsBehind = 0;
  for (const s of run.seconds) {
    const ms = s.arrivalLagMaxMs;
    if (ms === undefined) continue;
    if (worst === null || ms > worst.ms) worst = { ms, atS: s.t };
    if (ms >= GENERATOR_BEHIND_MS) {
      behindFromS ??= s.t;
      secondsBehind++;
    }
  }
  return worst === null ? null : { arrivalLagMaxMs: worst.ms, atS: worst.atS, behindFromS, secondsBehind };
}
