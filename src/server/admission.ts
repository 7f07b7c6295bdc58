import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerFactory } from 'fastify';
import type { ResilienceConfig } from './config.js';
import type { AppContext } from './context.js';
import { ApiError, errorBody } from './errors.js';

/**
 * Which requests the server takes up: a door that refuses past maxInFlight, then a slot per
 * request, as a thread-per-request server's thread, waited for first come first served. What is
 * refused is shed (503, counted by reason), never queued without bound.
 */

/** Routes never shed: probes must answer while the server is drowning. */
const UNSHEDDABLE = new Set(['/healthz', '/readyz']);

/** The refusal the slot queue makes itself; the error handler tells it from the database's. */
export interface ShedErrors {
  readonly waitedTooLong: ApiError;
}

/** Shedding must cost as little as possible: one error, made once (no stack to capture). */
export function shedErrors(resilience: ResilienceConfig): ShedErrors {
  return {
    waitedTooLong: new ApiError('OVERLOADED', `waited ${resilience.slotWaitMs} ms for the server to take the request up`, resilience.retryAfterS),
  };
}

function shedable(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  return route !== undefined && !UNSHEDDABLE.has(route);
}

/** Stamps each request's arrival: its deadline counts from here (deadlineFor). */
export function stampArrival(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    request.arrivedAt = Date.now();
    done();
  });
}

/**
 * The HTTP server Fastify is given (its serverFactory), as Fastify would make it, with the door
 * in front: past maxInFlight a request is refused on Node's own request event, before Fastify
 * builds a request and a reply, routes it, runs a hook or serializes an error. Refused inside
 * Fastify (an onRequest hook and the error handler), a 503 cost as much as a cached answer
 * (`bench -- server`: 18,793 refusals/s against 18,536 answers/s): in a retry storm, every
 * phone tapping again took what the people being served needed, and the server shed its way
 * into collapse.
 */
export function serverWithDoor(ctx: AppContext): FastifyServerFactory {
  return (handler, options) => {
    const resilience = ctx.config.resilience;
    const listener = door(resilience.maxInFlight, refusal(resilience), () => ctx.metrics.shed('in-flight'), handler as RequestListener);
    const o = options as FactoryOptions;
    const server = http.createServer(o.http ?? {}, listener);
    // What Fastify sets on the server it makes itself (fastify/lib/server.js).
    if (typeof o.keepAliveTimeout === 'number') server.keepAliveTimeout = o.keepAliveTimeout;
    if (typeof o.requestTimeout === 'number') server.requestTimeout = o.requestTimeout;
    if (typeof o.connectionTimeout === 'number') server.setTimeout(o.connectionTimeout);
    if (typeof o.maxRequestsPerSocket === 'number' && o.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = o.maxRequestsPerSocket;
    return server;
  };
}

/** The server options Fastify passes its serverFactory, its defaults filled in. */
interface FactoryOptions {
  readonly http?: http.ServerOptions;
  readonly keepAliveTimeout?: number;
  readonly requestTimeout?: number;
  readonly connectionTimeout?: number;
  readonly maxRequestsPerSocket?: number;
}

/**
 * Hands a request to `handler` while fewer than maxInFlight are in flight (0: no limit), or
 * refuses it with `refuse`. A request is in flight until its response closes: answered, or its
 * client gone. The probes' routes are never refused and never counted.
 */
export function door(maxInFlight: number, refuse: (res: ServerResponse) => void, onRefused: () => void, handler: RequestListener): RequestListener {
  if (maxInFlight <= 0) return handler;
  let inFlight = 0;
  const leave = (): void => {
    inFlight--;
  };
  return (req, res) => {
    if (!shedableUrl(req)) return handler(req, res);
    if (inFlight >= maxInFlight) {
      onRefused();
      refuse(res);
      return;
    }
    inFlight++;
    res.once('close', leave);
    handler(req, res);
  };
}

function shedableUrl(req: IncomingMessage): boolean {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  return !UNSHEDDABLE.has(query === -1 ? url : url.slice(0, query));
}

/** The door's 503, in the API's error shape, its bytes made once. */
export function refusal(resilience: ResilienceConfig): (res: ServerResponse) => void {
  const body = Buffer.from(JSON.stringify(errorBody('OVERLOADED', 'the server is at capacity')));
  const headers: [string, string][] = [
    ['content-type', 'application/json; charset=utf-8'],
    ['content-length', String(body.length)],
  ];
  if (resilience.retryAfterS > 0) headers.push(['retry-after', String(resilience.retryAfterS)]);
  const flat = headers.flat();
  return (res) => {
    res.writeHead(503, flat);
    res.end(body);
  };
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
