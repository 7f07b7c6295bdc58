import { isMap, parseDocument } from 'yaml';
import { readDuration } from '../../src/engine/executors/duration.js';
import { DEFAULT_MAX_IN_FLIGHT } from '../../src/engine/executors/fields.js';
import { invalidInput } from '../../src/errors.js';
import { PEOPLE } from '../people.js';

/**
 * `--compress N` (run, plan, demo): the same city morning replayed at N simulated seconds per real
 * second, with the load of each real second held. A morning at compress 80 and 0.006 of the city
 * sends what one at compress 20 and 0.024 of it does; what differs is how long the city's minutes
 * last against what people do in real seconds. A person's patience (3 s watching a spinner) and
 * a tap to retry are real time and do not compress, so the faster the clock, the more city
 * minutes a real second of patience covers: at 80, the 3 s before anyone gives up are 4 city
 * minutes of the surge served in full.
 *
 * With k = old compress / N, the scenario is rewritten so that:
 *   city.clock.compress          N
 *   city.population.scale        × k   (the rate sent is city rate × scale × compress)
 *   city.maxInFlight             × k   (people mid-journey: a share of the city, so it scales with it; the engine's default if unset)
 *   city.people.comeBack.after   × k   (a city interval given in real time: "about every 3 city minutes")
 * Everything else stays: times of day and fault windows are on the city clock already;
 * patience, retries, think times, `gracefulStop` and the `slo` windows are real time.
 *
 * The rewrite is of the YAML text, comments kept, with a comment on top saying what changed:
 * the run directory's scenario.yaml is then the scenario as run, and `codestorm report` on it
 * reads the same clock. A text that does not parse is returned as it is, for the loader to report.
 */
export interface Recompressed {
  readonly text: string;
  /** What changed, one "field old → new" each, for the run to say. */
  readonly changes: readonly string[];
}

export function recompress(text: string, file: string, compress: number): Recompressed {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return { text, changes: [] };
  const old = doc.getIn(['city', 'clock', 'compress']);
  if (!isMap(doc.getIn(['city', 'clock'], true))) {
    throw invalidInput('FLAG_INVALID', `${file}: city.clock: --compress needs a city clock to compress; this scenario has none (its rate comes from load)`);
  }
  if (typeof old !== 'number' || !(old > 0)) return { text, changes: [] };
  const k = old / compress;
  const changes: string[] = [];
  const set = (path: readonly string[], from: unknown, to: unknown): void => {
    doc.setIn(path, to);
    changes.push(`${path.join('.')} ${String(from)} → ${String(to)}`);
  };
  set(['city', 'clock', 'compress'], old, compress);

  const scale = doc.getIn(['city', 'population', 'scale']);
  if (typeof scale === 'number') {
    const scaled = significant(scale * k);
    if (scaled > 1) {
      throw invalidInput('FLAG_INVALID', `${file}: city.population.scale: --compress ${compress} would make it ${scaled} (${scale} × ${significant(k)}), more than the whole city (at most 1); compress less or lower the scale`);
    }
    set(['city', 'population', 'scale'], scale, scaled);
  }

  const inFlight = doc.getIn(['city', 'maxInFlight']);
  const fromInFlight = typeof inFlight === 'number' ? inFlight : DEFAULT_MAX_IN_FLIGHT;
  set(['city', 'maxInFlight'], typeof inFlight === 'number' ? inFlight : `${fromInFlight} (default)`, Math.max(1, Math.round(fromInFlight * k)));

  const comeBack = doc.getIn(['city', 'people', 'comeBack'], true);
  if (isMap(comeBack)) {
    const raw = doc.getIn(['city', 'people', 'comeBack', 'after']);
    const ms = raw === undefined ? PEOPLE.comeBack.afterMs : readDuration(raw);
    if (typeof ms === 'number') set(['city', 'people', 'comeBack', 'after'], raw === undefined ? `${ms}ms (default)` : String(raw), millis(ms * k));
  }

  const note = ` codestorm --compress ${compress}: the load of each real second held (${changes.join('; ')})`;
  doc.commentBefore = doc.commentBefore === null || doc.commentBefore === undefined ? note : `${doc.commentBefore}\n${note}`;
  return { text: doc.toString({ lineWidth: 0 }), changes };
}

/** 12 significant digits: 0.006 × 4 is 0.024, not 0.024000000000000004. */
function significant(x: number): number {
  return Number(x.toPrecision(12));
}

/** A duration the scenario grammar reads: whole seconds as "8s", else milliseconds as "1500ms". */
function millis(ms: number): string {
  const rounded = Math.round(ms);
  return rounded % 1000 === 0 ? `${rounded / 1000}s` : `${rounded}ms`;
}
