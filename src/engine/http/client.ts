import net from 'node:net';
import { CodestormError } from '../../errors.js';
import { clientConfig, type ClientOptions, type RequestOptions } from './client-options.js';
import { Connection, expireInFlight } from './connection.js';
import { DeadlineTimer } from './deadline-timer.js';
import { Exchange, IDEMPOTENT, type HttpResult } from './exchange.js';
import { outcomeOfErrorCode, outcomeOfStatus } from './outcome.js';
import { RequestHeads, type RequestSpec } from './request-head.js';
import { RequestQueue } from './request-queue.js';
import { NEED_MORE, PARSE_ERROR, type ResponseParser } from './response-parser.js';

export { LOOPBACK_SOURCES, type ClientOptions, type RequestOptions } from './client-options.js';
export type { HttpResult } from './exchange.js';

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

/** One read buffer per client: a read is parsed before the next one can overwrite it. */
const READ_BUFFER_BYTES = 64 * 1024;

const NO_OPTIONS: RequestOptions = Object.freeze({});

/**
 * An HTTP/1.1 client for one origin (http://, loopback targets) built for the load engine's hot
 * path: a keep-alive pool of at most `connections` sockets, one request in flight per socket
 * (no pipelining, so bytes can never be credited to the wrong request), requests queued when
 * every socket is busy (request-queue.ts). Each request is one write of a cached head
 * (request-head.ts); responses are read into one reused buffer (net's `onread`) and parsed
 * without strings (response-parser.ts). Timeouts need no timer per request: one timer per
 * client (deadline-timer.ts). Network failures are never thrown: every request settles with an
 * outcome (exchange.ts).
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
  readonly #now: () => number;
  readonly #heads: RequestHeads;
  readonly #readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  readonly #connections = new Set<Connection>();
  /** LIFO: the warmest socket is reused first, so light load keeps few sockets busy. */
  readonly #idle: Connection[] = [];
  readonly #queue = new RequestQueue();
  #opened = 0;
  readonly #timer: DeadlineTimer;
  #closed = false;

  constructor(origin: string | URL, options: ClientOptions) {
    const config = clientConfig(origin, options);
    this.#host = config.host;
    this.#local = config.localAddresses;
    this.#port = config.port;
    this.#max = config.connections;
    this.#timeoutMs = config.timeoutMs;
    this.#now = config.now;
    this.#heads = new RequestHeads(config.authority);
    this.#timer = new DeadlineTimer(config.sweepMs, () => this.#sweep());
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
    this.#timer.add(exchange.deadline, now);
    if (this.#queue.empty) {
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
    let inFlight = 0;
    for (const connection of this.#connections) if (connection.current !== null) inFlight++;
    return { open: this.#connections.size, idle: this.#idle.filter((c) => !c.gone).length, inFlight, queued: this.#queue.pending, opened: this.#opened };
  }

  /** Settles everything pending as `other` ("client closed") and closes every socket. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#timer.disarm();
    const now = this.#now();
    this.#queue.clear(now, 'client closed');
    this.#idle.length = 0;
    const closing: Promise<void>[] = [];
    for (const connection of this.#connections) {
      const closed = connection.close(now, 'client closed');
      if (closed !== undefined) closing.push(closed);
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
      connection.discard();
      return;
    }
    const parser = connection.parser;
    const end = parser.execute(buffer, 0, bytes);
    if (end === NEED_MORE) return;
    connection.current = null;
    if (end === PARSE_ERROR) {
      exchange.settle(this.#now(), 0, 'other', parser.bodyBytes, undefined, `malformed response: ${parser.error}`);
      connection.socket.destroy();
      return;
    }
    connection.served++;
    this.#complete(exchange, parser);
    // Anything after the response was sent unasked: close rather than let it reach the next request.
    if (parser.keepAlive && end === bytes && !connection.ended) this.#release(connection);
    else connection.discard();
  }

  /** The warmest idle socket still in service. */
  #takeIdle(): Connection | undefined {
    for (let c = this.#idle.pop(); c !== undefined; c = this.#idle.pop()) if (!c.gone) return c;
    return undefined;
  }

  #complete(exchange: Exchange, parser: ResponseParser): void {
    const body = exchange.wantBody ? parser.body() : undefined;
    exchange.settle(this.#now(), parser.status, outcomeOfStatus(parser.status), parser.bodyBytes, body, undefined, parser.retryAfterS);
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
    connection.discard();
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
        this.#queue.unshift(exchange);
      } else {
        const outcome = code === undefined ? 'reset' : outcomeOfErrorCode(code);
        const detail = code ?? (connection.parser.received ? 'connection closed mid-response' : 'connection closed before a response');
        exchange.settle(this.#now(), 0, outcome, connection.parser.bodyBytes, undefined, detail);
      }
    }
    this.#pump();
  }

  #release(connection: Connection): void {
    if (this.#closed) {
      connection.socket.destroy();
      return;
    }
    const next = this.#queue.shift();
    if (next !== undefined) this.#send(connection, next);
    else this.#idle.push(connection);
  }

  /** Gives queued requests the idle sockets, and new sockets while under the limit. */
  #pump(): void {
    if (this.#closed) return;
    for (;;) {
      const idle = this.#takeIdle();
      if (idle === undefined && this.#connections.size >= this.#max) return;
      const next = this.#queue.shift();
      if (next === undefined) {
        if (idle !== undefined) this.#idle.push(idle);
        return;
      }
      if (idle !== undefined) this.#send(idle, next);
      else this.#open(next);
    }
  }

  /** Times out what is past its deadline, then arms the timer for the earliest one left. */
  #sweep(): void {
    const now = this.#now();
    const earliest = expireInFlight(this.#connections, now);
    this.#timer.rearm(Math.min(earliest, this.#queue.expire(now)), now);
  }
}
