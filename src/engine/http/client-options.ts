import { performance } from 'node:perf_hooks';
import { CodestormError, invalidInput } from '../../errors.js';

export interface ClientOptions {
  /** Keep-alive sockets at most; further requests wait in FIFO order for a free one. */
  readonly connections: number;
  /** Timeout of a request that names none. Default 30 s. */
  readonly timeoutMs?: number;
  /**
   * Timeout granularity: deadlines closer together than this are swept in one timer wake-up,
   * so a timeout fires up to this much late. Default 10 ms.
   */
  readonly sweepMs?: number;
  /** Milliseconds, monotonic; `scheduledAt` is on this clock. Default performance.now. */
  readonly now?: () => number;
  /**
   * Local addresses new sockets are spread over, in turn. Every closed socket waits out TIME_WAIT
   * (60 s) on its local port; one address has ~28,000 of them, so a storm of timed-out requests
   * (each closes its socket) runs out, and connect() then spends its time searching for a free
   * port. Real clients each have an address of their own. Default: for a 127.x.x.x target,
   * LOOPBACK_SOURCES of them; otherwise the system's choice.
   */
  readonly localAddresses?: readonly string[];
}

export interface RequestOptions {
  /**
   * Measured from the call, so time spent waiting for a free socket counts. Granularity is
   * the client's sweepMs (10 ms): a request times out between timeoutMs and timeoutMs + sweepMs
   * (plus any event-loop lag) after the call.
   */
  readonly timeoutMs?: number;
  /** When the engine meant to send it (client clock): latencyUs counts from here. Default: now. */
  readonly scheduledAt?: number;
  /** Keep the body and return it as UTF-8 text (journeys that read JSON); otherwise it is only counted. */
  readonly wantBody?: boolean;
}

/** How many loopback addresses (127.0.0.1, 127.0.0.2, …) a client to a 127.x.x.x target uses. */
export const LOOPBACK_SOURCES = 32;

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_SWEEP_MS = 10;

/** A client's origin and options, checked and with their defaults filled in. */
export interface ClientConfig {
  /** The host to connect to (an IPv6 address without its brackets). */
  readonly host: string;
  readonly port: number;
  /** The origin's `host[:port]`, as the Host header writes it. */
  readonly authority: string;
  readonly localAddresses: readonly string[];
  readonly connections: number;
  readonly timeoutMs: number;
  readonly sweepMs: number;
  readonly now: () => number;
}

/** Checks the origin and the options once, when a client is made. */
export function clientConfig(origin: string | URL, options: ClientOptions): ClientConfig {
  const url = typeof origin === 'string' ? parseOrigin(origin) : origin;
  if (url.protocol !== 'http:') {
    throw invalidInput('HTTP_ORIGIN_INVALID', `unsupported protocol ${url.protocol} in ${url.href}`, 'the load client speaks plain http:// only');
  }
  if (!Number.isInteger(options.connections) || options.connections < 1) {
    throw invalidInput('HTTP_CONNECTIONS_INVALID', `connections must be a positive integer, got ${options.connections}`);
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return {
    host,
    port: url.port === '' ? 80 : Number(url.port),
    authority: url.host,
    localAddresses: options.localAddresses ?? defaultLocalAddresses(host),
    connections: options.connections,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    sweepMs: options.sweepMs ?? DEFAULT_SWEEP_MS,
    now: options.now ?? (() => performance.now()),
  };
}

function defaultLocalAddresses(host: string): readonly string[] {
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return [];
  return Array.from({ length: LOOPBACK_SOURCES }, (_, i) => `127.0.0.${i + 1}`);
}

function parseOrigin(origin: string): URL {
  try {
    return new URL(origin);
  } catch (err) {
    throw new CodestormError('HTTP_ORIGIN_INVALID', `not a URL: ${JSON.stringify(origin)}`, {
      hint: 'write the target as http://host:port',
      cause: err,
    });
  }
}
