import { Redis } from 'ioredis';
import type { ResilienceConfig } from './config.js';
import { Memo } from './memo.js';
import { MEMO_AGE_MS, type Signer } from './signing.js';

/**
 * The code cache in Redis, cache-aside. An entry is the code as JSON; in `hardened` it is
 * prefixed with an HMAC over key and JSON, so an entry that was altered, truncated or copied
 * from another resident's key fails the check and counts as a miss. `fragile` trusts what it
 * reads, which is how a corrupted cache does harm.
 */
export interface CodeRecord {
  readonly residentId: number;
  readonly name: string;
  readonly colour: 'green' | 'yellow' | 'red';
  readonly reason: string;
  readonly version: number;
  /** Until when (epoch ms) this entry counts as fresh. */
  readonly freshUntil: number;
}

export type CacheOutcome = 'hit' | 'miss' | 'invalid' | 'error';

export interface CacheRead {
  readonly outcome: CacheOutcome;
  readonly record: CodeRecord | undefined;
  /** What the key held when it was read ('' for nothing): a guarded fill sets the key only if it still does. */
  readonly seen: string;
}

/** A changed code: the resident and the version the database now holds. */
export interface CodeChange {
  readonly residentId: number;
  readonly version: number;
}

/** A tombstone: `~` and the version the code changed to. Never a code entry (those start `{` or with a MAC). */
const TOMBSTONE = '~';

/**
 * What a read saw when the key held bytes that are not text (a corruption): the string it got
 * back is not what Redis holds, so it cannot be compared.
 */
const UNREADABLE = '\uFFFD';

/**
 * Sets KEYS[1] to ARGV[2] for ARGV[3] seconds only if it still holds ARGV[1] ('' for nothing);
 * after an unreadable value, only if no tombstone or code entry has been written since. 1 if set.
 */
const FILL_IF_UNCHANGED = `
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '${UNREADABLE}' then
  if cur and (string.sub(cur, 1, 1) == '${TOMBSTONE}' or string.find(cur, '"version":', 1, true)) then return 0 end
elseif (cur or '') ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1`;

interface GuardedRedis extends Redis {
  fillIfUnchanged(key: string, seen: string, value: string, ttlS: number): Promise<number>;
}

export const codeKey = (residentId: number): string => `code:${residentId}`;

export class CodeCache {
  readonly redis: Redis;
  readonly #signer: Signer | undefined;
  readonly #ttlS: number;
  readonly #guarded: boolean;
  /** The last entry verified per key: the same bytes read again need no second MAC check.
   *  Any change to the stored value (a corruption) misses this and is checked in full. */
  readonly #opened = new Memo<string, { raw: string; record: CodeRecord }>(100_000, MEMO_AGE_MS);

