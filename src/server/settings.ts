import { RESILIENCE } from './config.js';

/**
 * The resilience settings one may change over a profile (`--set` on the command line, a process
 * fault's `restartWith` in a scenario), and what each takes. The keys and their kinds come from
 * the profiles' defaults (RESILIENCE), never from a list here, so a setting added there can be
 * changed at once:
 *   number   a finite number >= 0; a whole number when every profile's default is one
 *   boolean  true or false
 *   string   one of the values the profiles use
 */
export type SettingKind =
  | { readonly type: 'number'; readonly integer: boolean }
  | { readonly type: 'boolean' }
  | { readonly type: 'string'; readonly values: readonly string[] }
  | { readonly type: 'unsupported' };

export function settingKeys(profiles: Readonly<Record<string, object>> = RESILIENCE): string[] {
  return [...new Set(Object.values(profiles).flatMap((d) => Object.keys(d)))];
}

/** The kind of `key`'s value, from every profile's default for it. */
export function settingKind(key: string, profiles: Readonly<Record<string, object>> = RESILIENCE): SettingKind {
  const defaults = (Object.values(profiles) as Record<string, unknown>[]).map((d) => d[key]);
  if (defaults.every((d) => typeof d === 'number')) return { type: 'number', integer: defaults.every((d) => Number.isInteger(d)) };
  if (defaults.every((d) => typeof d === 'boolean')) return { type: 'boolean' };
  if (defaults.every((d) => typeof d === 'string')) return { type: 'string', values: [...new Set(defaults as string[])] };
  return { type: 'unsupported' };
}

/** Whether a value already typed (from YAML or JSON) is one `kind` takes. */
export function fitsSetting(kind: SettingKind, value: unknown): boolean {
  switch (kind.type) {
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) && value >= 0 && (!kind.integer || Number.isSafeInteger(value));
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string' && kind.values.includes(value);
    case 'unsupported':
      return false;
  }
}

/** What `kind` takes, in words, for an error message. */
export function settingExpected(kind: SettingKind, booleans = 'true or false'): string {
  switch (kind.type) {
    case 'number':
      return kind.integer ? 'a whole number >= 0' : 'a number >= 0';
    case 'boolean':
      return booleans;
    case 'string':
      return `one of ${kind.values.join(', ')}`;
    case 'unsupported':
      return 'nothing: it cannot be set';
  }
}
