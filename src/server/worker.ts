import cluster from 'node:cluster';
import type { Server } from 'node:net';
import client from 'prom-client';
import { buildApp, createContext } from './app.js';
import { configFromEnv } from './config.js';
import { listenOnCopies, type ListenHandle, type ListenerMessage } from './listener.js';

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
let listeners: Server[] = [];
const shutdown = (): void => {
  for (const listener of listeners) listener.close();
  app.close().finally(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', () => {}); // Ctrl-C reaches the whole group: the primary decides.

await ctx.db.warm();
if (cluster.isWorker) {
  await app.ready();
  const handles = await copiesFromPrimary();
  listeners = await listenOnCopies(handles, config.resilience.listenBacklog, (socket) => app.server.emit('connection', socket));
} else {
  await app.listen({ host: config.host, port: config.port, backlog: config.resilience.listenBacklog });
}
process.send?.({ event: 'listening', worker: workerId, pid: process.pid });

/** Asks the primary for the listening socket's copies (listener.ts) and waits for all of them. */
function copiesFromPrimary(): Promise<ListenHandle[]> {
  return new Promise((resolve) => {
    const handles: ListenHandle[] = [];
    const onMessage = (message: Partial<ListenerMessage>, handle: unknown): void => {
      if (typeof message.listener !== 'number' || typeof message.of !== 'number' || handle == null) return;
      handles.push(handle);
      if (handles.length < message.of) return;
      process.off('message', onMessage);
      resolve(handles);
    };
    process.on('message', onMessage);
    process.send?.({ event: 'listener-wanted' });
  });
}
