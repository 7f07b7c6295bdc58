import type { BodySink } from './body-sink.js';
import { CR, HT, LF, MAX_HEAD_BYTES, NEED_MORE, PARSE_ERROR, SEMICOLON, SP, hexValue } from './http-bytes.js';

/**
 * A body in Transfer-Encoding: chunked (RFC 9112 §7.1), fed in reads split at any byte: chunk
 * sizes in hex, chunk extensions (ignored), the chunks' data (into a BodySink), then trailer
 * fields (skipped) up to the empty line that ends the body.
 */

/** A chunk's size may not exceed 2^40 bytes: a larger one is garbage, not a body. */
const MAX_CHUNK_SIZE = 2 ** 40;

const SIZE = 0;
const SIZE_LF = 1;
const EXTENSION = 2;
const DATA = 3;
const DATA_CR = 4;
const DATA_LF = 5;
const TRAILER_START = 6;
const TRAILER_LINE = 7;
const TRAILER_END_LF = 8;
const DONE = 9;

export class ChunkedBody {
  /** Why PARSE_ERROR was returned. */
  error = '';

  readonly #sink: BodySink;
  #state = SIZE;
  #size = 0;
  #digits = 0;
  /** Bytes left in the current chunk. */
  #remaining = 0;
  #trailerBytes = 0;

  constructor(sink: BodySink) {
    this.#sink = sink;
  }

  /** Prepares for a body whose first chunk size comes next. */
  begin(): void {
    this.#nextChunk();
    this.#trailerBytes = 0;
  }

  /** Returns the offset just past the body's last byte, NEED_MORE, or PARSE_ERROR. */
  execute(buf: Buffer, start: number, end: number): number {
    let i = start;
    while (i < end) {
      switch (this.#state) {
        case SIZE:
          i = this.#sizeDigits(buf, i, end);
          if (i < 0) return i;
          break;
        case SIZE_LF:
          if (buf[i] !== LF) return this.#fail('LF expected after chunk size');
          this.#sizeLineDone();
          i++;
          break;
        case EXTENSION:
          i = this.#extension(buf, i, end);
          if (i < 0) return i;
          break;
        case DATA:
          i = this.#data(buf, i, end);
          break;
        case DATA_CR: {
          const c = buf[i]!;
          if (c === CR) this.#state = DATA_LF;
          else if (c === LF) this.#nextChunk();
          else return this.#fail('CRLF expected after chunk data');
          i++;
          break;
        }
        case DATA_LF:
          if (buf[i] !== LF) return this.#fail('LF expected after chunk data');
          this.#nextChunk();
          i++;
          break;
        case TRAILER_START:
        case TRAILER_LINE:
        case TRAILER_END_LF:
          i = this.#trailer(buf, i, end);
          if (i < 0) return i;
          break;
        case DONE:
          return i;
        default:
          return this.#fail('unknown state');
      }
    }
    return this.#state === DONE ? i : NEED_MORE;
  }

  /** The chunk size's hex digits, up to the first byte that is not one. */
  #sizeDigits(buf: Buffer, start: number, end: number): number {
    let i = start;
    for (; i < end && this.#state === SIZE; i++) {
      const c = buf[i]!;
      const digit = hexValue(c);
      if (digit >= 0) {
        this.#size = this.#size * 16 + digit;
        this.#digits++;
        if (this.#size > MAX_CHUNK_SIZE) return this.#fail('chunk size too large');
      } else if (this.#digits === 0) {
        return this.#fail('chunk size expected');
      } else if (c === CR) {
        this.#state = SIZE_LF;
      } else if (c === LF) {
        this.#sizeLineDone();
      } else if (c === SEMICOLON || c === SP || c === HT) {
        this.#state = EXTENSION;
      } else {
        return this.#fail('invalid character in chunk size');
      }
    }
    return i;
  }

  /** Extensions (`;name=value`, quoted strings included) are ignored up to the LF. */
  #extension(buf: Buffer, start: number, end: number): number {
    let lf = buf.indexOf(LF, start);
    if (lf >= end) lf = -1;
    if (lf === -1) return NEED_MORE;
    this.#sizeLineDone();
    return lf + 1;
  }

  #data(buf: Buffer, start: number, end: number): number {
    const n = Math.min(this.#remaining, end - start);
    this.#sink.take(buf, start, n);
    this.#remaining -= n;
    if (this.#remaining === 0) this.#state = DATA_CR;
    return start + n;
  }

  /** Skips trailer fields up to the empty line that ends them. */
  #trailer(buf: Buffer, start: number, end: number): number {
    if (this.#state === TRAILER_END_LF) {
      if (buf[start] !== LF) return this.#fail('LF expected after trailers');
      this.#state = DONE;
      return start + 1;
    }
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
      this.#trailerBytes += stop - i;
      if (this.#trailerBytes > MAX_HEAD_BYTES) return this.#fail('trailers too large');
      if (lf === -1) return end;
      this.#state = TRAILER_START;
      i = lf + 1;
    }
    return i;
  }

  #sizeLineDone(): void {
    if (this.#size === 0) {
      this.#state = TRAILER_START;
    } else {
      this.#remaining = this.#size;
      this.#state = DATA;
    }
  }

  #nextChunk(): void {
    this.#size = 0;
    this.#digits = 0;
    this.#state = SIZE;
  }

  #fail(message: string): number {
    this.error = message;
    return PARSE_ERROR;
  }
}
