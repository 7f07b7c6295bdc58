import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * The few parts of WebSocket (RFC 6455) a page that is only ever pushed to needs: the opening
 * handshake, text frames from the server, and of the page's frames only close and ping. The
 * page holds one socket that is not an HTTP request, so any number of tabs can follow a run
 * (a browser gives one host six HTTP/1.1 connections, which six server-sent event streams use
 * up: a seventh tab would not even load).
 */
const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** A page has no reason to send more than a close frame's reason. */
const MAX_INCOMING_BYTES = 4_096;

export class PushSocket {
  readonly #socket: Duplex;
  #incoming: Buffer = Buffer.alloc(0);
  #closed = false;

  private constructor(socket: Duplex) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#read(chunk));
    socket.on('error', () => socket.destroy());
  }

  /** Answers an upgrade request; undefined (and the socket ended with 400) when it is not a WebSocket handshake. */
  static accept(req: IncomingMessage, socket: Duplex): PushSocket | undefined {
    const key = req.headers['sec-websocket-key'];
    if (req.headers.upgrade?.toLowerCase() !== 'websocket' || typeof key !== 'string' || req.headers['sec-websocket-version'] !== '13') {
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
      return undefined;
    }
    const accept = createHash('sha1').update(key + ACCEPT_GUID).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\n\r\n`);
    return new PushSocket(socket);
  }

  /** Bytes written and not yet taken by the kernel: how far behind the page is. */
  get buffered(): number {
    return this.#socket.writableLength;
  }

  onClose(listener: () => void): void {
    this.#socket.once('close', listener);
  }

  send(text: string): void {
    if (this.#closed) return;
    const payload = Buffer.from(text, 'utf8');
    this.#socket.cork();
    this.#socket.write(header(0x1, payload.length));
    this.#socket.write(payload);
    this.#socket.uncork();
  }

  /** A close frame, then the end. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.end(header(0x8, 0));
  }

  destroy(): void {
    this.#closed = true;
    this.#socket.destroy();
  }

  /** The page's frames (masked, as a client's must be): a close is answered and ends it, a ping gets its pong. */
  #read(chunk: Buffer): void {
    this.#incoming = Buffer.concat([this.#incoming, chunk]);
    if (this.#incoming.length > MAX_INCOMING_BYTES) return this.destroy();
    for (;;) {
      const frame = frameOf(this.#incoming);
      if (frame === 'incomplete') return;
      if (frame === 'invalid') return this.destroy();
      this.#incoming = this.#incoming.subarray(frame.length);
      if (frame.opcode === 0x8) return this.close();
      if (frame.opcode === 0x9 && !this.#closed) this.#socket.write(Buffer.concat([header(0xa, frame.payload.length), frame.payload]));
    }
  }
}

/** A final frame's header with `opcode` and a payload of `length` bytes, unmasked (the server's). */
function header(opcode: number, length: number): Buffer {
  if (length < 126) return Buffer.from([0x80 | opcode, length]);
  if (length < 65_536) return Buffer.from([0x80 | opcode, 126, length >> 8, length & 0xff]);
  const b = Buffer.alloc(10);
  b[0] = 0x80 | opcode;
  b[1] = 127;
  b.writeBigUInt64BE(BigInt(length), 2);
  return b;
}

function frameOf(b: Buffer): { opcode: number; payload: Buffer; length: number } | 'incomplete' | 'invalid' {
  if (b.length < 2) return 'incomplete';
  const opcode = b[0]! & 0x0f;
  if ((b[1]! & 0x80) === 0) return 'invalid';
  let length = b[1]! & 0x7f;
  let at = 2;
  if (length === 126) {
    if (b.length < 4) return 'incomplete';
    length = b.readUInt16BE(2);
    at = 4;
  } else if (length === 127) {
    return 'invalid';
  }
  if (b.length < at + 4 + length) return 'incomplete';
  const mask = b.subarray(at, at + 4);
  const payload = Buffer.from(b.subarray(at + 4, at + 4 + length));
  for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
  return { opcode, payload, length: at + 4 + length };
}
