import { invalidFields, type FieldProblem } from '../../errors.js';
import { describeValue } from './describe-value.js';
import { readDuration } from './duration.js';

/**
 * Reading one executor's raw config: every problem is collected, each naming its field
 * (`load.stages[1].target: expected a number >= 0, got -5`), and `finish()` throws them all as
 * one invalid-input error whose problems stay structured. Readers return NaN for a bad field so callers stay simple; the values are
 * only used once `finish()` has passed. The input is never mutated.
 */
export const INVALID_EXECUTOR = 'EXECUTOR_CONFIG_INVALID';

/** Arrival-rate executors' default cap on iterations in flight; arrivals beyond it are dropped. */
export const DEFAULT_MAX_IN_FLIGHT = 1_000;

export interface NumberRule {
  /** Inclusive lower bound. */
  readonly min?: number;
  /** Exclusive lower bound. */
  readonly above?: number;
  readonly integer?: boolean;
  /** Used when the field is absent; without one the field is required. */
  readonly default?: number;
}

export interface DurationRule {
  /** Reject 0. */
  readonly positive?: boolean;
  readonly default?: number;
}

/** One stage of a ramp: `duration` in ms, `target` in the executor's unit. */
export interface Stage {
  readonly duration: number;
  readonly target: number;
}

export class Fields {
  readonly where: string;
  readonly #raw: Readonly<Record<string, unknown>>;
  readonly #problems: FieldProblem[];
  /** False when the input was not an object: that one problem is reported, not each field. */
  readonly #isObject: boolean;

  /** `known`: the accepted keys; any other key is reported. `executor`, if given, must match. */
  static of(raw: unknown, where: string, executor: string, known: readonly string[]): Fields {
    const fields = new Fields(raw, where, [], [...known, 'executor']);
    const named = fields.#raw['executor'];
    if (named !== undefined && named !== executor) {
      fields.problem('executor', `expected "${executor}", got ${describeValue(named)}`);
    }
    return fields;
  }

  private constructor(raw: unknown, where: string, problems: FieldProblem[], known: readonly string[]) {
    this.where = where;
    this.#problems = problems;
    this.#isObject = isRecord(raw);
    if (isRecord(raw)) {
      this.#raw = raw;
      for (const key of Object.keys(raw)) {
        if (!known.includes(key)) this.problem(key, `unknown field (expected one of ${known.join(', ')})`);
      }
    } else {
      this.#raw = {};
      problems.push({ path: where || '(config)', message: `expected an object, got ${describeValue(raw)}` });
    }
  }

  /** How arrivals are spaced: `even` (the default) or `poisson`. */
  spacing(key = 'spacing'): 'even' | 'poisson' {
    const raw = this.get(key);
    if (raw === undefined || raw === 'even' || raw === 'poisson') return raw ?? 'even';
    this.problem(key, `expected "even" or "poisson", got ${describeValue(raw)}`);
    return 'even';
  }

  /** The dotted path of a field, e.g. `load.stages[1].target`. */
  path(key: string): string {
    return this.where === '' ? key : `${this.where}.${key}`;
  }

  problem(key: string, message: string): void {
    this.#problems.push({ path: this.path(key), message });
  }

  has(key: string): boolean {
    return this.#raw[key] !== undefined;
  }

  get(key: string): unknown {
    return this.#raw[key];
  }

  number(key: string, rule: NumberRule): number {
    if (!this.#isObject) return Number.NaN;
    const raw = this.#raw[key];
    const expected = `expected ${rule.integer === true ? 'a whole number' : 'a number'}${bound(rule)}`;
    if (raw === undefined) {
      if (rule.default !== undefined) return rule.default;
      this.problem(key, `missing; ${expected}`);
      return Number.NaN;
    }
    const ok =
      typeof raw === 'number' &&
      Number.isFinite(raw) &&
      (rule.integer !== true || Number.isInteger(raw)) &&
      (rule.min === undefined || raw >= rule.min) &&
      (rule.above === undefined || raw > rule.above);
    if (!ok) {
      this.problem(key, `${expected}, got ${describeValue(raw)}`);
      return Number.NaN;
    }
    return raw;
  }

  /** Milliseconds. */
  duration(key: string, rule: DurationRule): number {
    if (!this.#isObject) return Number.NaN;
    const raw = this.#raw[key];
    if (raw === undefined) {
      if (rule.default !== undefined) return rule.default;
      this.problem(key, `missing; expected a duration${rule.positive === true ? ' > 0' : ''} such as "10s"`);
      return Number.NaN;
    }
    const ms = readDuration(raw);
    if (typeof ms === 'string') {
      this.problem(key, ms);
      return Number.NaN;
    }
    if (rule.positive === true && ms <= 0) {
      this.problem(key, `expected a duration > 0, got ${describeValue(raw)}`);
      return Number.NaN;
    }
    return ms;
  }

  /** A non-empty array of `{ duration, target }`; each target checked against `target`. */
  stages(key: string, target: NumberRule): readonly Stage[] {
    if (!this.#isObject) return [];
    const raw = this.#raw[key];
    if (!Array.isArray(raw) || raw.length === 0) {
      this.problem(key, `${raw === undefined ? 'missing; ' : ''}expected a non-empty array of { duration, target }${raw === undefined ? '' : `, got ${describeValue(raw)}`}`);
      return [];
    }
    return Object.freeze(
      raw.map((item: unknown, i) => {
        const stage = new Fields(item, this.path(`${key}[${i}]`), this.#problems, ['duration', 'target']);
        return Object.freeze({ duration: stage.duration('duration', {}), target: stage.number('target', target) });
      }),
    );
  }

  /** Throws every collected problem as one invalid-input error. */
  finish(): void {
    if (this.#problems.length === 0) return;
    const count = this.#problems.length;
    throw invalidFields(INVALID_EXECUTOR, this.#problems, count === 1 ? {} : { header: `${count} problems in ${this.where || 'executor config'}:` });
  }
}

function bound(rule: NumberRule): string {
  if (rule.above !== undefined) return ` > ${rule.above}`;
  if (rule.min !== undefined) return ` >= ${rule.min}`;
  return '';
}

export function isRecord(raw: unknown): raw is Readonly<Record<string, unknown>> {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw);
}
