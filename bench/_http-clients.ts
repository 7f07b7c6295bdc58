import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import { Client } from '../src/engine/http/index.js';
import { say } from './_util.js';

/** The clients `bench http-client` compares, each ready to send one request and say whether it was answered. */
// Idle keep-alive sockets stay open between rounds: connecting is not what is measured here.
export const CONNECTIONS = 10;

/** The part of undici's Dispatcher that the bench calls. */
interface UndiciDispatcher {
  request(options: { origin: string; path: string; method: string }): Promise<{ statusCode: number; body: { dump(): Promise<void> } }>;
}


export interface Contender {
  readonly name: string;
  readonly note: string;
  readonly pacing: 'even' | 'bursts';
  readonly send: () => Promise<boolean>;
}

export async function setUp(url: string, port: number, cleanups: (() => unknown)[]): Promise<Contender[]> {
  const client = new Client(url, { connections: CONNECTIONS, timeoutMs: 5_000 });
  cleanups.push(() => client.close());
  const spec = { method: 'GET', path: '/' } as const;
  const viaClient = () => client.request(spec).then((r) => r.outcome === 'ok');

  const floor = await bareSockets(port);
  cleanups.push(floor.close);

  const viaFetch = () =>
    fetch(url).then(async (r) => {
      await r.arrayBuffer();
      return r.status === 200;
    });
  await viaFetch();
  // undici is not a dependency; Node's bundled copy keeps its global dispatcher (created by
  // the first fetch) under undici's cross-version symbol, and that dispatcher has request().
  const dispatcher = (globalThis as Record<symbol, unknown>)[Symbol.for('undici.globalDispatcher.1')] as UndiciDispatcher | undefined;
  const origin = `http://127.0.0.1:${port}`;
  const viaUndici =
    typeof dispatcher?.request === 'function'
      ? () =>
          dispatcher.request({ origin, path: '/', method: 'GET' }).then(async (r) => {
            await r.body.dump();
            return r.statusCode === 200;
          })
      : undefined;
  if (viaUndici === undefined) say("bench http-client: Node's bundled undici exposes no request(): skipped");

  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  cleanups.push(() => agent.destroy());
  const viaHttp = () =>
    new Promise<boolean>((resolve) => {
      const req = http.get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200));
      });
      req.on('error', () => resolve(false));
    });

  const undici = process.versions.undici ?? '?';
  const pools = await undiciPools(origin, cleanups);
  return [
    { name: 'codestorm Client', note: 'evenly spaced', pacing: 'even', send: viaClient },
    { name: 'bare sockets (floor)', note: 'evenly spaced, a read = a response', pacing: 'even', send: floor.send },
    { name: 'scheduler alone', note: 'evenly spaced, no I/O', pacing: 'even', send: () => Promise.resolve(true) },
    ...(viaUndici === undefined ? [] : [{ name: 'undici request()', note: `evenly spaced, Node's bundled undici ${undici}`, pacing: 'even' as const, send: viaUndici }]),
    ...pools,
    { name: 'fetch', note: `evenly spaced, Node's bundled undici ${undici}`, pacing: 'even', send: viaFetch },
    { name: 'node:http Agent', note: 'evenly spaced', pacing: 'even', send: viaHttp },
    { name: 'codestorm Client, bursts', note: "autocannon's -R pacing", pacing: 'bursts', send: viaClient },
  ];
}

/** undici's Pool through request() and dispatch(), each on a pool of its own; none when undici is not installed. */
async function undiciPools(origin: string, cleanups: (() => unknown)[]): Promise<Contender[]> {
  let undici: typeof import('undici');
  try {
    undici = await import('undici');
  } catch {
    say('bench http-client: undici is not installed (npm ci installs it): its Pool rows skipped');
    return [];
  }
  const version = (createRequire(import.meta.url)('undici/package.json') as { version: string }).version;
  const pool = (): InstanceType<typeof undici.Pool> => {
    const p = new undici.Pool(origin, { connections: CONNECTIONS, pipelining: 1 });
    cleanups.push(() => p.close());
    return p;
  };
  const forRequest = pool();
  const viaRequest = () =>
    forRequest.request({ path: '/', method: 'GET' }).then(
      async (r) => {
        await r.body.dump();
        return r.statusCode === 200;
      },
      () => false,
    );
  const forDispatch = pool();
  const viaDispatch = () =>
    new Promise<boolean>((resolve) => {
      let status = 0;
      forDispatch.dispatch(
        { path: '/', method: 'GET' },
        // The callbacks undici 7's Client calls itself (a handler written in its newer
        // onRequestStart/onResponse* form is adapted to these first): dispatch at its cheapest.
        {
          onConnect: () => undefined,
          onHeaders: (statusCode) => {
            status = statusCode;
            return true;
          },
          onData: () => true,
          onComplete: () => resolve(status === 200),
          onError: () => resolve(false),
        },
      );
    });
  const note = `evenly spaced, undici ${version}, ${CONNECTIONS} connections, pipelining 1`;
  return [
    { name: 'undici Pool request()', note, pacing: 'even', send: viaRequest },
    { name: 'undici Pool dispatch()', note, pacing: 'even', send: viaDispatch },
  ];
}

/**
 * The least a socket client can do: a pool of kept-alive sockets writing one fixed request,
 * each read taken as the whole response (true of this server's 130-byte answers).
 */
async function bareSockets(port: number): Promise<{ send: () => Promise<boolean>; close: () => void }> {
  const request = Buffer.from(`GET / HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n\r\n`, 'latin1');
  const buffer = Buffer.allocUnsafe(64 * 1024);
  const sockets: net.Socket[] = [];
  const idle: net.Socket[] = [];
  const waiting = new Map<net.Socket, (ok: boolean) => void>();
  const queue: ((socket: net.Socket) => void)[] = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const socket: net.Socket = net.connect({
      host: '127.0.0.1',
      port,
      noDelay: true,
      onread: {
        buffer,
        callback: (bytes: number) => {
          const done = waiting.get(socket);
          if (done === undefined) return true;
          waiting.delete(socket);
          const next = queue.shift();
          if (next !== undefined) next(socket);
          else idle.push(socket);
          done(bytes > 12 && buffer[9] === 50); // "HTTP/1.1 2"
          return true;
        },
      },
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      waiting.get(socket)?.(false);
      waiting.delete(socket);
    });
    await new Promise((resolve) => socket.once('connect', resolve));
    sockets.push(socket);
    idle.push(socket);
  }
  const send = () =>
    new Promise<boolean>((resolve) => {
      const go = (socket: net.Socket): void => {
        waiting.set(socket, resolve);
        socket.write(request);
      };
      // Round robin, so that no socket idles into the server's keep-alive timeout.
      const socket = idle.shift();
      if (socket === undefined) queue.push(go);
      else go(socket);
    });
  return { send, close: () => sockets.forEach((s) => s.destroy()) };
}
