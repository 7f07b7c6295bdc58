import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { holdSlots, serverWithDoor, shedErrors, stampArrival, type ShedErrors } from './admission.js';
import { CodeCache } from './cache.js';
import { CodeService } from './codes.js';
import type { ServerConfig } from './config.js';
import type { AppContext } from './context.js';
import { Database } from './db/database.js';
import { ApiError, errorBody } from './errors.js';
import { createMetrics } from './metrics.js';
import { checkpointRoutes } from './routes/checkpoints.js';
import { codeRoutes } from './routes/code.js';
import { healthRoutes } from './routes/health.js';
import { labRoutes } from './routes/lab.js';
import { sampleRoutes } from './routes/samples.js';
import { sessionRoutes } from './routes/session.js';
import { RequestSlots } from './resilience/slots.js';
import { QrIssuer, Signer } from './signing.js';

export function createContext(config: ServerConfig, labels: Record<string, string> = {}): AppContext {
  const signer = new Signer(config.secret);
  const db = new Database(config.databaseUrl, config.resilience);
  const cache = new CodeCache(config.redisUrl, config.resilience, signer);
  const slots = new RequestSlots(config.resilience.requestSlots);
  const metrics = createMetrics(db, slots, { profile: config.profile, ...labels }, () => cache.queues);
  const codes = new CodeService(db, cache, config.resilience, { cache: (outcome) => metrics.cache(outcome) });
  return { config, db, cache, codes, signer, qr: new QrIssuer(signer, config.qrTtlS), metrics, slots };
}

export function buildApp(ctx: AppContext): FastifyInstance {
  const app = Fastify(fastifyOptions(ctx));
  const methods = routeMethods(app);
  // The API speaks JSON only: a text body is refused as an unsupported media type.
  app.removeContentTypeParser('text/plain');

  const shed = shedErrors(ctx.config.resilience);
  app.decorateRequest('arrivedAt', 0);
  app.decorateRequest('staff', null);
  stampArrival(app);
  holdSlots(app, ctx, shed);
  app.addHook('onResponse', (request, reply, done) => {
    ctx.metrics.observeRequest(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.setErrorHandler(errorHandler(ctx, shed));
  app.setNotFoundHandler(notFoundHandler(methods));

  healthRoutes(app, ctx);
  sessionRoutes(app, ctx);
  codeRoutes(app, ctx);
  sampleRoutes(app, ctx);
  labRoutes(app, ctx);
  checkpointRoutes(app, ctx);
  app.addHook('onClose', async () => {
    await Promise.allSettled([ctx.db.end(), ctx.cache.close()]);
  });
  return app;
}

function fastifyOptions(ctx: AppContext): FastifyServerOptions {
  return {
    logger: { level: ctx.config.logLevel },
    // maxInFlight's door stands on Node's server, in front of Fastify (admission.ts).
    serverFactory: serverWithDoor(ctx),
    logController: new LogController({ disableRequestLogging: true }),
    // No per-request child logger: building one costs more than a cached read itself, and
    // errors are logged with their request's method and URL anyway.
    childLoggerFactory: (logger) => logger,
    bodyLimit: 16 * 1024,
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
    // Errors raised before routing (a malformed URL) get the same body as every other error.
    frameworkErrors: (err, _request, reply) => {
      void sendError(reply, err.statusCode ?? 400, clientErrorCode(err.code, err.statusCode ?? 400), err.message);
    },
    clientErrorHandler: answerUnparsed,
  };
}

/**
 * Requests Node's HTTP parser refuses (headers over its limit, an unknown method) never reach
 * Fastify: answer them on the socket, in the same shape.
 */
function answerUnparsed(err: Error & { code?: string }, socket: Socket): void {
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body = JSON.stringify(errorBody(clientErrorCode(err.code, status), `the request could not be parsed (${err.code ?? 'unknown'})`));
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** Which methods each route URL answers, for 405s (hasRoute would read a URL as a pattern). */
function routeMethods(app: FastifyInstance): ReadonlyMap<string, string[]> {
  const methods = new Map<string, string[]>();
  app.addHook('onRoute', (route) => {
    const list = methods.get(route.url) ?? [];
    list.push(...(Array.isArray(route.method) ? route.method : [route.method]));
    methods.set(route.url, list);
  });
  return methods;
}

function errorHandler(ctx: AppContext, shed: ShedErrors) {
  return (err: FastifyError | ApiError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (err instanceof ApiError) {
      if (err.retryAfterS !== undefined && err.retryAfterS > 0) reply.header('retry-after', String(err.retryAfterS));
      // The slot queue counts its own; an OVERLOADED from elsewhere is the database's queue.
      if (err.statusCode === 503 && err !== shed.waitedTooLong) ctx.metrics.shed(err.code === 'OVERLOADED' ? 'db-queue' : err.code.toLowerCase());
      return reply.code(err.statusCode).send(errorBody(err.code, err.message));
    }
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (err.validation !== undefined) return reply.code(400).send(errorBody('BAD_REQUEST', err.message));
    if (status >= 400 && status < 500) return reply.code(status).send(errorBody(clientErrorCode(err.code, status), err.message));
    request.log.error({ err }, 'request failed');
    return reply.code(500).send(errorBody('INTERNAL', 'the server failed to answer'));
  };
}

function notFoundHandler(methods: ReadonlyMap<string, string[]>) {
  return (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const url = request.url.split('?')[0] ?? '';
    const allowed = methods.get(url) ?? [];
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return sendError(reply, 405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${url}; use ${allowed.join(' or ')}`);
    }
    return sendError(reply, 404, 'NOT_FOUND', `no route ${request.method} ${url.slice(0, 100)}`);
  };
}

function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).send(errorBody(code, message));
}

function clientErrorCode(fastifyCode: string | undefined, status: number): string {
  if (status === 404) return 'NOT_FOUND';
  if (status === 405) return 'METHOD_NOT_ALLOWED';
  if (status === 408) return 'REQUEST_TIMEOUT';
  if (status === 431) return 'HEADERS_TOO_LARGE';
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 415) return 'UNSUPPORTED_MEDIA_TYPE';
  if (fastifyCode !== undefined && /JSON|BODY/.test(fastifyCode)) return 'INVALID_JSON';
  return 'BAD_REQUEST';
}
