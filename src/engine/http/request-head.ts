import { CodestormError } from '../../errors.js';

/** One request as the engine describes it. The client frames the body (Content-Length). */
export interface RequestSpec {
  readonly method: string;
  /** Origin-form target: `/path?query`. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly body?: string | Uint8Array | undefined;
}

interface Head {
  /** The whole head, blank line included: what a request without a body writes. */
  readonly bytes: Buffer;
  /** The head up to the framing header, for requests with a body. */
  readonly prefix: string;
  readonly prefixBytes: Buffer;
}

/** Heads kept per client; when full the cache starts over (paths with ids in them). */
const MAX_CACHED = 4096;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TARGET = /^(?:\/[\x21-\x7e]*|\*)$/;
const FIELD_VALUE = /^[\t\x20-\x7e]*$/;
/** Framing is the client's business: these are dropped from the caller's headers. */
const FRAMING = new Set(['content-length', 'transfer-encoding']);
const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Encodes requests for one origin as one buffer or one string each, so a request is one
 * socket write. Heads are cached per (headers object, method, path): a caller that reuses
 * its headers object for a route pays for building and validating that head once.
 */
export class RequestHeads {
  readonly #host: string;
  #plain = new Map<string, Map<string, Head>>();
  #byHeaders = new WeakMap<object, Map<string, Map<string, Head>>>();
  #cached = 0;

  constructor(host: string) {
    this.#host = host;
  }

  /** The bytes to write for `spec`. Throws HTTP_REQUEST_INVALID for a malformed method, path or header. */
  encode(spec: RequestSpec): Buffer | string {
    const head = this.#head(spec.method, spec.path, spec.headers);
    const body = spec.body;
    if (body === undefined) return head.bytes;
    if (typeof body === 'string') {
      return `${head.prefix}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    }
    return Buffer.concat([head.prefixBytes, Buffer.from(`content-length: ${body.byteLength}\r\n\r\n`, 'latin1'), body]);
  }

  #head(method: string, path: string, headers: RequestSpec['headers']): Head {
    let byMethod: Map<string, Map<string, Head>> | undefined;
    if (headers === undefined) {
      byMethod = this.#plain;
    } else {
      byMethod = this.#byHeaders.get(headers);
      if (byMethod === undefined) {
        byMethod = new Map();
        this.#byHeaders.set(headers, byMethod);
      }
    }
    let byPath = byMethod.get(method);
    if (byPath === undefined) {
      byPath = new Map();
      byMethod.set(method, byPath);
    }
    let head = byPath.get(path);
    if (head === undefined) {
      if (this.#cached >= MAX_CACHED) {
        // Start over rather than track recency: the steady state of a scenario fits easily.
        this.#plain = new Map();
        this.#byHeaders = new WeakMap();
        this.#cached = 0;
        return this.#head(method, path, headers);
      }
      head = buildHead(this.#host, method, path, headers);
      byPath.set(path, head);
      this.#cached++;
    }
    return head;
  }
}

function buildHead(host: string, method: string, path: string, headers: RequestSpec['headers']): Head {
  if (!TOKEN.test(method)) throw badRequest(`invalid method ${JSON.stringify(method)}`);
  if (!TARGET.test(path)) throw badRequest(`invalid request target ${JSON.stringify(path)}: it must start with / and hold no spaces or control characters`);
  let text = `${method} ${path} HTTP/1.1\r\n`;
  let hasHost = false;
  if (headers !== undefined) {
    for (const [name, value] of Object.entries(headers)) {
      if (!TOKEN.test(name)) throw badRequest(`invalid header name ${JSON.stringify(name)}`);
      if (!FIELD_VALUE.test(value)) throw badRequest(`invalid value for header ${name}: printable ASCII only (no CR, LF or other control characters)`);
      const lower = name.toLowerCase();
      if (FRAMING.has(lower)) continue;
      if (lower === 'host') hasHost = true;
      text += `${name}: ${value}\r\n`;
    }
  }
  if (!hasHost) text = text.replace('\r\n', `\r\nhost: ${host}\r\n`);
  const prefix = text;
  const complete = WITH_BODY.has(method) ? `${text}content-length: 0\r\n\r\n` : `${text}\r\n`;
  return { bytes: Buffer.from(complete, 'latin1'), prefix, prefixBytes: Buffer.from(prefix, 'latin1') };
}

function badRequest(message: string): CodestormError {
  return new CodestormError('HTTP_REQUEST_INVALID', message, {
    hint: 'build request targets from route templates and encode path and query parts',
  });
}
