import { invalidInput } from '../errors.js';
import { RESILIENCE, type ResilienceConfig } from '../server/config.js';
import { settingExpected, settingKeys, settingKind, type SettingKind } from '../server/settings.js';

const TRUE = new Set(['true', 'on', 'yes', '1']);
const FALSE = new Set(['false', 'off', 'no', '0']);
const BOOLEANS = 'true or false (or on/off, yes/no, 1/0)';

/**
 * `--set KEY=VALUE` (run, capacity, server; repeatable): one resilience setting of the reference
 * server over its profile. The keys and what each takes come from src/server/settings.ts; a
 * value is read from its text by that kind (a boolean also as on/off, yes/no, 1/0).
 * Every problem is reported together, one line each naming the flag and the key.
 */
export function parseSettings(values: readonly string[], profiles: Readonly<Record<string, object>> = RESILIENCE): Partial<ResilienceConfig> {
  const keys = settingKeys(profiles);
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
    const kind = settingKind(key, profiles);
    const parsed = read(kind, value);
    if (parsed === undefined) problems.push(`${flag}: ${key} expects ${settingExpected(kind, BOOLEANS)}, got "${value}"`);
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

function read(kind: SettingKind, value: string): number | boolean | string | undefined {
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
