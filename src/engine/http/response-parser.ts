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
 */
export const NEED_MORE = -1;
export const PARSE_ERROR = -2;

/** The status line plus headers, and a trailer section, may not exceed this. */
const MAX_HEAD_BYTES = 64 * 1024;
/** A chunk's size may not exceed 2^40 bytes: a larger one is garbage, not a body. */
const MAX_CHUNK_SIZE = 2 ** 40;

const HEAD_START = 0;
const HEADERS = 1;
const BODY_LENGTH = 2;
const BODY_UNTIL_EOF = 3;
const CHUNK_SIZE = 4;
const CHUNK_SIZE_LF = 5;
const CHUNK_EXTENSION = 6;
const CHUNK_DATA = 7;
const CHUNK_DATA_CR = 8;
const CHUNK_DATA_LF = 9;
const TRAILER_START = 10;
const TRAILER_LINE = 11;
const TRAILER_END_LF = 12;
const DONE = 13;

/** The header fields the parser reads; it skips all others. */
const OTHER_FIELD = 0;
const CONTENT_LENGTH = 1;
const TRANSFER_ENCODING = 2;
const CONNECTION = 3;
const RETRY_AFTER = 4;

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
const COLON = 58;
const COMMA = 44;
const SEMICOLON = 59;

export class ResponseParser {
  /** The final status code, once the head is parsed. */
  status = 0;
  /** Whether the socket may carry another request after this response. */
  keepAlive = true;
  /** Body bytes, after removing the chunked framing. */
  bodyBytes = 0;
  /** Why PARSE_ERROR was returned. */
  error = '';
  /** True once any byte of the response arrived: a socket that closes before is "stale". */
  received = false;
  /** Retry-After in seconds (delta-seconds form only; an HTTP date is not read), or -1. */
  retryAfterS = -1;

  #state = HEAD_START;
  #isHead = false;
  #parts: Buffer[] | null = null;
  /** An incomplete head or trailer line carried over from the previous read. */
  #line: Buffer | null = null;
  #headBytes = 0;
  #minor = 1;
  #contentLength = -1;
  #chunked = false;
  #otherEncoding = false;
  #close = false;
  #keepAliveToken = false;
  /** Bytes left in the Content-Length body or the current chunk. */
  #remaining = 0;
  #chunkSize = 0;
  #chunkDigits = 0;

  /** Prepares for the response to the next request. `isHead`: that request was HEAD. */
  reset(isHead: boolean, wantBody: boolean): void {
    this.status = 0;
    this.keepAlive = true;
    this.bodyBytes = 0;
    this.error = '';
    this.received = false;
    this.#state = HEAD_START;
    this.#isHead = isHead;
    this.#parts = wantBody ? [] : null;
    this.#resetHead();
  }

  get done(): boolean {
    return this.#state === DONE;
  }

