import cluster, { type Worker } from 'node:cluster';
import http from 'node:http';
import type { Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import client from 'prom-client';
import { CONFIG_ENV, configFromEnv, type ResilienceConfig, type ServerConfig } from './config.js';
import { bindListenHandle, copiesFor, type ListenerMessage } from './listener.js';

/**
 * The reference server's primary process: it forks the workers, restarts one that died (after
 * `respawnDelayMs`, unless that is null), serves metrics aggregated over all workers on its own
 * port on 127.0.0.1 (the workers' public port has none), and reports on stdout, one JSON line per event, so the stack can follow it.
 */
const config = configFromEnv();
/** What the workers forked next run with: the stack's config, with any settings a restart changed. */
let workerConfig: ServerConfig = config;
const say = (event: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
};

// Workers accept from the shared socket themselves (the kernel's queue), rather than the primary
// accepting every connection and handing it over: under a connection storm the primary's
// hand-over became the bottleneck, and connections waited in it unseen. The primary binds the
// socket and sends each worker its copies of it (listener.ts).
const listenHandle = bindListenHandle(config.host, config.port);
cluster.setupPrimary({ exec: fileURLToPath(new URL('./worker.js', import.meta.url)) });
let stopping = false;
const listening = new Set<number>();
let announced = false;

function fork(): Worker {
  const worker = cluster.fork({ [CONFIG_ENV]: JSON.stringify(workerConfig) });
  const copies = copiesFor(workerConfig.resilience.acceptsPerTurn);
  worker.on('message', (message: { event?: string }) => {
    if (message.event === 'listener-wanted') {
      for (let i = 0; i < copies; i++) // Node's types name only sockets and servers as handles to send; a bare TCP handle is
      // sent the same way (child_process's 'net.Native'), one descriptor each.
      worker.send({ listener: i, of: copies } satisfies ListenerMessage, listenHandle as Server);
    }
    if (message.event === 'listening') onListening(worker);
  });
  return worker;
}

/** A worker listens: say so, and once all the configured workers do, say the server is ready (once). */
function onListening(worker: Worker): void {
  listening.add(worker.id);
  say({ event: 'worker-listening', worker: worker.id, pid: worker.process.pid });
  if (announced || listening.size < config.workers) return;
  announced = true;
  const url = `http://${config.host}:${config.port}`;
  say({ event: 'ready', url, workers: config.workers });
}

/** While held (a process fault is on), dead workers stay dead. */
let held = false;
const running = (): number => Object.values(cluster.workers ?? {}).filter((w) => w !== undefined && !w.isDead()).length;

cluster.on('exit', (worker, code, signal) => {
  listening.delete(worker.id);
  say({ event: 'worker-exit', worker: worker.id, pid: worker.process.pid, code, signal });
  if (stopping || held || config.respawnDelayMs === null) return;
  setTimeout(() => {
    if (!stopping && !held && running() < config.workers) fork();
  }, config.respawnDelayMs);
});

// The primary takes commands from the stack over IPC: start a worker now (after a fault
// killed one with respawn off); hold respawning (a crash that lasts); release it, starting
// workers until there are as many as configured again.
// A release may carry resilience settings: the workers it starts, and any after them, run with
// those changed (an operator's change at a restart; the stack validated them).
process.on('message', (message: { command?: string; resilience?: Partial<ResilienceConfig> }) => {
  if (stopping) return;
  if (message.command === 'fork') fork();
  if (message.command === 'hold') {
    held = true;
    say({ event: 'respawn-held' });
  }
  if (message.command === 'release') {
    held = false;
    if (message.resilience !== undefined) workerConfig = { ...workerConfig, resilience: { ...workerConfig.resilience, ...message.resilience } };
    say(message.resilience === undefined ? { event: 'respawn-released' } : { event: 'respawn-released', resilience: message.resilience });
    for (let n = running(); n < config.workers; n++) fork();
  }
});

// Metrics never share the public port: only what runs on this machine can read them.
if (config.metricsPort > 0) {
  const aggregator = new client.AggregatorRegistry();
  http
    .createServer((req, res) => {
      if ((req.url ?? '').split('?')[0] !== '/metrics') return void res.writeHead(404).end();
      aggregator
        .clusterMetrics()
        .then((text) => res.writeHead(200, { 'content-type': aggregator.contentType }).end(text))
        .catch((err: unknown) => res.writeHead(500).end(String(err)));
    })
    .listen(config.metricsPort, '127.0.0.1');
}

function stop(): void {
  if (stopping) return;
  stopping = true;
  say({ event: 'stopping' });
  for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  const forced = setTimeout(() => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
    process.exit(0);
  }, 5_000);
  forced.unref();
  const check = setInterval(() => {
    if (Object.keys(cluster.workers ?? {}).length === 0) {
      clearInterval(check);
      process.exit(0);
    }
  }, 50);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);

for (let i = 0; i < config.workers; i++) fork();
