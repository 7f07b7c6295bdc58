import type { CodeCache, CodeRecord, CacheOutcome } from './cache.js';
import type { ResilienceConfig } from './config.js';
import type { Database, Deadline } from './db/database.js';
import { DEFAULT_CODE } from './db/schema.js';
import { ApiError } from './errors.js';
import { Memo } from './memo.js';
import { Coalescer } from './resilience/coalescer.js';

/**
 * Reading a resident's current code: cache first, then the database. The hardened behaviours
 * all live here as switches: coalesced misses, stale-while-revalidate, and when the database
 * is unavailable, the last known code marked stale rather than an error.
 */
export interface CodeView {
  readonly record: CodeRecord;
  /** True when this may be out of date because the database could not be asked. */
  readonly stale: boolean;
}

export interface CodeEvents {
  cache(outcome: CacheOutcome | 'stale' | 'near'): void;
}

const LAST_KNOWN_LIMIT = 100_000;
const INVALIDATION_RETRY_MS = 1_000;

export class CodeService {
  readonly #coalescer = new Coalescer<number, CodeRecord>();
  /** Per-worker memory of codes served, for when the database is out of reach (hardened). */
  readonly #lastKnown = new Map<number, CodeRecord>();
  /** Codes read from Redis in the last nearCacheMs, with the time they stop counting. */
  readonly #near = new Memo<number, { record: CodeRecord; until: number }>(LAST_KNOWN_LIMIT);

  constructor(
    private readonly db: Database,
    private readonly cache: CodeCache,
    private readonly config: ResilienceConfig,
    private readonly events: CodeEvents,
  ) {}

  async current(residentId: number, deadline: Deadline): Promise<CodeView> {
    const nearMs = this.config.nearCacheMs;
    if (nearMs > 0) {
      const near = this.#near.get(residentId);
      const now = Date.now();
      if (near !== undefined && near.until > now && near.record.freshUntil > now) {
        this.events.cache('near');
        return { record: near.record, stale: false };
      }
    }
    const view = await this.#current(residentId, deadline);
    if (nearMs > 0 && !view.stale) this.#near.set(residentId, { record: view.record, until: Date.now() + nearMs });
    return view;
  }

  async #current(residentId: number, deadline: Deadline): Promise<CodeView> {
    // An entry we know is outdated (Redis was away when the code changed) is not read at all.
    const read = this.#pendingInvalidations.has(residentId)
      ? ({ outcome: 'miss', record: undefined } as const)
      : await this.cache.get(residentId);
    this.events.cache(read.outcome);
    const cached = read.record;
    if (cached !== undefined) {
      if (cached.freshUntil > Date.now()) return { record: cached, stale: false };
      if (this.config.staleWhileRevalidateS > 0) {
        // Serve what we have; one refresh runs behind it.
        this.#load(residentId, 0).catch(() => {});
        return { record: cached, stale: false };
      }
    }
    try {
      return { record: await this.#load(residentId, deadline), stale: false };
    } catch (err) {
      const fallback = this.config.breakerFailureThreshold > 0 ? cached ?? this.#lastKnown.get(residentId) : undefined;
      if (fallback !== undefined && err instanceof ApiError && err.statusCode === 503) {
        this.events.cache('stale');
        return { record: fallback, stale: true };
      }
      throw err;
    }
  }

  #load(residentId: number, deadline: Deadline): Promise<CodeRecord> {
    return this.config.coalesce
      ? this.#coalescer.run(residentId, () => this.#fromDatabase(residentId, deadline))
      : this.#fromDatabase(residentId, deadline);
  }

  async #fromDatabase(residentId: number, deadline: Deadline): Promise<CodeRecord> {
    const { rows } = await this.db.query<{ name: string; colour: string | null; reason: string | null; version: number | null }>(
      deadline,
      `SELECT r.name, c.colour, c.reason, c.version
         FROM residents r LEFT JOIN health_codes c ON c.resident_id = r.id
        WHERE r.id = $1`,
      [residentId],
    );
    const row = rows[0];
    if (row === undefined) throw new ApiError('RESIDENT_NOT_FOUND', `no resident ${residentId}`);
    const record: CodeRecord = {
      residentId,
      name: row.name,
      colour: (row.colour ?? DEFAULT_CODE.colour) as CodeRecord['colour'],
      reason: row.reason ?? DEFAULT_CODE.reason,
      version: row.version ?? DEFAULT_CODE.version,
      freshUntil: Date.now() + this.config.cacheTtlS * 1000,
    };
    this.#remember(record);
    if (this.config.redisCommandTimeoutMs > 0) {
      this.cache.set(record).catch(() => {});
    } else {
      await this.cache.set(record);
    }
    return record;
  }

  #remember(record: CodeRecord): void {
    if (this.config.breakerFailureThreshold === 0) return;
    this.#lastKnown.delete(record.residentId);
    this.#lastKnown.set(record.residentId, record);
    if (this.#lastKnown.size > LAST_KNOWN_LIMIT) {
      const oldest = this.#lastKnown.keys().next();
      if (oldest.done !== true) this.#lastKnown.delete(oldest.value);
    }
  }

  /**
   * Codes changed in the database: drop what we remember of them. If Redis cannot be told
   * now, `hardened` keeps retrying in the background until it can (so nobody is shown green
   * after a positive result once Redis is back); `fragile` lets it go, and the old entry is
   * served until it expires: one of the harms a fragile system does.
   */
  async changed(residentIds: readonly number[]): Promise<void> {
    for (const id of residentIds) {
      this.#lastKnown.delete(id);
      this.#near.delete(id);
    }
    try {
      await this.cache.invalidate(residentIds);
    } catch {
      if (this.config.breakerFailureThreshold === 0) return;
      for (const id of residentIds) this.#pendingInvalidations.add(id);
      this.#retryInvalidations();
    }
  }

  readonly #pendingInvalidations = new Set<number>();
  #retryTimer: NodeJS.Timeout | undefined;

  #retryInvalidations(): void {
    if (this.#retryTimer !== undefined) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      const ids = [...this.#pendingInvalidations];
      this.cache.invalidate(ids).then(
        () => {
          for (const id of ids) this.#pendingInvalidations.delete(id);
        },
        () => this.#retryInvalidations(),
      );
    }, INVALIDATION_RETRY_MS);
    this.#retryTimer.unref();
  }

  /** Residents whose cache entries still have to be removed (hardened, Redis unreachable). */
  get pendingInvalidations(): number {
    return this.#pendingInvalidations.size;
  }
}