  constructor(url: string, config: ResilienceConfig, signer: Signer) {
    this.redis = new Redis(url, {
      enableAutoPipelining: true,
      lazyConnect: false,
      // fragile: commands queue while Redis is away and wait as long as it takes.
      enableOfflineQueue: config.redisCommandTimeoutMs === 0,
      maxRetriesPerRequest: config.redisCommandTimeoutMs === 0 ? null : 1,
      ...(config.redisCommandTimeoutMs > 0 ? { commandTimeout: config.redisCommandTimeoutMs } : {}),
      retryStrategy: (times: number) => Math.min(50 * times, 1_000),
    });
    this.redis.on('error', () => {});
    this.#signer = config.signedCacheEntries ? signer : undefined;
    this.#ttlS = config.cacheTtlS + config.staleWhileRevalidateS;
    this.#guarded = config.guardedFill;
    if (this.#guarded) this.redis.defineCommand('fillIfUnchanged', { numberOfKeys: 1, lua: FILL_IF_UNCHANGED });
  }

  /** In `hardened` a Redis failure is a miss; in `fragile` it propagates. */
  async get(residentId: number): Promise<CacheRead> {
    const key = codeKey(residentId);
    let raw: string | null;
    if (this.#signer === undefined) {
      raw = await this.redis.get(key);
      if (raw === null) return { outcome: 'miss', record: undefined, seen: '' };
      if (raw.startsWith(TOMBSTONE)) return { outcome: 'miss', record: undefined, seen: raw };
      // Trusted as is: garbage throws here and becomes a 500; a swapped entry is served.
      return { outcome: 'hit', record: JSON.parse(raw) as CodeRecord, seen: raw };
    }
    try {
      raw = await this.redis.get(key);
    } catch {
      return { outcome: 'error', record: undefined, seen: '' };
    }
    if (raw === null) return { outcome: 'miss', record: undefined, seen: '' };
    if (raw.startsWith(TOMBSTONE)) return { outcome: 'miss', record: undefined, seen: raw };
    const record = this.#open(key, raw);
    if (record === undefined) return { outcome: 'invalid', record: undefined, seen: raw.includes(UNREADABLE) ? UNREADABLE : raw };
    return { outcome: 'hit', record, seen: raw };
  }

  /** Writes the entry whatever the key holds (the stack's prepared cache, before any load). */
  async set(record: CodeRecord): Promise<void> {
    await this.redis.set(codeKey(record.residentId), this.#entry(record), 'EX', this.#ttlS);
  }

  /**
   * Writes the entry a read made from the database. Guarded (`guardedFill`), only if the key
   * still holds what that read saw in it before asking the database: an invalidation or another
   * fill in between wins. Resolves whether the entry was written.
   */
  async fill(record: CodeRecord, seen: string): Promise<boolean> {
    if (!this.#guarded) {
      await this.set(record);
      return true;
    }
    const key = codeKey(record.residentId);
    return (await (this.redis as GuardedRedis).fillIfUnchanged(key, seen, this.#entry(record), this.#ttlS)) === 1;
  }

  /** Removes changed codes' entries; guarded, each becomes a tombstone naming the new version (a fill that saw the old entry, or nothing, then fails). */
  async invalidate(changes: readonly CodeChange[]): Promise<void> {
    for (let i = 0; i < changes.length; i += 1_000) {
      const batch = changes.slice(i, i + 1_000);
      if (!this.#guarded) {
        await this.redis.unlink(...batch.map((c) => codeKey(c.residentId)));
        continue;
      }
      const pipeline = this.redis.pipeline();
      for (const c of batch) pipeline.set(codeKey(c.residentId), `${TOMBSTONE}${c.version}`, 'EX', this.#ttlS);
      const results = await pipeline.exec();
      const failed = results?.find(([err]) => err !== null);
      if (failed !== undefined) throw failed[0];
    }
  }

  #entry(record: CodeRecord): string {
    const json = JSON.stringify(record);
    return this.#signer === undefined ? json : `${this.#signer.mac(`${codeKey(record.residentId)}|${json}`)}.${json}`;
  }

  #open(key: string, raw: string): CodeRecord | undefined {
    const known = this.#opened.get(key);
    if (known !== undefined && known.raw === raw) return known.record;
    const dot = raw.indexOf('.');
    if (dot <= 0 || this.#signer === undefined) return undefined;
    const json = raw.slice(dot + 1);
    if (raw.slice(0, dot) !== this.#signer.mac(`${key}|${json}`)) return undefined;
    let record: CodeRecord;
    try {
      record = Object.freeze(JSON.parse(json) as CodeRecord);
    } catch {
      return undefined;
    }
    this.#opened.set(key, { raw, record });
    return record;
  }

  /** Commands waiting for an answer or to be sent, and whether the connection is ready. */
  get queues(): { pending: number; ready: boolean } {
    const r = this.redis as unknown as { commandQueue?: { length: number }; offlineQueue?: { length: number } };
    return { pending: (r.commandQueue?.length ?? 0) + (r.offlineQueue?.length ?? 0), ready: this.redis.status === 'ready' };
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
