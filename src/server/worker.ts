import cluster from 'node:cluster';
import client from 'prom-client';
import { buildApp, createContext } from './app.js';
import { configFromEnv } from './config.js';

/**
 * One worker of the reference server. Workers share the port through the cluster primary
 * and exit when the primary goes away, so killing the primary never leaves one behind.
 */
const config = configFromEnv();
const workerId = cluster.worker?.id ?? 0;
const ctx = createContext(config, { worker: String(workerId) });
const app = buildApp(ctx);
// The primary's aggregated /metrics asks each worker for this registry over IPC; prom-client
// only answers those requests once an AggregatorRegistry exists in the worker.
client.AggregatorRegistry.setRegistries([ctx.metrics.registry]);
new client.AggregatorRegistry();

process.on('disconnect', () => process.exit(0));
const shutdown = (): void => {
  app.close().finally(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', () => {}); // Ctrl-C reaches the whole group: the primary decides.

await ctx.db.warm();
await app.listen({ host: config.host, port: config.port, backlog: config.resilience.listenBacklog });
process.send?.({ event: 'listening', worker: workerId, pid: process.pid });
