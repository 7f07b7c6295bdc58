import { invalidInput } from '../errors.js';
import { RESILIENCE, type ResilienceConfig } from '../server/config.js';

/**
 * `--set KEY=VALUE` (run, capacity, server; repeatable): one resilience setting of the reference
 * server over its profile. The keys and their types come from the profiles' defaults
 * (RESILIENCE in src/server/config.ts), never from a list here, so a setting added there can be
 * set at once. A value is read by the type of the key's defaults:
 *   number   a finite number >= 0; a whole number when every profile's default is one
 *   boolean  true/false, on/off, yes/no, 1/0
 *   string   one of the values the profiles use
 * Every problem is reported together, one line each naming the flag and the key.
 */
type Kind = { readonly type: 'number'; readonly integer: boolean } | { readonly type: 'boolean' } | { readonly type: 'string'; readonly values: readonly string[] } | { readonly type: 'unsupported' };

const TRUE = new Set(['true', 'on', 'yes', '1']);
const FALSE = new Set(['false', 'off', 'no', '0']);

export function parseSettings(values: readonly string[], profiles: Readonly<Record<string, object>> = RESILIENCE): Partial<ResilienceConfig> {
  const defaults = Object.values(profiles) as Record<string, unknown>[];
  const keys = [...new Set(defaults.flatMap((d) => Object.keys(d)))];
  const out: Record<string, number | boolean | string> = {};
  const problems: string[] = [];
  for (const raw of values) {
    const at = raw.indexOf('=');
    const key = at < 0 ? raw.trim() : raw.slice(0, at).trim();
    const value = at < 0 ? '' : raw.slice(at + 1).trim();
    const flag = `--set ${raw}`;
    if (at < 0 || key === '') {
      problems.push(`${flag}: expected KEY=VALUE, e.g. --set coalesce=false`);
      continue;
    }
    if (!keys.includes(key)) {
      problems.push(`${flag}: unknown setting "${key}"; settings: ${keys.join(', ')}`);
      continue;
    }
    if (key in out) {
      problems.push(`${flag}: ${key} is set twice (first to ${String(out[key])})`);
      continue;
    }
    const kind = kindOf(defaults.map((d) => d[key]));
    const parsed = read(kind, value);
    if (parsed === undefined) problems.push(`${flag}: ${key} expects ${expected(kind)}, got "${value}"`);
    else out[key] = parsed;
  }
  if (problems.length > 0) throw invalidInput('FLAG_INVALID', problems.join('\n'));
  return out as Partial<ResilienceConfig>;
}

/** With an external target there is no reference server to set anything on. */
export function settingsFor(values: readonly string[] | undefined, external: string | undefined): Partial<ResilienceConfig> {
  if (values === undefined || values.length === 0) return {};
  if (external !== undefined) throw invalidInput('FLAG_INVALID', `--set: the target is ${external}, not the reference stack: there is no server setting to change`);
  return parseSettings(values);
}

function kindOf(defaults: readonly unknown[]): Kind {
  if (defaults.every((d) => typeof d === 'number')) return { type: 'number', integer: defaults.every((d) => Number.isInteger(d)) };
  if (defaults.every((d) => typeof d === 'boolean')) return { type: 'boolean' };
  if (defaults.every((d) => typeof d === 'string')) return { type: 'string', values: [...new Set(defaults as string[])] };
  return { type: 'unsupported' };
}

function read(kind: Kind, value: string): number | boolean | string | undefined {
  switch (kind.type) {
    case 'number': {
      const n = /^(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(value.replaceAll('_', '')) ? Number(value.replaceAll('_', '')) : Number.NaN;
      return Number.isFinite(n) && (!kind.integer || Number.isSafeInteger(n)) ? n : undefined;
    }
    case 'boolean':
      return TRUE.has(value.toLowerCase()) ? true : FALSE.has(value.toLowerCase()) ? false : undefined;
    case 'string':
      return kind.values.includes(value) ? value : undefined;
    case 'unsupported':
      return undefined;
  }
}

function expected(kind: Kind): string {
  switch (kind.type) {
    case 'number':
      return kind.integer ? 'a whole number >= 0' : 'a number >= 0';
    case 'boolean':
      return 'true or false (or on/off, yes/no, 1/0)';
    case 'string':
      return `one of ${kind.values.join(', ')}`;
    case 'unsupported':
      return 'nothing: it cannot be set from the command line';
  }
}
