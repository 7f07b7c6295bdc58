import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

/**
 * Liveness and readiness (can we reach Postgres and Redis?). Metrics are not served here, on the
 * public port: the primary serves them, summed over its workers, on its own port on 127.0.0.1
 * (primary.ts, metricsPort).
 */
export function healthRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const within = <T>(p: Promise<T>) =>
      Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 1_000).unref())]);
    const [db, redis] = await Promise.allSettled([within(ctx.db.pool.query('SELECT 1')), within(ctx.cache.redis.ping())]);
    const ready = db.status === 'fulfilled' && redis.status === 'fulfilled';
    reply.code(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not ready', postgres: db.status === 'fulfilled', redis: redis.status === 'fulfilled' };
  });
}