  /** The body as UTF-8 text, when reset() was asked to keep it; '' otherwise. */
  body(): string {
    const parts = this.#parts;
    if (parts === null || parts.length === 0) return '';
    return (parts.length === 1 ? parts[0]! : Buffer.concat(parts)).toString('utf8');
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
        case TRAILER_START:
        case TRAILER_LINE:
          i = this.#trailer(buf, i, end);
          if (i < 0) return i;
          break;
        case HEAD_START:
        case HEADERS: {
          // Head lines are short: a plain loop beats a native indexOf call per line.
          let lf = i;
          while (lf < end && buf[lf] !== LF) lf++;
          this.#headBytes += lf - i + 1;
          if (this.#headBytes > MAX_HEAD_BYTES) return this.#fail('response head too large');
          if (lf === end) {
            const rest = Buffer.from(buf.subarray(i, end));
            this.#line = this.#line === null ? rest : Buffer.concat([this.#line, rest]);
            return NEED_MORE;
          }
          let ok: boolean;
          if (this.#line === null) {
            ok = this.#headLine(buf, i, lf);
          } else {
            const line = Buffer.concat([this.#line, buf.subarray(i, lf)]);
            this.#line = null;
            ok = this.#headLine(line, 0, line.length);
          }
          if (!ok) return PARSE_ERROR;
          i = lf + 1;
          break;
        }
        case BODY_LENGTH: {
          const n = Math.min(this.#remaining, end - i);
          this.#take(buf, i, n);
          i += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#state = DONE;
          break;
        }
        case BODY_UNTIL_EOF:
          this.#take(buf, i, end - i);
          return NEED_MORE;
        case CHUNK_SIZE: {
          const c = buf[i]!;
          const digit = hexValue(c);
          if (digit >= 0) {
            this.#chunkSize = this.#chunkSize * 16 + digit;
            this.#chunkDigits++;
            if (this.#chunkSize > MAX_CHUNK_SIZE) return this.#fail('chunk size too large');
          } else if (this.#chunkDigits === 0) {
            return this.#fail('chunk size expected');
          } else if (c === CR) {
            this.#state = CHUNK_SIZE_LF;
          } else if (c === LF) {
            this.#chunkSizeLineDone();
          } else if (c === SEMICOLON || c === SP || c === HT) {
            this.#state = CHUNK_EXTENSION;
          } else {
            return this.#fail('invalid character in chunk size');
          }
          i++;
          break;
        }
        case CHUNK_SIZE_LF:
          if (buf[i] !== LF) return this.#fail('LF expected after chunk size');
          this.#chunkSizeLineDone();
          i++;
          break;
        case CHUNK_EXTENSION: {
          // Extensions (`;name=value`, quoted strings included) are ignored up to the LF.
          let lf = buf.indexOf(LF, i);
          if (lf >= end) lf = -1;
          if (lf === -1) return NEED_MORE;
          this.#chunkSizeLineDone();
          i = lf + 1;
          break;
        }
        case CHUNK_DATA: {
          const n = Math.min(this.#remaining, end - i);
          this.#take(buf, i, n);
          i += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#state = CHUNK_DATA_CR;
          break;
        }
        case CHUNK_DATA_CR: {
          const c = buf[i]!;
          if (c === CR) this.#state = CHUNK_DATA_LF;
          else if (c === LF) this.#nextChunk();
          else return this.#fail('CRLF expected after chunk data');
          i++;
          break;
        }
        case CHUNK_DATA_LF:
          if (buf[i] !== LF) return this.#fail('LF expected after chunk data');
          this.#nextChunk();
          i++;
          break;
        case TRAILER_END_LF:
          if (buf[i] !== LF) return this.#fail('LF expected after trailers');
          this.#state = DONE;
          i++;
          break;
        case DONE:
          return i;
        default:
          return this.#fail('unknown state');
      }
    }
    return this.#state === DONE ? i : NEED_MORE;
  }

  /** Skips trailer fields up to the empty line that ends them. */
  #trailer(buf: Buffer, start: number, end: number): number {
    let i = start;
    while (i < end) {
      if (this.#state === TRAILER_START) {
        const c = buf[i]!;
        if (c === CR) {
          this.#state = TRAILER_END_LF;
          return i + 1;
        }
        if (c === LF) {
          this.#state = DONE;
          return i + 1;
        }
        this.#state = TRAILER_LINE;
      }
      let lf = buf.indexOf(LF, i);
      if (lf >= end) lf = -1;
      const stop = lf === -1 ? end : lf + 1;
      this.#headBytes += stop - i;
      if (this.#headBytes > MAX_HEAD_BYTES) return this.#fail('trailers too large');
      if (lf === -1) return end;
      this.#state = TRAILER_START;
      i = lf + 1;
    }
    return i;
  }

  /** One line of the head, without its LF; a trailing CR is dropped here. */
  #headLine(b: Buffer, start: number, lf: number): boolean {
    const end = lf > start && b[lf - 1] === CR ? lf - 1 : lf;
    if (this.#state === HEAD_START) {
      if (end === start) return true; // stray empty lines before the status line are tolerated
      return this.#statusLine(b, start, end);
    }
    if (end === start) return this.#headEnd();
    const first = b[start];
    if (first === SP || first === HT) return true; // obsolete line folding: nothing we read folds
    let colon = start;
    while (colon < end && b[colon] !== COLON) colon++;
    if (colon === start || colon === end) return this.#failed('invalid header line');
    const nameLength = colon - start;
    let field = OTHER_FIELD;
    if (nameLength === 14 && nameIs(b, start, 'content-length')) field = CONTENT_LENGTH;
    else if (nameLength === 17 && nameIs(b, start, 'transfer-encoding')) field = TRANSFER_ENCODING;
    else if (nameLength === 10 && nameIs(b, start, 'connection')) field = CONNECTION;
    else if (nameLength === 11 && nameIs(b, start, 'retry-after')) field = RETRY_AFTER;
    if (field === OTHER_FIELD) return true;
    let vs = colon + 1;
    let ve = end;
    while (vs < ve && (b[vs] === SP || b[vs] === HT)) vs++;
    while (ve > vs && (b[ve - 1] === SP || b[ve - 1] === HT)) ve--;
    if (field === CONTENT_LENGTH) return this.#contentLengthField(b, vs, ve);
    if (field === RETRY_AFTER) {
      this.retryAfterS = digitsValue(b, vs, ve);
      return true;
    }
    if (field === TRANSFER_ENCODING) this.#transferEncodingField(b, vs, ve);
    else this.#connectionField(b, vs, ve);
    return true;
  }

  /** `HTTP/1.x NNN reason` */
  #statusLine(b: Buffer, start: number, end: number): boolean {
    if (
      end - start < 12 ||
      b[start] !== 72 || // H
      b[start + 1] !== 84 || // T
      b[start + 2] !== 84 || // T
      b[start + 3] !== 80 || // P
      b[start + 4] !== 47 || // /
      b[start + 5] !== 49 || // 1
      b[start + 6] !== 46 || // .
      b[start + 8] !== SP
    ) {
      return this.#failed('invalid status line');
    }
    const minor = b[start + 7]! - 48;
    const d1 = b[start + 9]! - 48;
    const d2 = b[start + 10]! - 48;
    const d3 = b[start + 11]! - 48;
    if (!isDigit(minor) || !isDigit(d1) || !isDigit(d2) || !isDigit(d3)) return this.#failed('invalid status line');
    if (end - start > 12 && b[start + 12] !== SP) return this.#failed('invalid status line');
    const status = d1 * 100 + d2 * 10 + d3;
    if (status < 100) return this.#failed('invalid status code');
    this.status = status;
    this.#minor = minor;
    this.#state = HEADERS;
    return true;
  }

  #contentLengthField(b: Buffer, start: number, end: number): boolean {
    if (start === end) return this.#failed('empty Content-Length');
    let value = 0;
    for (let i = start; i < end; i++) {
      const d = b[i]! - 48;
      if (!isDigit(d)) return this.#failed('invalid Content-Length');
      value = value * 10 + d;
      if (value > Number.MAX_SAFE_INTEGER) return this.#failed('Content-Length too large');
    }
    if (this.#contentLength >= 0 && this.#contentLength !== value) return this.#failed('conflicting Content-Length');
    this.#contentLength = value;
    return true;
  }

  /** Chunked framing applies only when `chunked` is the last coding (RFC 9112 §6.3). */
  #transferEncodingField(b: Buffer, start: number, end: number): void {
    let last = start;
    for (let i = start; i < end; i++) if (b[i] === COMMA) last = i + 1;
    while (last < end && (b[last] === SP || b[last] === HT)) last++;
    const chunked = end - last === 7 && nameIs(b, last, 'chunked');
    this.#chunked = chunked;
    this.#otherEncoding = !chunked;
  }

  #connectionField(b: Buffer, start: number, end: number): void {
    let i = start;
    while (i <= end) {
      let tokenEnd = i;
      while (tokenEnd < end && b[tokenEnd] !== COMMA) tokenEnd++;
      let s = i;
      let e = tokenEnd;
      while (s < e && (b[s] === SP || b[s] === HT)) s++;
      while (e > s && (b[e - 1] === SP || b[e - 1] === HT)) e--;
      if (e - s === 5 && nameIs(b, s, 'close')) this.#close = true;
      else if (e - s === 10 && nameIs(b, s, 'keep-alive')) this.#keepAliveToken = true;
      i = tokenEnd + 1;
    }
  }

