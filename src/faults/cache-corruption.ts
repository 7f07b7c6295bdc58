import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { z } from 'zod';
import type { cacheCorruptionFault } from './schema.js';
import type { ActiveFault, FaultKind } from './types.js';

/**
 * A corrupted cache, written straight into Redis over a share of the keys matching a pattern:
 * - garbage: random bytes; truncate: the first half of the value; swap: each chosen key gets the
 *   next chosen key's value (as if written under the wrong key); stale: `find` replaced by
 *   `replace` in each value that holds it (an old green written over a newer red);
 * - expire: the keys deleted (every read a miss); flush: FLUSHDB when every key is chosen, else
 *   the matching keys deleted.
 * TTLs are kept (SET … KEEPTTL). Undo puts each original back where that means something
 * (garbage, truncate, swap, stale) and only if the key still holds what the fault wrote: a
 * value the server has rewritten since is newer than the original and is left alone. A missing
 * key after expire or flush is what a cache recovers from by itself: nothing to put back.
 */
type Spec = z.output<typeof cacheCorruptionFault>;

const DEFAULT_MAX_KEYS = 100_000;
const SCAN_COUNT = 1_000;

export const cacheCorruption: FaultKind<Spec> = {
  kind: 'cache-corruption',
  needs: () => 'redis',
  target: (spec) => `redis ${spec.match ?? '*'}`,
  async begin(spec, controllers, random): Promise<ActiveFault> {
    const redis = new Redis(controllers.redisUrl!, { maxRetriesPerRequest: 2, connectTimeout: 5_000, lazyConnect: true, enableOfflineQueue: true });
    redis.on('error', () => {}); // reported through the commands that fail
    await redis.connect();
    try {
      const match = spec.match ?? '*';
      const share = spec.share ?? 1;
      if (spec.mode === 'flush' && match === '*' && share === 1) {
        const keys = await redis.dbsize();
        await redis.flushdb();
        return closed(redis, { mode: 'flush', keys });
      }
      const chosen = await choose(redis, match, share, spec.maxKeys ?? DEFAULT_MAX_KEYS, random);
      if (spec.mode === 'expire' || spec.mode === 'flush') {
        for (let i = 0; i < chosen.length; i += 500) await redis.unlink(...chosen.slice(i, i + 500));
        return closed(redis, { mode: spec.mode, match, keys: chosen.length });
      }
      return await overwrite(redis, spec, match, chosen);
    } catch (err) {
      redis.disconnect();
      throw err;
    }
  },
};

/** Writes the corrupted values over the chosen keys that hold one; undo puts the originals back. */
async function overwrite(redis: Redis, spec: Spec, match: string, chosen: string[]): Promise<ActiveFault> {
  const originals = new Map<string, string>();
  const values = chosen.length === 0 ? [] : await redis.mget(...chosen);
  chosen.forEach((key, i) => {
    const v = values[i];
    if (typeof v === 'string') originals.set(key, v);
  });
  const written = corrupted(spec, originals);
  const pipeline = redis.pipeline();
  for (const [key, value] of written) pipeline.set(key, value, 'KEEPTTL');
  await pipeline.exec();
  return {
    details: { mode: spec.mode, match, matched: originals.size, corrupted: written.size },
    async undo() {
      try {
        return await restore(redis, originals, written);
      } finally {
        redis.disconnect();
      }
    },
  };
}

/** What the fault writes over each key; a key whose value would not change is left out. */
function corrupted(spec: Spec, originals: ReadonlyMap<string, string>): Map<string, string> {
  const keys = [...originals.keys()];
  const written = new Map<string, string>();
  keys.forEach((key, i) => {
    const original = originals.get(key)!;
    let value: string | undefined;
    if (spec.mode === 'garbage') value = randomBytes(Math.max(8, Math.min(original.length, 256))).toString('latin1');
    else if (spec.mode === 'truncate') value = original.slice(0, Math.floor(original.length / 2));
    else if (spec.mode === 'swap') value = keys.length < 2 ? undefined : originals.get(keys[(i + 1) % keys.length]!);
    else if (spec.find !== undefined && original.includes(spec.find)) value = original.split(spec.find).join(spec.replace ?? '');
    if (value !== undefined && value !== original) written.set(key, value);
  });
  return written;
}

/** Puts each original back where the key still holds what the fault wrote; counts the others. */
async function restore(redis: Redis, originals: ReadonlyMap<string, string>, written: ReadonlyMap<string, string>) {
  let restored = 0;
  let rewritten = 0;
  const entries = [...written];
  for (let i = 0; i < entries.length; i += 500) {
    const batch = entries.slice(i, i + 500);
    const now = await redis.mget(...batch.map(([k]) => k));
    const put = redis.pipeline();
    batch.forEach(([key, value], j) => {
      if (now[j] === value) {
        put.set(key, originals.get(key)!, 'KEEPTTL');
        restored++;
      } else {
        rewritten++;
      }
    });
    await put.exec();
  }
  return { restored, rewrittenSince: rewritten };
}

function closed(redis: Redis, details: Record<string, unknown>): ActiveFault {
  redis.disconnect();
  return { details, undo: async () => ({ restored: 0, note: 'a deleted cache entry is refilled by the server' }) };
}

/** SCANs the matching keys and keeps each with probability `share` (seeded), up to maxKeys. */
async function choose(redis: Redis, match: string, share: number, maxKeys: number, random: { next(): number }): Promise<string[]> {
  const chosen: string[] = [];
  // SCAN may return a key more than once.
  const seen = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', SCAN_COUNT);
    cursor = next;
    for (const key of keys) {
      if (chosen.length >= maxKeys) return chosen;
      if (seen.has(key)) continue;
      seen.add(key);
      if (share >= 1 || random.next() < share) chosen.push(key);
    }
  } while (cursor !== '0');
  return chosen;
}
