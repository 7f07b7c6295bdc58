import { createRandom } from '../../src/engine/random.js';
import { CITY_POPULATION } from './districts.js';
import type { Stream, StreamName } from './morning.js';

/**
 * The city as it stands when the clock starts. Residents had used the app every day for months
 * (46.95 million registered users, more than 8 million scans a day: DOMAIN.md), so most of them
 * hold a session, and the codes opened or scanned in the hour before are still in the server's
 * cache. How many is not published (DOMAIN.md): the session share is a model choice; the cache
 * share follows from the morning model itself — the residents whose code was opened in the
 * `cacheWindow` before the start — unless a scenario gives it.
 */
export interface PriorModel {
  /** Share of residents whose app holds a valid session at the start. Model choice: one in ten has a new phone, logged out or never signed in. */
  readonly sessions: number;
  /** Share of residents whose code is in the cache at the start. */
  readonly cache: number;
  /** `derived`: from the arrivals in the window before the start; `scenario`: given; `none`: no clock to derive it from. */
  readonly cacheSource: 'derived' | 'scenario' | 'none';
  /** How long a code stays cached after it was opened (the reference server's cacheTtlS): the window the derivation looks back over. */
  readonly cacheWindowS: number;
  /** Code opens city-wide in that window, for the plan's account of the derivation. */
  readonly opensInWindow: number | null;
}

export const PRIOR_DEFAULTS = Object.freeze({ sessions: 0.9, cacheWindowS: 3_600 });

/** Streams whose arrivals open a resident's code (and so leave it in the cache). */
const OPENS_CODE: readonly StreamName[] = ['resident.open-code', 'checkpoint.verify', 'sampler.table'];

export interface PriorOverrides {
  readonly sessions?: number | undefined;
  readonly cache?: number | undefined;
  readonly cacheWindowS?: number | undefined;
}

/**
 * The prior state's shares. A resident's code is opened at random times, so the chance it was
 * opened at least once in the window is 1 − e^(−opens/residents). Only a resident with a
 * session can open a code, so the cache share is at most the session share.
 */
export function priorModel(overrides: PriorOverrides, streams: readonly Stream[], startSimS: number | undefined): PriorModel {
  const sessions = overrides.sessions ?? PRIOR_DEFAULTS.sessions;
  const cacheWindowS = overrides.cacheWindowS ?? PRIOR_DEFAULTS.cacheWindowS;
  if (overrides.cache !== undefined) {
    return { sessions, cache: Math.min(sessions, overrides.cache), cacheSource: 'scenario', cacheWindowS, opensInWindow: null };
  }
  if (startSimS === undefined) return { sessions, cache: 0, cacheSource: 'none', cacheWindowS, opensInWindow: null };
  const opens = streams
    .filter((s) => OPENS_CODE.includes(s.name))
    .reduce((sum, s) => sum + s.arrivals(startSimS - cacheWindowS, startSimS), 0);
  const cache = Math.min(sessions, 1 - Math.exp(-opens / CITY_POPULATION));
  return { sessions, cache, cacheSource: 'derived', cacheWindowS, opensInWindow: Math.round(opens) };
}

/**
 * Who holds a session and whose code is cached, resident by resident: fixed by the seed, so the
 * stack that prepares the state and anything that checks it agree. Cached residents are drawn
 * among session holders.
 */
export interface PriorHolders {
  /** 1 bit per resident index: holds a session. */
  readonly sessions: Uint8Array;
  /** 1 bit per resident index: code cached. */
  readonly cached: Uint8Array;
  readonly sessionCount: number;
  readonly cachedCount: number;
}

export function priorHolders(seed: number, residents: number, prior: Pick<PriorModel, 'sessions' | 'cache'>): PriorHolders {
  const random = createRandom(seed).fork('prior-state');
  const sessions = new Uint8Array(Math.ceil(residents / 8));
  const cached = new Uint8Array(Math.ceil(residents / 8));
  const cacheGivenSession = prior.sessions > 0 ? Math.min(1, prior.cache / prior.sessions) : 0;
  let sessionCount = 0;
  let cachedCount = 0;
  for (let i = 0; i < residents; i++) {
    const a = random.next();
    const b = random.next();
    if (a >= prior.sessions) continue;
    sessions[i >> 3]! |= 1 << (i & 7);
    sessionCount++;
    if (b < cacheGivenSession) {
      cached[i >> 3]! |= 1 << (i & 7);
      cachedCount++;
    }
  }
  return { sessions, cached, sessionCount, cachedCount };
}

export function holds(bits: Uint8Array, index: number): boolean {
  return ((bits[index >> 3] ?? 0) & (1 << (index & 7))) !== 0;
}

/**
 * The tokens the residents' phones hold at the start, prepared by the stack: one fixed-width
 * slot per resident index in memory shared by the load engine's worker threads.
 */
export interface PriorSessions {
  readonly tokens: SharedArrayBuffer;
  /** Bytes per resident; a slot that starts with 0 holds no session. */
  readonly width: number;
}

/** Resident `index`'s prior token, or undefined when they hold none. */
export function priorToken(sessions: PriorSessions, index: number): string | undefined {
  const at = index * sessions.width;
  if (!(index >= 0) || at + sessions.width > sessions.tokens.byteLength) return undefined;
  const view = new Uint8Array(sessions.tokens, at, sessions.width);
  if (view[0] === 0) return undefined;
  const end = view.indexOf(0);
  return Buffer.from(sessions.tokens, at, end === -1 ? sessions.width : end).toString('latin1');
}