  #headEnd(): boolean {
    const status = this.status;
    if (status < 200 && status !== 101) {
      // An interim response (100 Continue, 103 Early Hints): the real one follows.
      this.#resetHead();
      this.#state = HEAD_START;
      return true;
    }
    this.keepAlive = !this.#close && (this.#minor >= 1 || this.#keepAliveToken);
    if (status === 101) {
      this.keepAlive = false; // the socket now speaks another protocol
      this.#state = DONE;
    } else if (this.#isHead || status === 204 || status === 304) {
      this.#state = DONE;
    } else if (this.#chunked) {
      // Transfer-Encoding beside Content-Length smells of smuggling: answer it, then close.
      if (this.#contentLength >= 0) this.keepAlive = false;
      this.#chunkSize = 0;
      this.#chunkDigits = 0;
      this.#state = CHUNK_SIZE;
    } else if (this.#otherEncoding || this.#contentLength < 0) {
      this.keepAlive = false;
      this.#state = BODY_UNTIL_EOF;
    } else if (this.#contentLength === 0) {
      this.#state = DONE;
    } else {
      this.#remaining = this.#contentLength;
      this.#state = BODY_LENGTH;
    }
    this.#headBytes = 0; // trailers get their own allowance
    return true;
  }

  #chunkSizeLineDone(): void {
    if (this.#chunkSize === 0) {
      this.#state = TRAILER_START;
    } else {
      this.#remaining = this.#chunkSize;
      this.#state = CHUNK_DATA;
    }
  }

  #nextChunk(): void {
    this.#chunkSize = 0;
    this.#chunkDigits = 0;
    this.#state = CHUNK_SIZE;
  }

  #take(buf: Buffer, start: number, n: number): void {
    this.bodyBytes += n;
    if (this.#parts !== null && n > 0) this.#parts.push(Buffer.from(buf.subarray(start, start + n)));
  }

  #resetHead(): void {
    this.#line = null;
    this.retryAfterS = -1;
    this.#headBytes = 0;
    this.#minor = 1;
    this.#contentLength = -1;
    this.#chunked = false;
    this.#otherEncoding = false;
    this.#close = false;
    this.#keepAliveToken = false;
    this.#remaining = 0;
  }

  #failed(message: string): false {
    this.error = message;
    return false;
  }

  #fail(message: string): number {
    this.error = message;
    return PARSE_ERROR;
  }
}

function isDigit(d: number): boolean {
  return d >= 0 && d <= 9;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** ASCII case-insensitive comparison of `lower.length` bytes at `start` with `lower`. */
function nameIs(b: Buffer, start: number, lower: string): boolean {
  for (let k = 0; k < lower.length; k++) {
    let c = b[start + k]!;
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(k)) return false;
  }
  return true;
}

/** A run of decimal digits as a number (at most 9 of them), or -1 when it is anything else. */
function digitsValue(b: Buffer, start: number, end: number): number {
  if (end <= start || end - start > 9) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = b[i] ?? 0;
    if (c < 48 || c > 57) return -1;
    value = value * 10 + (c - 48);
  }
  return value;
}
