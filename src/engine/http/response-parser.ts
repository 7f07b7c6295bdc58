import { BodySink } from './body-sink.js';
import { ChunkedBody } from './chunked-body.js';
import { NEED_MORE, PARSE_ERROR } from './http-bytes.js';
import { BODY_TO_EOF, CHUNKED_BODY, INTERIM, LENGTH_BODY, ResponseHead } from './response-head.js';

/**
 * An incremental HTTP/1.1 response parser (RFC 9112) for one response at a time on one socket.
 *
 * Feed it bytes as they arrive, split at any byte: `execute(buf, start, end)` returns
 * NEED_MORE, PARSE_ERROR (see `error`), or the offset just past the response's last byte: bytes
 * after it belong to no request the client sent, and the caller must not reuse the socket.
 * It reads only what the client needs: the status, the body's framing (Content-Length,
 * Transfer-Encoding: chunked with extensions and trailers, or "until the connection closes"),
 * and whether the connection may be reused (Connection: close / keep-alive, HTTP/1.0). Other
 * headers are skipped without making strings. 1xx interim responses are skipped; 101 ends the
 * exchange. The body is counted, and kept (copied) only when asked for: the caller may reuse
 * the buffer it feeds from as soon as `execute` returns.
 *
 * This file sequences head → body; response-head.ts reads the head, chunked-body.ts decodes
 * chunked framing, body-sink.ts counts and keeps the body.
 */
export { NEED_MORE, PARSE_ERROR };

const HEAD = 0;
const BODY_LENGTH = 1;
const BODY_UNTIL_EOF = 2;
const CHUNKED = 3;
const DONE = 4;

export class ResponseParser {
  /** Whether the socket may carry another request after this response. */
  keepAlive = true;
  /** Why PARSE_ERROR was returned. */
  error = '';
  /** True once any byte of the response arrived: a socket that closes before is "stale". */
  received = false;

  #state = HEAD;
  #isHead = false;
  readonly #head = new ResponseHead();
  readonly #sink = new BodySink();
  readonly #chunks = new ChunkedBody(this.#sink);
  /** Bytes left in the Content-Length body. */
  #remaining = 0;

  /** The final status code, once the head is parsed. */
  get status(): number {
    return this.#head.status;
  }

  /** Retry-After in seconds (delta-seconds form only; an HTTP date is not read), or -1. */
  get retryAfterS(): number {
    return this.#head.retryAfterS;
  }

  /** Body bytes, after removing the chunked framing. */
  get bodyBytes(): number {
    return this.#sink.bytes;
  }

  /** Prepares for the response to the next request. `isHead`: that request was HEAD. */
  reset(isHead: boolean, wantBody: boolean): void {
    this.keepAlive = true;
    this.error = '';
    this.received = false;
    this.#state = HEAD;
    this.#isHead = isHead;
    this.#sink.reset(wantBody);
    this.#head.reset();
    this.#remaining = 0;
  }

  get done(): boolean {
    return this.#state === DONE;
  }

  /** The body as UTF-8 text, when reset() was asked to keep it; '' otherwise. */
  body(): string {
    return this.#sink.text();
  }

  /**
   * The connection ended. Returns true when that completes the response (a body delimited by
   * the end of the connection); false when the response is cut short.
   */
  finishAtEof(): boolean {
    if (this.#state === BODY_UNTIL_EOF) {
      this.#state = DONE;
      return true;
    }
    return this.#state === DONE;
  }

  execute(buf: Buffer, start: number, end: number): number {
    if (end > start) this.received = true;
    let i = start;
    while (i < end) {
      switch (this.#state) {
        case HEAD:
          i = this.#head.execute(buf, i, end);
          if (i < 0) return this.#stopped(i, this.#head.error);
          this.#headEnd();
          break;
        case BODY_LENGTH: {
          const n = Math.min(this.#remaining, end - i);
          this.#sink.take(buf, i, n);
          i += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#state = DONE;
          break;
        }
        case BODY_UNTIL_EOF:
          this.#sink.take(buf, i, end - i);
          return NEED_MORE;
        case CHUNKED:
          i = this.#chunks.execute(buf, i, end);
          if (i < 0) return this.#stopped(i, this.#chunks.error);
          this.#state = DONE;
          break;
        case DONE:
          return i;
        default:
          this.error = 'unknown state';
          return PARSE_ERROR;
      }
    }
    return this.#state === DONE ? i : NEED_MORE;
  }

  /** The head is complete: the body's framing picks the next state. */
  #headEnd(): void {
    const head = this.#head;
    const framing = head.framing(this.#isHead);
    if (framing === INTERIM) {
      head.next();
      return;
    }
    this.keepAlive = head.keepAlive;
    if (framing === LENGTH_BODY) {
      this.#remaining = head.contentLength;
      this.#state = BODY_LENGTH;
    } else if (framing === CHUNKED_BODY) {
      this.#chunks.begin();
      this.#state = CHUNKED;
    } else if (framing === BODY_TO_EOF) {
      this.#state = BODY_UNTIL_EOF;
    } else {
      this.#state = DONE;
    }
  }

  /** A part's NEED_MORE or PARSE_ERROR, with that part's reason for the latter. */
  #stopped(result: number, error: string): number {
    if (result === PARSE_ERROR) this.error = error;
    return result;
  }
}
