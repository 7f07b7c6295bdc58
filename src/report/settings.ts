/**
 * The resilience settings a run overrode (`--set KEY=VALUE`), as summary.json and capacity.json
 * carry them: by name, in the order given; `{}` when none. The report only names them; what
 * they mean is the reference server's business.
 */
export type RunSettings = Readonly<Record<string, number | boolean | string>>;

/** "coalesce=false, maxInFlight=1"; '' when none. */
export function settingsText(settings: RunSettings): string {
  return Object.entries(settings)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
}

/** "hardened, coalesce=false": the profile with what was set on it; null without a profile. */
export function serverLabel(profile: string | null, settings: RunSettings): string | null {
  if (profile === null) return null;
  const set = settingsText(settings);
  return set === '' ? profile : `${profile}, ${set}`;
}

/** summary.json's `settings`, or `{}` for a run directory written before there were any. */
export function settingsOf(summary: object): RunSettings {
  const raw = (summary as { settings?: unknown }).settings;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return {};
  return Object.fromEntries(Object.entries(raw).filter((e): e is [string, number | boolean | string] => ['number', 'boolean', 'string'].includes(typeof e[1])));
}
