import type { CodeCache, CodeChange, CodeRecord, CacheOutcome } from './cache.js';
import type { ResilienceConfig } from './config.js';
import type { Database, Deadline, HeldConnection } from './db/database.js';
import { DEFAULT_CODE } from './db/schema.js';
import { ApiError } from './errors.js';
import { Memo } from './memo.js';
import { Batcher } from './resilience/batcher.js';
import { Coalescer } from './resilience/coalescer.js';

export interface CodeRow {
  readonly name: string;
  readonly colour: string | null;
  readonly reason: string | null;
  readonly version: number | null;
}

const CODE_OF = `SELECT r.id, r.name, c.colour, c.reason, c.version
  FROM residents r LEFT JOIN health_codes c ON c.resident_id = r.id`;

/** The current code of each resident in `$1` (an int array), a row per resident found. */
export const CODES_OF_RESIDENTS = `${CODE_OF} WHERE r.id = ANY($1::int[])`;

/** A database row as the cache holds it: a resident without a code yet has the default one. */
export function codeRecord(residentId: number, row: CodeRow, freshUntil: number): CodeRecord {
  return {
    residentId,
    name: row.name,
    colour: (row.colour ?? DEFAULT_CODE.colour) as CodeRecord['colour'],
    reason: row.reason ?? DEFAULT_CODE.reason,
    version: row.version ?? DEFAULT_CODE.version,
    freshUntil,
  };
}

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
  /** Codes read from Redis in the last nearCacheMs, with the time they stop counting; kept no
   *  longer than they count (twice nearCacheMs at most). */
  readonly #near: Memo<number, { record: CodeRecord; until: number }>;
  /** Misses read together (missBatch > 0). */
  readonly #batch: Batcher<number, CodeRow> | undefined;

  constructor(
    private readonly db: Database,
    private readonly cache: CodeCache,
    private readonly config: ResilienceConfig,
    private readonly events: CodeEvents,
  ) {
    this.#near = new Memo(LAST_KNOWN_LIMIT, config.nearCacheMs);
    this.#batch = config.missBatch > 0 ? new Batcher(config.missBatch, (ids, deadline) => this.#rows(ids, deadline)) : undefined;
  }

  /** `held`: the connection the asking request holds (connectionPerRequest), for its own miss. */
  async current(residentId: number, deadline: Deadline, held?: HeldConnection): Promise<CodeView> {
    const nearMs = this.config.nearCacheMs;
    if (nearMs > 0) {
      const near = this.#near.get(residentId);
      const now = Date.now();
      if (near !== undefined && near.until > now && near.record.freshUntil > now) {
        this.events.cache('near');
        return { record: near.record, stale: false };
      }
    }
    const view = await this.#current(residentId, deadline, held);
    if (nearMs > 0 && !view.stale) this.#near.set(residentId, { record: view.record, until: Date.now() + nearMs });
    return view;
  }

  async #current(residentId: number, deadline: Deadline, held: HeldConnection | undefined): Promise<CodeView> {
    // An entry we know is outdated (Redis was away when the code changed) is not read at all.
    const pending = this.#pendingInvalidations.has(residentId);
    const read = pending ? ({ outcome: 'miss', record: undefined, seen: '' } as const) : await this.cache.get(residentId);
    this.events.cache(read.outcome);
    const cached = read.record;
    if (cached !== undefined) {
      if (cached.freshUntil > Date.now()) return { record: cached, stale: false };
      if (this.config.staleWhileRevalidateS > 0) {
        // Serve what we have; one refresh runs behind it.
        this.#load(residentId, 0, read.seen, undefined).catch(() => {});
        return { record: cached, stale: false };
      }
    }
    try {
      // An entry still to be invalidated: this read began after the change committed, so what it
      // reads may overwrite whatever Redis holds.
      return { record: await this.#load(residentId, deadline, pending ? undefined : read.seen, held), stale: false };
    } catch (err) {
      const fallback = this.config.breakerFailureThreshold > 0 ? cached ?? this.#lastKnown.get(residentId) : undefined;
      if (fallback !== undefined && err instanceof ApiError && err.statusCode === 503) {
        this.events.cache('stale');
        return { record: fallback, stale: true };
      }
      throw err;
    }
  }

  /** `seen`: what the cache held before the database was asked (the fill is guarded by it); undefined writes unconditionally. */
  #load(residentId: number, deadline: Deadline, seen: string | undefined, held: HeldConnection | undefined): Promise<CodeRecord> {
    return this.config.coalesce
      ? this.#coalescer.run(residentId, () => this.#fromDatabase(residentId, deadline, seen, held))
      : this.#fromDatabase(residentId, deadline, seen, held);
  }

  async #rows(ids: readonly number[], deadline: Deadline): Promise<ReadonlyMap<number, CodeRow>> {
    const { rows } = await this.db.query<CodeRow & { id: number }>(deadline, CODES_OF_RESIDENTS, [ids]);
    return new Map(rows.map((r) => [r.id, r]));
  }

  async #fromDatabase(residentId: number, deadline: Deadline, seen: string | undefined, held: HeldConnection | undefined): Promise<CodeRecord> {
    // A batch is read on a connection of its own, for all the requests in it.
    const row =
      this.#batch === undefined
        ? (await this.db.query<CodeRow>(deadline, `${CODE_OF} WHERE r.id = $1`, [residentId], held)).rows[0]
        : await this.#batch.load(residentId, deadline);
    if (row === undefined) throw new ApiError('RESIDENT_NOT_FOUND', `no resident ${residentId}`);
    const record = codeRecord(residentId, row, Date.now() + this.config.cacheTtlS * 1000);
    this.#remember(record);
    const written = seen === undefined ? this.cache.set(record) : this.cache.fill(record, seen);
    if (this.config.redisCommandTimeoutMs > 0) written.catch(() => {});
    else await written;
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
  async changed(changes: readonly CodeChange[]): Promise<void> {
    for (const c of changes) {
      this.#lastKnown.delete(c.residentId);
      this.#near.delete(c.residentId);
    }
    try {
      await this.cache.invalidate(changes);
    } catch {
      if (this.config.breakerFailureThreshold === 0) return;
      for (const c of changes) this.#pendingInvalidations.set(c.residentId, Math.max(c.version, this.#pendingInvalidations.get(c.residentId) ?? 0));
      this.#retryInvalidations();
    }
  }

  /** Resident → the newest version a change still to be written to Redis named. */
  readonly #pendingInvalidations = new Map<number, number>();
  #retryTimer: NodeJS.Timeout | undefined;

  #retryInvalidations(): void {
    if (this.#retryTimer !== undefined) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      const changes = [...this.#pendingInvalidations].map(([residentId, version]) => ({ residentId, version }));
      this.cache.invalidate(changes).then(
        () => {
          for (const c of changes) if (this.#pendingInvalidations.get(c.residentId) === c.version) this.#pendingInvalidations.delete(c.residentId);
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
