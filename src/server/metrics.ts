import client from 'prom-client';
import type { Database } from './db/database.js';
import type { RequestSlots } from './resilience/slots.js';

/**
 * What the server tells /metrics: request durations by route, the database pool and its
 * waiters, cache outcomes, shedding, the breaker, and Node's own event-loop lag. Routes are
 * labelled by their pattern (never a raw URL) so the series stay few.
 */
export interface ServerMetrics {
  readonly registry: client.Registry;
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  cache(outcome: string): void;
  shed(reason: string): void;
}

/** What the metrics read of the Redis client: commands sent and not answered, or not sent yet. */
export interface RedisQueues {
  readonly pending: number;
  readonly ready: boolean;
}

export function createMetrics(db: Database, slots: RequestSlots, labels: Record<string, string>, redis: () => RedisQueues = () => ({ pending: 0, ready: true })): ServerMetrics {
  const registry = new client.Registry();
  registry.setDefaultLabels(labels);
  client.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });

  const duration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer a request, by route pattern, method and status class',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const cacheRequests = new client.Counter({
    name: 'cache_requests_total',
    help: 'Code cache reads by outcome: near (the worker\'s own memory), hit, miss, invalid (failed its check), error, stale (last known served)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const shed = new client.Counter({
    name: 'requests_shed_total',
    help: 'Requests refused with 503 to protect the server, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  for (const gauge of gauges(db, slots, redis)) {
    new client.Gauge({
      name: gauge.name,
      help: gauge.help,
      registers: [registry],
      collect() {
        this.set(gauge.read());
      },
    });
  }

  return {
    registry,
    observeRequest: durationObserver(duration),
    cache(outcome) {
      cacheRequests.labels(outcome).inc();
    },
    shed(reason) {
      shed.labels(reason).inc();
    },
  };
}

interface GaugeSpec {
  readonly name: string;
  readonly help: string;
  /** Read when /metrics is scraped. */
  read(): number;
}

/** The gauges, in the order /metrics lists them. */
function gauges(db: Database, slots: RequestSlots, redis: () => RedisQueues): GaugeSpec[] {
  return [
    { name: 'db_pool_waiting', help: 'Requests waiting for a database connection', read: () => db.waiting },
    { name: 'request_slots_busy', help: 'Requests being worked on (each holds a slot, as a thread would)', read: () => slots.busy },
    { name: 'request_slots_waiting', help: 'Requests waiting for a slot, first come first served', read: () => slots.waiting },
    {
      name: 'redis_pending_commands',
      help: 'Redis commands sent and not answered yet, or waiting to be sent (while disconnected)',
      read: () => redis().pending,
    },
    { name: 'redis_ready', help: '1 while the connection to Redis is up and ready', read: () => (redis().ready ? 1 : 0) },
    { name: 'db_pool_total', help: 'Open database connections in the pool', read: () => db.pool.totalCount },
    { name: 'db_pool_idle', help: 'Idle database connections in the pool', read: () => db.pool.idleCount },
    { name: 'circuit_open', help: '1 while the database circuit breaker is open or half-open', read: () => (db.breaker.state === 'closed' ? 0 : 1) },
  ];
}

const statusClass = ['1xx', '1xx', '2xx', '3xx', '4xx', '5xx'];

function durationObserver(duration: client.Histogram<'route' | 'method' | 'status'>): ServerMetrics['observeRequest'] {
  // prom-client hashes the label values on every labels() call; the series are few, keep them.
  const series = new Map<string, client.Histogram.Internal<'route' | 'method' | 'status'>>();
  return (route, method, status, seconds) => {
    const cls = statusClass[Math.floor(status / 100)] ?? 'other';
    const key = `${route} ${method} ${cls}`;
    let child = series.get(key);
    if (child === undefined) {
      child = duration.labels(route, method, cls);
      series.set(key, child);
    }
    child.observe(seconds);
  };
}
