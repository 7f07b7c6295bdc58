/**
 * Where a response's body goes: always counted, and copied only when the request asked for it,
 * because the parser's caller reuses the buffer it reads into as soon as a parse returns.
 */
export class BodySink {
  /** Body bytes, after removing any chunked framing. */
  bytes = 0;
  #parts: Buffer[] | null = null;

  /** Empties it for the next response; `keep`: copy the bytes, not only count them. */
  reset(keep: boolean): void {
    this.bytes = 0;
    this.#parts = keep ? [] : null;
  }

  take(buf: Buffer, start: number, n: number): void {
    this.bytes += n;
    if (this.#parts !== null && n > 0) this.#parts.push(Buffer.from(buf.subarray(start, start + n)));
  }

  /** The body as UTF-8 text, when reset() was asked to keep it; '' otherwise. */
  text(): string {
    const parts = this.#parts;
    if (parts === null || parts.length === 0) return '';
    return (parts.length === 1 ? parts[0]! : Buffer.concat(parts)).toString('utf8');
  }
}
