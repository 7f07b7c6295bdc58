/**
 * The simulated clock: a morning such as 06:00–12:00, mapped onto real time by `compress`
 * (simulated seconds per real second). Simulated times are seconds since midnight.
 */
export interface SimClock {
  /** Seconds since midnight at which the run's second 0 begins. */
  readonly start: number;
  readonly end: number;
  /** Simulated seconds per real second (60: one simulated minute a second). */
  readonly compress: number;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

export const CLOCK_EXPECTED = 'expected a time of day "HH:MM" or "HH:MM:SS" (24-hour)';

/** "09:00" → 32400; undefined when it is not a time of day. */
export function parseClockTime(text: string): number | undefined {
  const m = HHMM.exec(text);
  if (m === null) return undefined;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0);
}

/** 32400 → "09:00:00" (whole seconds; past midnight wraps). */
export function formatClockTime(seconds: number): string {
  const s = ((Math.floor(seconds) % 86_400) + 86_400) % 86_400;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

/** Real seconds the run lasts. */
export function realDurationS(clock: SimClock): number {
  return (clock.end - clock.start) / clock.compress;
}

/** Real seconds from the run's start → simulated seconds since midnight. */
export function simTimeAt(clock: SimClock, realS: number): number {
  return clock.start + realS * clock.compress;
}

/** Simulated seconds since midnight → real seconds from the run's start. */
export function realTimeAt(clock: SimClock, simS: number): number {
  return (simS - clock.start) / clock.compress;
}

/** The clock as the fault timeline takes it (src/faults/timeline.ts `ScenarioClock`). */
export function faultClock(clock: SimClock): { readonly compress: number; realSecondsAt(timeOfDay: string): number | undefined } {
  return {
    compress: clock.compress,
    realSecondsAt(timeOfDay) {
      const simS = parseClockTime(timeOfDay);
      return simS === undefined ? undefined : realTimeAt(clock, simS);
    },
  };
}
