import { createReadStream, existsSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { invalidInput } from '../errors.js';
import type { LiveSnapshot, LiveUpdate } from './protocol.js';
import { PushSocket } from './websocket.js';

/**
 * The dashboard's HTTP server, Node's own `http`, on 127.0.0.1 only:
 *
 *   GET /           the page (Chart.js inlined, as report.html has it)
 *   GET /snapshot   everything so far, JSON (LiveSnapshot)
 *   GET /live       a WebSocket the server pushes each change down (LiveUpdate as JSON), in order
 *   GET /report     the run directory's report, once the run has written it
 *
 * Safety and load: an update larger than MAX_UPDATE_BYTES is not sent (its pages are told to
 * load the snapshot again instead); a page whose socket holds more than MAX_BUFFERED_BYTES unsent
 * (a browser that stopped reading) is dropped, never buffered for; at most MAX_PAGES follow at
 * once; and a request whose Host (or a WebSocket's Origin) is not this address is refused, so
 * that a web page elsewhere cannot read the dashboard through a name that resolves to 127.0.0.1
 * (DNS rebinding). Every update is serialised once, whatever the number of pages.
 */
export const MAX_UPDATE_BYTES = 256 * 1024;
export const MAX_BUFFERED_BYTES = 1024 * 1024;
export const MAX_PAGES = 32;

export interface ServerOptions {
  /** 0: a free port. */
  readonly port: number;
  readonly page: string;
  readonly snapshot: () => LiveSnapshot;
  /** The file GET /report serves, if it exists yet. */
  readonly report: () => string | undefined;
}

export class DashboardServer {
  readonly url: string;
  readonly #server: http.Server;
  readonly #pages = new Set<PushSocket>();
  readonly #o: ServerOptions;
  readonly #origins: readonly string[];
  #dropped = 0;

  private constructor(server: http.Server, options: ServerOptions) {
    this.#server = server;
    this.#o = options;
    const port = (server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${port}/`;
    this.#origins = [`127.0.0.1:${port}`, `localhost:${port}`];
  }

  static async start(options: ServerOptions): Promise<DashboardServer> {
    let self: DashboardServer | undefined;
    const server = http.createServer((req, res) => {
      if (self !== undefined) self.#handle(req, res);
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
      if (self === undefined) socket.destroy();
      else self.#follow(req, socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'EADDRINUSE' ? invalidInput('FLAG_INVALID', `--dashboard=${options.port}: 127.0.0.1:${options.port} is in use`, 'give another port, or --dashboard alone for a free one') : err),
      );
      server.listen(options.port, '127.0.0.1', resolve);
    });
    self = new DashboardServer(server, options);
    return self;
  }

  /** Pages following now. */
  get pages(): number {
    return this.#pages.size;
  }

  /** Pages dropped for not reading their updates. */
  get dropped(): number {
    return this.#dropped;
  }

  publish(update: LiveUpdate): void {
    let data = JSON.stringify(update);
    if (data.length > MAX_UPDATE_BYTES) data = JSON.stringify({ seq: update.seq, reload: true } satisfies LiveUpdate);
    for (const page of this.#pages) {
      if (page.buffered > MAX_BUFFERED_BYTES) {
        this.#dropped++;
        this.#pages.delete(page);
        page.destroy();
      } else {
        page.send(data);
      }
    }
  }

  async close(): Promise<void> {
    for (const page of this.#pages) page.close();
    this.#pages.clear();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    if (!this.#origins.includes(req.headers.host ?? '')) return plain(res, 403, 'forbidden: open the dashboard at its own address\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'GET only\n');
    const { pathname } = new URL(req.url ?? '/', this.url);
    switch (pathname) {
      case '/':
        return send(res, 200, 'text/html; charset=utf-8', this.#o.page);
      case '/snapshot':
        return send(res, 200, 'application/json', JSON.stringify(this.#o.snapshot()));
      case '/live':
        return plain(res, 426, 'a WebSocket: the page opens it\n');
      case '/report': {
        const file = this.#o.report();
        if (file === undefined || !existsSync(file)) return plain(res, 404, 'no report yet: the run writes it at its end\n');
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        createReadStream(file).pipe(res);
        return;
      }
      default:
        return plain(res, 404, 'not found\n');
    }
  }

  /** A page's WebSocket, from this page (its Origin) only, up to MAX_PAGES at once. */
  #follow(req: IncomingMessage, socket: Duplex): void {
    const refuse = (status: string) => socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    const origin = req.headers.origin;
    if (!this.#origins.includes(req.headers.host ?? '') || (origin !== undefined && !this.#origins.some((o) => origin === `http://${o}`))) return void refuse('403 Forbidden');
    if (new URL(req.url ?? '/', this.url).pathname !== '/live') return void refuse('404 Not Found');
    if (this.#pages.size >= MAX_PAGES) return void refuse('503 Service Unavailable');
    const page = PushSocket.accept(req, socket);
    if (page === undefined) return;
    (socket as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    this.#pages.add(page);
    page.onClose(() => this.#pages.delete(page));
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function plain(res: ServerResponse, status: number, text: string): void {
  send(res, status, 'text/plain; charset=utf-8', text);
}
