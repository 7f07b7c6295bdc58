import type { Outcome } from './outcome.js';

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
  /**
   * From scheduledAt to the request's write (latencyUs − serviceUs, from the same clock
   * readings): how late the generator sent it, its own delay, any wait for a free socket and a
   * new socket's connect; -1 if it was never written.
   */
  readonly sendLagUs: number;
  /** Body bytes received (after removing chunked framing). */
  readonly bytes: number;
  /** Only with wantBody and a complete response. */
  readonly body?: string;
  /** For outcomes without a response: the socket error code or what was wrong with the response. */
  readonly detail?: string;
  /** The response's Retry-After, in seconds, when it gave one as a number. */
  readonly retryAfterS?: number;
}

/** A request that found its reused socket already closed by the server is sent again, once. */
export const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);

/** One request from call to settlement. */
export class Exchange {
  settled = false;
  retried = false;
  /** Waiting in the client's queue for a socket (request-queue.ts). */
  queued = false;
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

  /** Resolves the request's promise with its result; a settled exchange ignores later calls. */
  settle(
    now: number,
    status: number,
    outcome: Outcome,
    bytes: number,
    body: string | undefined,
    detail: string | undefined,
    retryAfterS = -1,
  ): void {
    if (this.settled) return;
    this.settled = true;
    const result: { -readonly [K in keyof HttpResult]: HttpResult[K] } = {
      status,
      outcome,
      serviceUs: this.writtenAt < 0 ? 0 : Math.round((now - this.writtenAt) * 1000),
      latencyUs: Math.round((now - this.scheduledAt) * 1000),
      sendLagUs: this.writtenAt < 0 ? -1 : Math.max(0, Math.round((this.writtenAt - this.scheduledAt) * 1000)),
      bytes,
    };
    if (body !== undefined) result.body = body;
    if (detail !== undefined) result.detail = detail;
    if (retryAfterS >= 0) result.retryAfterS = retryAfterS;
    this.resolve(result);
  }
}
