import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ManagedChild, type Placement } from './child.js';
import { freePort } from './ports.js';
import type { Ledger } from './ledger.js';
import type { Teardown } from './teardown.js';
import { CodestormError } from '../errors.js';

export interface RedisHandle {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** The redis-server process, when the harness started it (not for REDIS_URL). */
  readonly child: ManagedChild | undefined;
}

/** A redis-server of our own, on a free loopback port, with persistence off; recorded in `ledger` when given. */
export async function startRedis(
  teardown: Teardown,
  { binary = 'redis-server', ledger, placement }: { binary?: string; ledger?: Ledger; placement?: Placement } = {},
): Promise<RedisHandle> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'codestorm-redis-'));
  ledger?.addDir(dir);
  teardown.add('remove redis directory', async () => {
    await rm(dir, { recursive: true, force: true });
    ledger?.removeDir(dir);
  });
  const child = new ManagedChild(
    binary,
    [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--save', '',
      '--appendonly', 'no',
      '--dir', dir,
      '--daemonize', 'no',
      '--protected-mode', 'yes',
      '--maxclients', '10000',
    ],
    { name: 'redis-server', ledger, placement },
  );
  teardown.add('stop redis-server', () => child.stop('SIGTERM').then(() => undefined));
  if (child.pid === undefined) {
    await child.exited;
    throw new CodestormError('REDIS_NOT_FOUND', `could not start ${binary}: ${child.recentOutput()}`, {
      hint: 'install it with `apt-get install redis-server`, or set REDIS_URL',
    });
  }
  await child.waitForLine(/Ready to accept connections/, 15_000);
  return { host: '127.0.0.1', port, url: `redis://127.0.0.1:${port}`, child };
}

export function parseRedisUrl(raw: string): RedisHandle {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CodestormError('REDIS_URL_INVALID', `REDIS_URL is not a URL: ${raw}`);
  }
  if (url.protocol !== 'redis:') {
    throw new CodestormError('REDIS_URL_INVALID', `REDIS_URL must start with redis://, got ${raw}`);
  }
  return { host: url.hostname, port: Number(url.port || 6379), url: raw, child: undefined };
}
