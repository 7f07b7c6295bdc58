import type { WorkerIdentity } from '../../src/engine/journey.js';
import { priorToken } from '../city/prior.js';
import { createIdentityGenerator, type IdentityGenerator } from '../identity/generator.js';
import type { CityJourneyOptions } from './options.js';

/** Sessions this worker's clients hold; bounded, oldest forgotten first. */
const MAX_SESSIONS = 200_000;
export const JSON_HEADERS = Object.freeze({ 'content-type': 'application/json' });

/**
 * What one worker's simulated clients remember between journeys: the sessions their phones hold,
 * who broke their app, the tubes at each table and the filled ones waiting for a lab.
 */
export class CityState {
  readonly people: IdentityGenerator;
  readonly #sessions = new Map<number, string>();
  /** Residents whose prior session is gone (refused, or the app broke): they sign in again. */
  readonly #lostPrior = new Set<number>();
  readonly #broken = new Set<number>();
  readonly #tubes = new Map<string, number>();
  readonly #filled: { id: string; site: number }[] = [];
  readonly #prefix: string;
  /** Request headers for each staff credential, made once: the journeys send them on every request. */
  readonly #staffHeaders = new Map<string, Readonly<Record<string, string>>>();

  constructor(readonly options: CityJourneyOptions, worker: WorkerIdentity) {
    this.people = createIdentityGenerator({ seed: options.seed, population: options.residents });
    // Tube ids must not collide with an earlier run's against the same server.
    this.#prefix = `T${Date.now().toString(36).toUpperCase()}W${worker.index}`;
  }

  session(index: number): string | undefined {
    const held = this.#sessions.get(index);
    if (held !== undefined || this.options.priorSessions === undefined || this.#lostPrior.has(index)) return held;
    return priorToken(this.options.priorSessions, index);
  }

  signedIn(index: number, token: string): void {
    this.#sessions.delete(index);
    this.#sessions.set(index, token);
    if (this.#sessions.size > MAX_SESSIONS) {
      const oldest = this.#sessions.keys().next();
      if (oldest.done !== true) this.#sessions.delete(oldest.value);
    }
  }

  forget(index: number): void {
    this.#sessions.delete(index);
    this.#lostPrior.add(index);
  }

  /** The client broke: its session is gone and the next open is a re-install. */
  break(index: number): void {
    this.forget(index);
    this.#broken.add(index);
  }

  /** Whether this resident must re-install now (and so no longer afterwards). */
  takeBroken(index: number): boolean {
    return this.#broken.delete(index);
  }

  get brokenCount(): number {
    return this.#broken.size;
  }

  /** The tube the next person at this table goes into; a tube holds poolSize people. */
  tube(site: number, table: number): { id: string; last: boolean } {
    const key = `${site}-${table}`;
    const seq = this.#tubes.get(key) ?? 0;
    this.#tubes.set(key, seq + 1);
    const pool = this.options.poolSize;
    return { id: `${this.#prefix}-${key}-${Math.floor(seq / pool)}`, last: seq % pool === pool - 1 };
  }

  tubeFilled(id: string, site: number): void {
    this.#filled.push({ id, site });
  }

  /** A filled tube for a lab to report, oldest first. */
  nextFilled(): { id: string; site: number } | undefined {
    return this.#filled.shift();
  }

  /** JSON request headers carrying a staff credential, or none when the stack issued none. */
  staffHeaders(token: string | undefined): Readonly<Record<string, string>> {
    if (token === undefined) return JSON_HEADERS;
    let headers = this.#staffHeaders.get(token);
    if (headers === undefined) {
      headers = Object.freeze({ ...JSON_HEADERS, authorization: `Bearer ${token}` });
      this.#staffHeaders.set(token, headers);
    }
    return headers;
  }
}
