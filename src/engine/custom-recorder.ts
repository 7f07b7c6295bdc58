import { CodestormError } from '../errors.js';
import { compareCodeUnits } from './custom-values.js';
import type { CustomMetrics, MetricDeclarations, MetricKind, MetricTags } from './journey.js';

/**
 * The `ctx.metrics` of one worker thread, for the whole run: a journey records through it, and it
 * resolves (metric, tag set) to a Series once and hands each sample on (to the second it falls in,
 * src/engine/custom-second.ts).
 *
 * Tags are bounded: a metric keeps at most MAX_TAG_SETS distinct tag sets per worker over the run.
 * A sample with a tag set beyond that is recorded without its tags (in the metric's untagged
 * series, so the metric's totals stay exact) and counted in that cell's `tagsDropped`: a journey
 * that tags by resident id gets its totals and a count of what lost its tags, not a memory blow-up.
 */
export const MAX_TAG_SETS = 64;
export const MAX_TAGS = 8;
export const MAX_TAG_VALUE = 128;
const TAG_KEY = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

export interface Series {
  /** Index into a second's cells; the overflow series shares its metric's untagged id. */
  readonly id: number;
  readonly metric: string;
  readonly type: MetricKind;
  /** Keys in code-unit order, frozen. */
  readonly tags: MetricTags;
  readonly size: number;
  /** Samples through this series lost their tags (the tag-set cap). */
  readonly dropsTags: boolean;
}

interface MetricEntry {
  readonly type: MetricKind;
  readonly untagged: Series;
  readonly overflow: Series;
  readonly byHash: Map<number, Series[]>;
  tagSets: number;
}

/** A journey's misuse of the API: the run stops with this message (see CustomRecorder). */
export class MetricMisuse extends CodestormError {
  constructor(message: string) {
    super('METRIC_USE_INVALID', message);
  }
}

/**
 * The `ctx.metrics` of one worker. `sink` receives each valid sample with its series; a misuse
 * (an undeclared name, the wrong kind, a value that is not a finite number, a bad tag) calls
 * `misuse` once with a message naming the module and the metric, then throws MetricMisuse into
 * the journey on every misuse.
 */
export class CustomRecorder {
  readonly metrics: CustomMetrics;
  readonly #declared: MetricDeclarations;
  readonly #module: string;
  readonly #entries = new Map<string, MetricEntry>();
  #nextId = 0;
  #failed = false;

  constructor(
    declared: MetricDeclarations,
    module: string,
    sink: (series: Series, value: number) => void,
    readonly misuse: (message: string) => void,
  ) {
    this.#declared = declared;
    this.#module = module;
    // Closures, not methods: a journey may destructure ctx.metrics.
    this.metrics = Object.freeze({
      counter: (name: string, value: number = 1, tags?: MetricTags) => {
        const series = this.#resolve(name, 'counter', tags);
        if (!(typeof value === 'number' && value >= 0 && value < Infinity)) this.#fail(`metric "${name}": counter() adds a finite number >= 0, got ${describe(value)}`);
        sink(series, value);
      },
      gauge: (name: string, value: number, tags?: MetricTags) => {
        const series = this.#resolve(name, 'gauge', tags);
        if (!(typeof value === 'number' && Number.isFinite(value))) this.#fail(`metric "${name}": gauge() takes a finite number, got ${describe(value)}`);
        sink(series, value);
      },
      rate: (name: string, value: boolean | number, tags?: MetricTags) => {
        const series = this.#resolve(name, 'rate', tags);
        if (typeof value === 'boolean') sink(series, value ? 1 : 0);
        else if (typeof value === 'number' && !Number.isNaN(value)) sink(series, value !== 0 ? 1 : 0);
        else this.#fail(`metric "${name}": rate() takes true/false or a number, got ${describe(value)}`);
      },
      trend: (name: string, value: number, tags?: MetricTags) => {
        const series = this.#resolve(name, 'trend', tags);
        if (!(typeof value === 'number' && Number.isFinite(value))) this.#fail(`metric "${name}": trend() takes a finite number, got ${describe(value)}`);
        sink(series, value);
      },
    });
  }

