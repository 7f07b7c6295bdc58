import { COLON, COMMA, CR, HT, LF, MAX_HEAD_BYTES, NEED_MORE, PARSE_ERROR, SP, digitsValue, isDigit, nameIs } from './http-bytes.js';

/**
 * The head of one HTTP/1.1 response (RFC 9112): the status line and header lines, fed in reads
 * split at any byte. It reads only the status, the body's framing (Content-Length,
 * Transfer-Encoding), whether the connection may be reused (Connection, the HTTP version) and
 * Retry-After; other headers are skipped without making strings. `framing()` then says how the
 * body that follows is delimited.
 */

/** What framing() answers. INTERIM: a 1xx response; another head follows. */
export const INTERIM = 0;
export const NO_BODY = 1;
export const LENGTH_BODY = 2;
export const CHUNKED_BODY = 3;
/** The body runs until the server closes the connection. */
export const BODY_TO_EOF = 4;

/** The header fields the head reads; it skips all others. */
const OTHER_FIELD = 0;
const CONTENT_LENGTH = 1;
const TRANSFER_ENCODING = 2;
const CONNECTION = 3;
const RETRY_AFTER = 4;

/** What one line of the head was. */
const LINE_OK = 0;
const LAST_LINE = 1;
const BAD_LINE = 2;

export class ResponseHead {
  /** The status code of the last status line read. */
  status = 0;
  /** Retry-After in seconds (delta-seconds form only; an HTTP date is not read), or -1. */
  retryAfterS = -1;
  /** Content-Length, or -1 when the head gave none. */
  contentLength = -1;
  /** Whether the socket may carry another request; set by framing(). */
  keepAlive = true;
  /** Why PARSE_ERROR was returned. */
  error = '';

  /** The status line has been read; header lines follow. */
  #inHeaders = false;
  /** An incomplete line carried over from the previous read. */
  #line: Buffer | null = null;
  #bytes = 0;
  #minor = 1;
  #chunked = false;
  #otherEncoding = false;
  #close = false;
  #keepAliveToken = false;

  /** Prepares for the head of a new response. */
  reset(): void {
    this.status = 0;
    this.next();
  }

  /** Prepares for the head that follows an interim response; `status` stays until it is read. */
  next(): void {
    this.#inHeaders = false;
    this.#line = null;
    this.retryAfterS = -1;
    this.#bytes = 0;
    this.#minor = 1;
    this.contentLength = -1;
    this.#chunked = false;
    this.#otherEncoding = false;
    this.#close = false;
    this.#keepAliveToken = false;
  }

  /** Returns the offset just past the empty line that ends the head, NEED_MORE, or PARSE_ERROR. */
  execute(buf: Buffer, start: number, end: number): number {
    let i = start;
    while (i < end) {
      // Head lines are short: a plain loop beats a native indexOf call per line.
      let lf = i;
      while (lf < end && buf[lf] !== LF) lf++;
      this.#bytes += lf - i + 1;
      if (this.#bytes > MAX_HEAD_BYTES) return this.#fail('response head too large');
      if (lf === end) {
        const rest = Buffer.from(buf.subarray(i, end));
        this.#line = this.#line === null ? rest : Buffer.concat([this.#line, rest]);
        return NEED_MORE;
      }
      let kind: number;
      if (this.#line === null) {
        kind = this.#headLine(buf, i, lf);
      } else {
        const line = Buffer.concat([this.#line, buf.subarray(i, lf)]);
        this.#line = null;
        kind = this.#headLine(line, 0, line.length);
      }
      if (kind === BAD_LINE) return PARSE_ERROR;
      i = lf + 1;
      if (kind === LAST_LINE) return i;
    }
    return NEED_MORE;
  }

  /** How the body after this (complete) head is delimited; sets keepAlive unless INTERIM. */
  framing(isHead: boolean): number {
    const status = this.status;
    // An interim response (100 Continue, 103 Early Hints): the real one follows.
    if (status < 200 && status !== 101) return INTERIM;
    this.keepAlive = !this.#close && (this.#minor >= 1 || this.#keepAliveToken);
    if (status === 101) {
      this.keepAlive = false; // the socket now speaks another protocol
      return NO_BODY;
    }
    if (isHead || status === 204 || status === 304) return NO_BODY;
    if (this.#chunked) {
      // Transfer-Encoding beside Content-Length smells of smuggling: answer it, then close.
      if (this.contentLength >= 0) this.keepAlive = false;
      return CHUNKED_BODY;
    }
    if (this.#otherEncoding || this.contentLength < 0) {
      this.keepAlive = false;
      return BODY_TO_EOF;
    }
    return this.contentLength === 0 ? NO_BODY : LENGTH_BODY;
  }

  /** One line of the head, without its LF; a trailing CR is dropped here. */
  #headLine(b: Buffer, start: number, lf: number): number {
    const end = lf > start && b[lf - 1] === CR ? lf - 1 : lf;
    if (!this.#inHeaders) {
      if (end === start) return LINE_OK; // stray empty lines before the status line are tolerated
      return this.#statusLine(b, start, end) ? LINE_OK : BAD_LINE;
    }
    if (end === start) return LAST_LINE;
    return this.#field(b, start, end) ? LINE_OK : BAD_LINE;
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
    this.#inHeaders = true;
    return true;
  }

  /** A header line `name: value` (a line of obsolete folding is skipped). */
  #field(b: Buffer, start: number, end: number): boolean {
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

  #contentLengthField(b: Buffer, start: number, end: number): boolean {
    if (start === end) return this.#failed('empty Content-Length');
    let value = 0;
    for (let i = start; i < end; i++) {
      const d = b[i]! - 48;
      if (!isDigit(d)) return this.#failed('invalid Content-Length');
      value = value * 10 + d;
      if (value > Number.MAX_SAFE_INTEGER) return this.#failed('Content-Length too large');
    }
    if (this.contentLength >= 0 && this.contentLength !== value) return this.#failed('conflicting Content-Length');
    this.contentLength = value;
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

  #failed(message: string): false {
    this.error = message;
    return false;
  }

  #fail(message: string): number {
    this.error = message;
    return PARSE_ERROR;
  }
}
