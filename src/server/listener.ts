import net from 'node:net';
import { getSystemErrorName } from 'node:util';

/**
 * The public port's listening socket, and the copies of it a worker accepts on.
 *
 * The primary binds the socket once and never listens on it itself, so it outlives any worker:
 * connections that arrive while the operators restart a worker wait in the kernel's queue for
 * the next one, as they did with Node's cluster sharing (cluster.SCHED_NONE), which binds the
 * same way. Each worker is sent `acceptsPerTurn` copies of it (each a descriptor of its own,
 * passed over the IPC channel) and listens on every one. Node accepts one connection per
 * descriptor per turn of the event loop (libuv/libuv#3696), so n copies accept up to n a turn.
 */

/** What a worker is sent with each copy. */
export interface ListenerMessage {
  readonly listener: number;
  readonly of: number;
}

/** The most copies a worker listens on: each is a descriptor, and a turn tries each once. */
export const MAX_ACCEPTS_PER_TURN = 1_024;

/** Copies of the socket a worker listens on: 0 and 1 both mean Node's one accept a turn. */
export function copiesFor(acceptsPerTurn: number): number {
  return Math.min(MAX_ACCEPTS_PER_TURN, Math.max(1, Math.floor(acceptsPerTurn)));
}

/** A TCP handle as Node's net module makes them (opaque here: it is only passed on). */
export type ListenHandle = object;

interface NetInternals {
  _createServerHandle?: (address: string, port: number, addressType: number) => ListenHandle | number;
}

/**
 * Binds host:port without listening, as Node's cluster primary does for its workers: through
 * net's own `_createServerHandle`, the one way Node offers to hold a socket that a process does
 * not accept on. Throws naming the address when it cannot be bound.
 */
export function bindListenHandle(host: string, port: number): ListenHandle {
  const create = (net as unknown as NetInternals)._createServerHandle;
  if (typeof create !== 'function') throw new Error(`this Node (${process.version}) has no net._createServerHandle: the server cannot share its port with its workers`);
  const family = net.isIP(host);
  if (family === 0) throw new Error(`cannot listen on ${host}: expected an IP address`);
  const handle = create(host, port, family);
  if (typeof handle === 'number') throw new Error(`cannot listen on ${host}:${port}: ${getSystemErrorName(handle)}`);
  return handle;
}

/**
 * Listens on each copy and hands every connection to `onConnection` (an HTTP server's
 * 'connection' event). Resolves with the servers once all listen, so they can be closed.
 */
export async function listenOnCopies(handles: readonly ListenHandle[], backlog: number, onConnection: (socket: net.Socket) => void): Promise<net.Server[]> {
  return Promise.all(
    handles.map(
      (handle) =>
        new Promise<net.Server>((resolve, reject) => {
          // As Node's HTTP server accepts (its noDelay default): answers are not held back by Nagle.
          const server = net.createServer({ noDelay: true }, onConnection);
          server.once('error', reject);
          server.listen(handle, backlog, () => {
            server.off('error', reject);
            resolve(server);
          });
        }),
    ),
  );
}
