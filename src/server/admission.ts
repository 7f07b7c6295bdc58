import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ResilienceConfig } from './config.js';
import type { AppContext } from './context.js';
import { ApiError } from './errors.js';

/**
 * Which requests the server takes up: a door that refuses past maxInFlight, then a slot per
 * request, as a thread-per-request server's thread, waited for first come first served. What is
 * refused is shed (503, counted by reason), never queued without bound.
 */

/** Routes never shed: probes must answer while the server is drowning. */
const UNSHEDDABLE = new Set(['/healthz', '/readyz']);

/** The two refusals admission makes itself; the error handler tells them from the database's. */
export interface ShedErrors {
  readonly atCapacity: ApiError;
  readonly waitedTooLong: ApiError;
}

/** Shedding must cost as little as possible: one error each, made once (no stack to capture). */
export function shedErrors(resilience: ResilienceConfig): ShedErrors {
  return {
    atCapacity: new ApiError('OVERLOADED', 'the server is at capacity', resilience.retryAfterS),
    waitedTooLong: new ApiError('OVERLOADED', `waited ${resilience.slotWaitMs} ms for the server to take the request up`, resilience.retryAfterS),
  };
}

function shedable(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  return route !== undefined && !UNSHEDDABLE.has(route);
}

/** Stamps each request's arrival, and refuses one past maxInFlight (0: no limit). */
export function admitWithinCapacity(app: FastifyInstance, ctx: AppContext, errors: ShedErrors): void {
  const maxInFlight = ctx.config.resilience.maxInFlight;
  let inFlight = 0;
  app.addHook('onRequest', (request, reply, done) => {
    request.arrivedAt = Date.now();
    if (!shedable(request)) return done();
    if (maxInFlight > 0) {
      if (inFlight >= maxInFlight) {
        ctx.metrics.shed('in-flight');
        done(errors.atCapacity);
        return;
      }
      inFlight++;
      reply.raw.once('close', () => inFlight--);
    }
    done();
  });
}

/**
 * A slot, as a thread-per-request server's thread: held from when the handler is given the
 * request (its body read, as a connector buffers it) until the answer is handed over.
 */
export function holdSlots(app: FastifyInstance, ctx: AppContext, errors: ShedErrors): void {
  app.addHook('preHandler', (request, reply, done) => {
    if (!shedable(request)) return done();
    waitForSlot(ctx, errors, request, reply, done);
  });
  // The work is done once the answer (or the error) is handed to Node: the slot is free.
  app.addHook('onSend', (request, _reply, payload, done) => {
    releaseSlot(ctx, request);
    done(null, payload);
  });
}

/**
 * Takes a slot for the request, or gives up on it: after slotWaitMs (shed), or when its client
 * hangs up first and dropAbandoned is on (nobody would read the answer, so no work is done).
 */
function waitForSlot(ctx: AppContext, errors: ShedErrors, request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void {
  const resilience = ctx.config.resilience;
  let timer: NodeJS.Timeout | undefined;
  let onHangUp: (() => void) | undefined;
  const socket = request.raw.socket;
  const ticket = ctx.slots.take(() => {
    if (timer !== undefined) clearTimeout(timer);
    if (onHangUp !== undefined) socket.off('close', onHangUp);
    (request as SlottedRequest)[SLOT] = { released: false };
    done();
  });
  if (ticket === undefined) return;
  if (resilience.slotWaitMs > 0) {
    timer = setTimeout(() => {
      if (!ticket.leave()) return;
      if (onHangUp !== undefined) socket.off('close', onHangUp);
      ctx.metrics.shed('slot-wait');
      done(errors.waitedTooLong);
    }, resilience.slotWaitMs);
  }
  if (resilience.dropAbandoned) {
    onHangUp = () => {
      if (!ticket.leave()) return;
      if (timer !== undefined) clearTimeout(timer);
      ctx.metrics.shed('abandoned');
      reply.hijack();
    };
    socket.once('close', onHangUp);
  }
}

const SLOT = Symbol('codestorm.slot');
type SlottedRequest = FastifyRequest & { [SLOT]?: { released: boolean } };

function releaseSlot(ctx: AppContext, request: FastifyRequest): void {
  const held = (request as SlottedRequest)[SLOT];
  if (held === undefined || held.released) return;
  held.released = true;
  ctx.slots.give();
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Epoch ms when the request arrived: deadlines count from here (deadlineFor). */
    arrivedAt: number;
  }
}
