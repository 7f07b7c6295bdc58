import type { SloVerdict } from './analysis-types.js';
import { round, sustainedFrom, type Timeline } from './timeline.js';

/** Per SLO threshold: held throughout (no sustained violation), seconds violated, the worst window. */
export function sloVerdicts(tl: Timeline): SloVerdict[] {
  const { judged } = tl;
  return tl.slo.thresholds.map((th, i) => {
    let violated = 0;
    let worst: SloVerdict['worst'] = null;
    let sustained = false;
    judged.forEach((j, t) => {
      const r = j.results[i];
      if (r === undefined || r.ok) return;
      violated++;
      if (!sustained && sustainedFrom(tl, t, (k) => judged[k]?.results[i]?.ok === false)) sustained = true;
      const v = r.value ?? 0;
      const worse = worst === null || (th.op.startsWith('<') ? v > worst.value : v < worst.value);
      if (worse) worst = { atS: t, value: round(v, 3) };
    });
    return { key: th.key, expr: th.expr, ok: !sustained, violatedSeconds: violated, worst };
  });
}
