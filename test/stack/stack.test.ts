import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isListening } from '../../src/stack/ports.js';
import { startRedis } from '../../src/stack/redis.js';
import { startStack, type Stack } from '../../src/stack/stack.js';
import { Teardown } from '../../src/stack/teardown.js';

describe('a stack with two workers', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ profile: 'fragile', residents: 1_000, workers: 2, seed: 7 });
  });
  afterAll(() => stack?.stop());

  it('runs two workers and aggregates their metrics on the primary', async () => {
    expect(stack.server.workers.size).toBe(2);
    const text = await (await fetch(stack.metricsUrl!)).text();
    expect(text).toMatch(/db_pool_waiting\{profile="fragile",worker="1"\} \d/);
    expect(text).toMatch(/db_pool_waiting\{profile="fragile",worker="2"\} \d/);
  });

  it('reaches Postgres and Redis only through the Toxiproxy links', async () => {
    const proxies = await Promise.all(['postgres', 'redis'].map((name) => stack.toxiproxy.client.getProxy(name)));
    expect(proxies.map((p) => p.upstream)).toEqual([`127.0.0.1:${stack.postgres.port}`, `127.0.0.1:${stack.redis.port}`]);
    expect(proxies.map((p) => p.listen)).toEqual([stack.links.postgres, stack.links.redis]);
    // Disable the Postgres link: the server can no longer reach its database.
    await stack.toxiproxy.client.setEnabled('postgres', false);
    try {
      const ready = await fetch(`${stack.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ postgres: false, redis: true });
    } finally {
      await stack.toxiproxy.client.setEnabled('postgres', true);
    }
    expect((await fetch(`${stack.url}/readyz`)).status).toBe(200);
  });

  it('starts a killed worker again after the respawn delay', async () => {
    const [id, pid] = [...stack.server.workers][0]!;
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && (stack.server.workers.size < 2 || stack.server.workers.get(id) !== undefined)) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(stack.server.workers.size).toBe(2);
    expect([...stack.server.workers.values()]).not.toContain(pid);
    expect((await fetch(`${stack.url}/healthz`)).status).toBe(200);
  });
});

describe('a stack on a Redis given by REDIS_URL', () => {
  it('uses it instead of starting its own, and leaves it running', async () => {
    const outer = new Teardown();
    try {
      const redis = await startRedis(outer);
      const stack = await startStack({ profile: 'hardened', residents: 200, env: { ...process.env, REDIS_URL: redis.url } });
      try {
        expect(stack.redis.port).toBe(redis.port);
        expect(stack.redis.child).toBeUndefined();
        expect((await fetch(`${stack.url}/readyz`)).status).toBe(200);
      } finally {
        await stack.stop();
      }
      expect(await isListening(redis.port)).toBe(true);
    } finally {
      await outer.run();
    }
  });

  it('refuses a REDIS_URL that is not redis:// as invalid input, starting nothing', async () => {
    const teardown = new Teardown();
    await expect(
      startStack({ profile: 'hardened', env: { ...process.env, REDIS_URL: 'http://x' }, teardown }),
    ).rejects.toMatchObject({ code: 'REDIS_URL_INVALID', exitCode: 2 });
    expect(teardown.size).toBe(0);
  });
});

describe('teardown', () => {
  it('removes the temporary directories and frees the ports', async () => {
    const stack = await startStack({ profile: 'hardened', residents: 100 });
    const ports = [stack.postgres.port, stack.redis.port, Number(new URL(stack.url).port)];
    const dirs = [stack.postgres.child?.process.spawnargs[2]].filter((d): d is string => d !== undefined);
    expect(dirs.length).toBe(1);
    expect(existsSync(dirs[0]!)).toBe(true);
    await stack.stop();
    for (const port of ports) expect(await isListening(port)).toBe(false);
    expect(existsSync(dirs[0]!)).toBe(false);
  });
});