  /** Hot path: a Map lookup by name, and for tags a hash over the pairs; allocates only for a new series. */
  #resolve(name: string, kind: MetricKind, tags: MetricTags | undefined): Series {
    let entry = this.#entries.get(name);
    if (entry === undefined) entry = this.#declare(name);
    if (entry.type !== kind) this.#fail(`metric "${name}" is declared a ${entry.type}, but was recorded with ${kind}()`);
    if (tags === undefined || tags === null) return entry.untagged;
    let hash = 0;
    let size = 0;
    for (const k in tags) {
      const v = tags[k];
      if (typeof v !== 'string') this.#fail(`metric "${name}": tag "${k}" must be a string, got ${describe(v)}`);
      hash = (hash + pairHash(k, v as string)) | 0;
      size++;
    }
    if (size === 0) return entry.untagged;
    const bucket = entry.byHash.get(hash);
    if (bucket !== undefined) {
      for (const s of bucket) if (s.size === size && sameTags(s.tags, tags)) return s;
    }
    if (entry.tagSets >= MAX_TAG_SETS) return entry.overflow;
    return this.#addTagSet(name, entry, tags, size, hash);
  }

  #declare(name: string): MetricEntry {
    const d = Object.hasOwn(this.#declared, name) ? this.#declared[name] : undefined;
    if (d === undefined) {
      const names = Object.keys(this.#declared);
      this.#fail(`metric "${name}" is not declared (${names.length === 0 ? 'the module exports no metrics' : `declared: ${names.join(', ')}`})`);
    }
    const id = this.#nextId++;
    const untagged: Series = Object.freeze({ id, metric: name, type: d.type, tags: Object.freeze({}), size: 0, dropsTags: false });
    const overflow: Series = Object.freeze({ ...untagged, dropsTags: true });
    const entry: MetricEntry = { type: d.type, untagged, overflow, byHash: new Map(), tagSets: 0 };
    this.#entries.set(name, entry);
    return entry;
  }

  #addTagSet(name: string, entry: MetricEntry, tags: MetricTags, size: number, hash: number): Series {
    if (size > MAX_TAGS) this.#fail(`metric "${name}": at most ${MAX_TAGS} tags a sample, got ${size}`);
    const keys = Object.keys(tags).sort(compareCodeUnits);
    for (const k of keys) {
      if (!TAG_KEY.test(k)) this.#fail(`metric "${name}": tag key "${k}" must be a letter or _, then letters, digits, _ . - (at most 64)`);
      if ((tags[k] ?? '').length > MAX_TAG_VALUE) this.#fail(`metric "${name}": tag "${k}" is longer than ${MAX_TAG_VALUE} characters`);
    }
    const copy = Object.freeze(Object.fromEntries(keys.map((k) => [k, tags[k] ?? ''])));
    const series: Series = Object.freeze({ id: this.#nextId++, metric: name, type: entry.type, tags: copy, size, dropsTags: false });
    const bucket = entry.byHash.get(hash);
    if (bucket === undefined) entry.byHash.set(hash, [series]);
    else bucket.push(series);
    entry.tagSets++;
    return series;
  }

  #fail(problem: string): never {
    const message = `${this.#module}: ${problem}`;
    if (!this.#failed) {
      this.#failed = true;
      this.misuse(message);
    }
    throw new MetricMisuse(message);
  }
}

/** Order-independent over pairs (summed), so {a, b} and {b, a} land in the same bucket. */
function pairHash(k: string, v: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0x3d, 0x01000193);
  for (let i = 0; i < v.length; i++) h = Math.imul(h ^ v.charCodeAt(i), 0x01000193);
  return h;
}

function sameTags(a: MetricTags, b: MetricTags): boolean {
  for (const k in b) if (!Object.hasOwn(a, k) || a[k] !== b[k]) return false;
  return true;
}

function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' && v !== null ? 'an object' : String(v);
}
