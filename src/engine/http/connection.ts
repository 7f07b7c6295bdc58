import type net from 'node:net';
import type { Exchange } from './exchange.js';
import { ResponseParser } from './response-parser.js';

/** One keep-alive socket of a client's pool, and the one request it carries. */
export class Connection {
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

  /** Takes it out of service now; its socket's 'close' event finishes the bookkeeping. */
  discard(): void {
    this.gone = true;
    this.socket.destroy();
  }

  /** Settles its request as `other` (`detail` says why) and closes it; resolves once closed. */
  close(now: number, detail: string): Promise<void> | undefined {
    const exchange = this.current;
    this.current = null;
    if (exchange !== null) exchange.settle(now, 0, 'other', 0, undefined, detail);
    if (this.socket.destroyed) return undefined;
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    this.socket.destroy();
    return closed;
  }
}

/**
 * Times out the requests in flight past their deadline (their sockets are discarded: a late
 * response must not reach the next request); returns the earliest deadline left, or Infinity.
 */
export function expireInFlight(connections: Iterable<Connection>, now: number): number {
  let earliest = Number.POSITIVE_INFINITY;
  for (const connection of connections) {
    const exchange = connection.current;
    if (exchange !== null && exchange.deadline <= now) {
      connection.current = null;
      exchange.settle(now, 0, 'timeout', connection.parser.bodyBytes, undefined, `no response in time`);
      connection.discard();
    } else if (exchange !== null && exchange.deadline < earliest) {
      earliest = exchange.deadline;
    }
  }
  return earliest;
}
