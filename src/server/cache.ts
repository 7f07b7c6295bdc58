import { Redis } from 'ioredis';
import type { ResilienceConfig } from './config.js';
import { Memo } from './memo.js';
import type { Signer } from './signing.js';

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
}

export const codeKey = (residentId: number): string => `code:${residentId}`;

export class CodeCache {
  readonly redis: Redis;
  readonly #signer: Signer | undefined;
  readonly #ttlS: number;
  /** The last entry verified per key: the same bytes read again need no second MAC check.
   *  Any change to the stored value (a corruption) misses this and is checked in full. */
  readonly #opened = new Memo<string, { raw: string; record: CodeRecord }>(100_000);

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
  }

  /** In `hardened` a Redis failure is a miss; in `fragile` it propagates. */
  async get(residentId: number): Promise<CacheRead> {
    const key = codeKey(residentId);
    let raw: string | null;
    if (this.#signer === undefined) {
      raw = await this.redis.get(key);
      if (raw === null) return { outcome: 'miss', record: undefined };
      // Trusted as is: garbage throws here and becomes a 500; a swapped entry is served.
      return { outcome: 'hit', record: JSON.parse(raw) as CodeRecord };
    }
    try {
      raw = await this.redis.get(key);
    } catch {
      return { outcome: 'error', record: undefined };
    }
    if (raw === null) return { outcome: 'miss', record: undefined };
    const record = this.#open(key, raw);
    return record === undefined ? { outcome: 'invalid', record: undefined } : { outcome: 'hit', record };
  }

  async set(record: CodeRecord): Promise<void> {
    const key = codeKey(record.residentId);
    const json = JSON.stringify(record);
    const value = this.#signer === undefined ? json : `${this.#signer.mac(`${key}|${json}`)}.${json}`;
    await this.redis.set(key, value, 'EX', this.#ttlS);
  }

  async invalidate(residentIds: readonly number[]): Promise<void> {
    for (let i = 0; i < residentIds.length; i += 1_000) {
      await this.redis.unlink(...residentIds.slice(i, i + 1_000).map(codeKey));
    }
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
