import type { CodeCache } from './cache.js';
import type { CodeService } from './codes.js';
import type { ServerConfig } from './config.js';
import type { Database, Deadline, HeldConnection } from './db/database.js';
import type { ServerMetrics } from './metrics.js';
import type { RequestSlots } from './resilience/slots.js';
import type { QrIssuer, Signer } from './signing.js';

/** What route handlers are given: the server's parts, built once per worker. */
export interface AppContext {
  readonly config: ServerConfig;
  readonly db: Database;
  readonly cache: CodeCache;
  readonly codes: CodeService;
  readonly signer: Signer;
  readonly qr: QrIssuer;
  readonly metrics: ServerMetrics;
  readonly slots: RequestSlots;
}

/**
 * When a request's database work must be done by: its deadline counts from when it arrived, so
 * that time spent waiting for a slot is spent from the same budget.
 */
export function deadlineFor(ctx: AppContext, request: { readonly arrivedAt: number }): Deadline {
  const ms = ctx.config.resilience.requestDeadlineMs;
  return ms > 0 ? (request.arrivedAt > 0 ? request.arrivedAt : Date.now()) + ms : 0;
}

const HELD = Symbol('codestorm.heldConnection');
type Holding = { [HELD]?: HeldConnection };

/**
 * The connection a request holds from its first statement until its answer has been sent, when
 * the profile works that way (connectionPerRequest); undefined otherwise: each statement then
 * takes a connection of the pool's for itself. One per request, however often it is asked for.
 */
export function heldConnection(
  ctx: AppContext,
  request: object,
  response: { readonly closed: boolean; once(event: 'close', listener: () => void): unknown },
): HeldConnection | undefined {
  if (!ctx.config.resilience.connectionPerRequest) return undefined;
  const holding = request as Holding;
  let held = holding[HELD];
  if (held === undefined) {
    held = ctx.db.hold();
    holding[HELD] = held;
    // A client that hung up before the work began: its statements give the connection back.
    if (response.closed) held.close();
    else {
      const release = held;
      response.once('close', () => release.close());
    }
  }
  return held;
}

/** "张三丰" → "张**": enough for a tester to recognise, not enough to identify. */
export function maskName(name: string): string {
  const chars = Array.from(name);
  return chars.length <= 1 ? name : (chars[0] ?? '') + '*'.repeat(chars.length - 1);
}
