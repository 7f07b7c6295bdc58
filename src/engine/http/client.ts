import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { CodestormError, invalidInput } from '../../errors.js';
import { outcomeOfErrorCode, outcomeOfStatus, type Outcome } from './outcome.js';
import { RequestHeads, type RequestSpec } from './request-head.js';
import { NEED_MORE, PARSE_ERROR, ResponseParser } from './response-parser.js';

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

/** How many loopback addresses (127.0.0.1, 127.0.0.2, …) a client to a 127.x.x.x target uses. */
export const LOOPBACK_SOURCES = 32;

function defaultLocalAddresses(host: string): readonly string[] {
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return [];
  return Array.from({ length: LOOPBACK_SOURCES }, (_, i) => `127.0.0.${i + 1}`);
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

export interface HttpResult {
  /** The response's status; 0 when there was no complete response. */
  readonly status: number;
  readonly outcome: Outcome;
  /**
   * From the request's write to the socket (on a new socket: once connected) to its response's
   * last byte, or to the failure; 0 if it was never written.
   */
  readonly serviceUs: number;
  /** From scheduledAt to the last byte (or the failure): includes waiting for a socket. */
  readonly latencyUs: number;
  /** Body bytes received (after removing chunked framing). */
  readonly bytes: number;
  /** Only with wantBody and a complete response. */
  readonly body?: string;
  /** For outcomes without a response: the socket error code or what was wrong with the response. */
  readonly detail?: string;
  /** The response's Retry-After, in seconds, when it gave one as a number. */
  readonly retryAfterS?: number;
}

export interface ClientStats {
  /** Sockets open or connecting. */
  readonly open: number;
  readonly idle: number;
  /** Requests written or being connected for. */
  readonly inFlight: number;
  /** Requests waiting for a socket. */
  readonly queued: number;
  /** Sockets opened over the client's life. */
  readonly opened: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_SWEEP_MS = 10;
/** One read buffer per client: a read is parsed before the next one can overwrite it. */
const READ_BUFFER_BYTES = 64 * 1024;
/** A request that found its reused socket already closed by the server is sent again, once. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);

const NO_OPTIONS: RequestOptions = Object.freeze({});


/** One request from call to settlement. */
class Exchange {
  settled = false;
  retried = false;
  /** On the client clock; -1 until written. */
  writtenAt = -1;

  constructor(
    readonly data: Buffer | string,
    readonly isHead: boolean,
    readonly idempotent: boolean,
    readonly wantBody: boolean,
    readonly deadline: number,
    readonly scheduledAt: number,
    readonly resolve: (result: HttpResult) => void,
  ) {}
}

class Connection {
  socket!: net.Socket;
  readonly parser = new ResponseParser();
  /** The one request this socket carries (or is connecting for); never more. */
  current: Exchange | null = null;
  /** The server ended its side: nothing more can be sent on it. */
  ended = false;
  /** Taken out of service; an idle list may still hold it, and skips it (no search on close). */
  gone = false;
  served = 0;
  errorCode: string | undefined = undefined;
}

/**
 * An HTTP/1.1 client for one origin (http://, loopback targets) built for the load engine's hot
 * path: a keep-alive pool of at most `connections` sockets, one request in flight per socket
 * (no pipelining, so bytes can never be credited to the wrong request), requests queued when
 * every socket is busy. Each request is one write of a cached head; responses are read into one
 * reused buffer (net's `onread`) and parsed without strings. Timeouts need no timer per request:
 * one timer per client is armed for the earliest deadline (no sooner than sweepMs after the last
 * sweep), so a steady load with a 30 s timeout wakes it about once per 30 s, not per request
 * nor per 10 ms, and a stalled server's timeouts are settled in batches. Network failures are
 * never thrown: every request settles with an outcome.
 */
export class Client {
  /**
   * Promise executors run synchronously: the client's one executor hands the resolve function
   * over, so that a request allocates no closure for it.
   */
  #captured: ((result: HttpResult) => void) | undefined;
  readonly #captureResolve = (resolve: (result: HttpResult) => void): void => {
    this.#captured = resolve;
  };
  readonly #host: string;
  readonly #local: readonly string[];
  readonly #port: number;
  readonly #max: number;
  readonly #timeoutMs: number;
  readonly #sweepMs: number;
  readonly #now: () => number;
  readonly #heads: RequestHeads;
  readonly #readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  readonly #connections = new Set<Connection>();
  /** LIFO: the warmest socket is reused first, so light load keeps few sockets busy. */
  readonly #idle: Connection[] = [];
  readonly #queue: (Exchange | undefined)[] = [];
  #queueHead = 0;
  #opened = 0;
  #timer: NodeJS.Timeout | null = null;
  /** When the timer fires (client clock); Infinity when it is not armed. */
  #armedAt = Number.POSITIVE_INFINITY;
  readonly #onTimer = (): void => {
    this.#timer = null;
    this.#armedAt = Number.POSITIVE_INFINITY;
    this.#sweep();
  };
  #closed = false;

  constructor(origin: string | URL, options: ClientOptions) {
    const url = typeof origin === 'string' ? parseOrigin(origin) : origin;
    if (url.protocol !== 'http:') {
      throw invalidInput('HTTP_ORIGIN_INVALID', `unsupported protocol ${url.protocol} in ${url.href}`, 'the load client speaks plain http:// only');
    }
    if (!Number.isInteger(options.connections) || options.connections < 1) {
      throw invalidInput('HTTP_CONNECTIONS_INVALID', `connections must be a positive integer, got ${options.connections}`);
    }
    this.#host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.#local = options.localAddresses ?? defaultLocalAddresses(this.#host);
    this.#port = url.port === '' ? 80 : Number(url.port);
    this.#max = options.connections;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#sweepMs = options.sweepMs ?? DEFAULT_SWEEP_MS;
    this.#now = options.now ?? (() => performance.now());
    this.#heads = new RequestHeads(url.host);
  }

  /**
   * Sends one request and settles with its outcome. Rejects only for a malformed request
   * (HTTP_REQUEST_INVALID) or a closed client (HTTP_CLIENT_CLOSED): programming errors, not load.
   */
  request(spec: RequestSpec, options: RequestOptions = NO_OPTIONS): Promise<HttpResult> {
    if (this.#closed) return Promise.reject(new CodestormError('HTTP_CLIENT_CLOSED', 'request on a closed HTTP client'));
    let data: Buffer | string;
    try {
      data = this.#heads.encode(spec);
    } catch (err) {
      return Promise.reject(err);
    }
    const now = this.#now();
    const method = spec.method;
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const scheduledAt = options.scheduledAt ?? now;
    const wantBody = options.wantBody === true;
    const promise = new Promise<HttpResult>(this.#captureResolve);
    const exchange = new Exchange(data, method === 'HEAD', IDEMPOTENT.has(method), wantBody, now + timeoutMs, scheduledAt, this.#captured!);
    this.#captured = undefined;
    // Deadlines mostly come in increasing order: re-arm only for one clearly earlier.
    if (exchange.deadline < this.#armedAt - this.#sweepMs) this.#arm(exchange.deadline, now);
    if (this.#queueHead === this.#queue.length) {
      const idle = this.#takeIdle();
      if (idle !== undefined) {
        this.#send(idle, exchange, now);
        return promise;
      }
      if (this.#connections.size < this.#max) {
        this.#open(exchange);
        return promise;
      }
    }
    this.#queue.push(exchange);
    // Only timed-out entries ahead of it and a free socket: serve the queue now.
    if (this.#idle.length > 0 || this.#connections.size < this.#max) this.#pump();
    return promise;
  }

  get stats(): ClientStats {
    let queued = 0;
    for (let i = this.#queueHead; i < this.#queue.length; i++) if (this.#queue[i]?.settled === false) queued++;
    let inFlight = 0;
    for (const connection of this.#connections) if (connection.current !== null) inFlight++;
    return { open: this.#connections.size, idle: this.#idle.filter((c) => !c.gone).length, inFlight, queued, opened: this.#opened };
  }

  /** Settles everything pending as `other` ("client closed") and closes every socket. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#disarm();
    const now = this.#now();
    for (let i = this.#queueHead; i < this.#queue.length; i++) {
      const exchange = this.#queue[i];
      if (exchange !== undefined) this.#settle(exchange, now, 0, 'other', 0, undefined, 'client closed');
    }
    this.#queue.length = 0;
    this.#queueHead = 0;
    this.#idle.length = 0;
    const closing: Promise<void>[] = [];
    for (const connection of this.#connections) {
      const exchange = connection.current;
      connection.current = null;
      if (exchange !== null) this.#settle(exchange, now, 0, 'other', 0, undefined, 'client closed');
      if (!connection.socket.destroyed) {
        closing.push(new Promise((resolve) => connection.socket.once('close', () => resolve())));
        connection.socket.destroy();
      }
    }
    await Promise.all(closing);
  }

  #open(exchange: Exchange): void {
    const connection = new Connection();
    connection.current = exchange;
    this.#opened++;
    this.#connections.add(connection);
    const buffer = this.#readBuffer;
    const local = this.#local.length === 0 ? undefined : this.#local[(this.#opened - 1) % this.#local.length];
    const socket = net.connect({
      host: this.#host,
      port: this.#port,
      ...(local === undefined ? {} : { localAddress: local }),
      noDelay: true,
      onread: {
        buffer,
        callback: (bytes: number): boolean => {
          this.#onRead(connection, buffer, bytes);
          return true;
        },
      },
    });
    connection.socket = socket;
    socket.once('connect', () => {
      const waiting = connection.current;
      if (waiting !== null) this.#write(connection, waiting);
      else this.#release(connection);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      connection.errorCode ??= err.code ?? err.message;
    });
    socket.on('end', () => this.#onEnd(connection));
    socket.on('close', () => this.#onClose(connection));
  }

  #send(connection: Connection, exchange: Exchange, now?: number): void {
    connection.current = exchange;
    this.#write(connection, exchange, now);
  }

  /** `now`, when the caller has just read the clock. */
  #write(connection: Connection, exchange: Exchange, now = this.#now()): void {
    connection.parser.reset(exchange.isHead, exchange.wantBody);
    exchange.writtenAt = now;
    connection.socket.write(exchange.data);
  }

  #onRead(connection: Connection, buffer: Buffer, bytes: number): void {
    const exchange = connection.current;
    if (exchange === null) {
      // Bytes for no request (a second response, garbage): the socket cannot be trusted.
      this.#discard(connection);
      return;
    }
    const parser = connection.parser;
    const end = parser.execute(buffer, 0, bytes);
    if (end === NEED_MORE) return;
    connection.current = null;
    if (end === PARSE_ERROR) {
      this.#settle(exchange, this.#now(), 0, 'other', parser.bodyBytes, undefined, `malformed response: ${parser.error}`);
      connection.socket.destroy();
      return;
    }
    connection.served++;
    this.#complete(exchange, parser);
    // Anything after the response was sent unasked: close rather than let it reach the next request.
    if (parser.keepAlive && end === bytes && !connection.ended) this.#release(connection);
    else this.#discard(connection);
  }

  /** Takes a socket out of service now; its 'close' event finishes the bookkeeping. */
  #discard(connection: Connection): void {
    connection.gone = true;
    connection.socket.destroy();
  }

  /** The warmest idle socket still in service. */
  #takeIdle(): Connection | undefined {
    for (let c = this.#idle.pop(); c !== undefined; c = this.#idle.pop()) if (!c.gone) return c;
    return undefined;
  }

  #complete(exchange: Exchange, parser: ResponseParser): void {
    const body = exchange.wantBody ? parser.body() : undefined;
    this.#settle(exchange, this.#now(), parser.status, outcomeOfStatus(parser.status), parser.bodyBytes, body, undefined, parser.retryAfterS);
  }

  #onEnd(connection: Connection): void {
    connection.ended = true;
    const exchange = connection.current;
    // A body delimited by the end of the connection is complete now.
    if (exchange !== null && connection.errorCode === undefined && connection.parser.finishAtEof()) {
      connection.current = null;
      connection.served++;
      this.#complete(exchange, connection.parser);
    }
    this.#discard(connection);
  }

  #onClose(connection: Connection): void {
    this.#connections.delete(connection);
    connection.gone = true;
    const exchange = connection.current;
    connection.current = null;
    if (exchange !== null && !exchange.settled) {
      const code = connection.errorCode;
      if (connection.served > 0 && !connection.parser.received && exchange.idempotent && !exchange.retried) {
        // A kept-alive socket the server closed as we reused it: the request never reached it.
        exchange.retried = true;
        exchange.writtenAt = -1;
        if (this.#queueHead > 0) this.#queue[--this.#queueHead] = exchange;
        else this.#queue.unshift(exchange);
      } else {
        const outcome = code === undefined ? 'reset' : outcomeOfErrorCode(code);
        const detail = code ?? (connection.parser.received ? 'connection closed mid-response' : 'connection closed before a response');
        this.#settle(exchange, this.#now(), 0, outcome, connection.parser.bodyBytes, undefined, detail);
      }
    }
    this.#pump();
  }

  #release(connection: Connection): void {
    if (this.#closed) {
      connection.socket.destroy();
      return;
    }
    const next = this.#nextQueued();
    if (next !== undefined) this.#send(connection, next);
    else this.#idle.push(connection);
  }

  /** Gives queued requests the idle sockets, and new sockets while under the limit. */
  #pump(): void {
    if (this.#closed) return;
    for (;;) {
      const idle = this.#takeIdle();
      if (idle === undefined && this.#connections.size >= this.#max) return;
      const next = this.#nextQueued();
      if (next === undefined) {
        if (idle !== undefined) this.#idle.push(idle);
        return;
      }
      if (idle !== undefined) this.#send(idle, next);
      else this.#open(next);
    }
  }

  #nextQueued(): Exchange | undefined {
    const queue = this.#queue;
    while (this.#queueHead < queue.length) {
      const exchange = queue[this.#queueHead];
      queue[this.#queueHead++] = undefined;
      if (exchange !== undefined && !exchange.settled) return exchange;
    }
    if (this.#queueHead > 0) {
      queue.length = 0;
      this.#queueHead = 0;
    }
    return undefined;
  }

  #settle(
    exchange: Exchange,
    now: number,
    status: number,
    outcome: Outcome,
    bytes: number,
    body: string | undefined,
    detail: string | undefined,
    retryAfterS = -1,
  ): void {
    if (exchange.settled) return;
    exchange.settled = true;
    const result: { -readonly [K in keyof HttpResult]: HttpResult[K] } = {
      status,
      outcome,
      serviceUs: exchange.writtenAt < 0 ? 0 : Math.round((now - exchange.writtenAt) * 1000),
      latencyUs: Math.round((now - exchange.scheduledAt) * 1000),
      bytes,
    };
    if (body !== undefined) result.body = body;
    if (detail !== undefined) result.detail = detail;
    if (retryAfterS >= 0) result.retryAfterS = retryAfterS;
    exchange.resolve(result);
  }

  /** Times out what is past its deadline, then arms the timer for the earliest one left. */
  #sweep(): void {
    const now = this.#now();
    let earliest = Number.POSITIVE_INFINITY;
    for (const connection of this.#connections) {
      const exchange = connection.current;
      if (exchange !== null && exchange.deadline <= now) {
        connection.current = null;
        this.#settle(exchange, now, 0, 'timeout', connection.parser.bodyBytes, undefined, `no response in time`);
        this.#discard(connection);
      } else if (exchange !== null && exchange.deadline < earliest) {
        earliest = exchange.deadline;
      }
    }
    const queue = this.#queue;
    for (let i = this.#queueHead; i < queue.length; i++) {
      const exchange = queue[i];
      if (exchange !== undefined && !exchange.settled && exchange.deadline <= now) {
        this.#settle(exchange, now, 0, 'timeout', 0, undefined, 'no free socket in time');
      } else if (exchange !== undefined && !exchange.settled && exchange.deadline < earliest) {
        earliest = exchange.deadline;
      }
    }
    if (earliest !== Number.POSITIVE_INFINITY) this.#arm(Math.max(earliest, now + this.#sweepMs), now);
  }

  #arm(at: number, now: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#armedAt = at;
    this.#timer = setTimeout(this.#onTimer, Math.max(1, Math.ceil(at - now)));
    this.#timer.unref();
  }

  #disarm(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#armedAt = Number.POSITIVE_INFINITY;
  }
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
