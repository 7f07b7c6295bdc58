import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultSchema, type FaultSpec } from '../../src/faults/schema.js';
import { KINDS } from '../../src/faults/timeline.js';
import { createRandom } from '../../src/engine/random.js';
import { freePort } from '../../src/stack/ports.js';
import { Teardown } from '../../src/stack/teardown.js';
import { ToxiproxyCallError, ToxiproxyControl } from '../../src/stack/toxiproxy-control.js';
import { startToxiproxy, type ToxiproxyHandle } from '../../src/stack/toxiproxy.js';

/**
 * The control client against a real toxiproxy-server, every call through toxiproxy-node-client
 * 4.1.0: what it does, the status and body its errors carry, and its deadline when the API
 * stalls — with a real HTTP proxy in front of the API that holds chosen requests or answers.
 */
type Hold = 'request' | 'response' | undefined;

/** An HTTP proxy in front of Toxiproxy's API; `hold` picks requests to stall, by method and path. */
async function stallingProxy(upstream: string, hold: (method: string, url: string) => Hold) {
  const target = new URL(upstream);
  const held: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    const how = hold(req.method ?? '', req.url ?? '');
    if (how === 'request') {
      held.push(res); // never forwarded: the API "hangs" before acting
      req.resume();
      return;
    }
    const forward = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        if (how === 'response') {
          answer.resume(); // acted on, but the answer never comes back
          held.push(res);
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    held: () => held.length,
    close: () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A TCP echo server: what the proxies sit in front of. */
async function echoServer(): Promise<{ port: number; close: () => void }> {
  const server = net.createServer((socket) => socket.pipe(socket));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

/** One round trip through host:port, in ms. */
function roundTrip(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect({ port, host: '127.0.0.1' }, () => socket.write('ping'));
    socket.once('data', () => {
      socket.destroy();
      resolve(performance.now() - started);
    });
    socket.once('error', reject);
  });
}

const spec = (raw: Record<string, unknown>): FaultSpec => faultSchema.parse({ at: '+0s', duration: '10s', ...raw });

describe('ToxiproxyControl on a real toxiproxy-server', () => {
  const teardown = new Teardown();
  let toxiproxy: ToxiproxyHandle;
  let echo: { port: number; close: () => void };
  let client: ToxiproxyControl;
  let listen: number;

  beforeAll(async () => {
    toxiproxy = await startToxiproxy(teardown, () => {});
    echo = await echoServer();
    client = toxiproxy.client;
    listen = await freePort();
    await client.createProxy({ name: 'echo', listen: `127.0.0.1:${listen}`, upstream: `127.0.0.1:${echo.port}` });
  });

  afterAll(async () => {
    echo?.close();
    await teardown.run();
  });

  it('drives proxies and typed toxics through the package, and they act on real traffic', async () => {
    expect(await client.version()).toMatch(/^[\w.-]+$/); // the version itself, not the JSON around it
    const before = await roundTrip(listen);
    const added = await client.addToxic('echo', { name: 'slow', type: 'latency', stream: 'downstream', attributes: { latency: 250, jitter: 0 } });
    expect(added).toEqual({ name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 250, jitter: 0 } });
    expect((await client.getProxy('echo')).toxics.map((t) => t.name)).toEqual(['slow']);
    expect(await roundTrip(listen)).toBeGreaterThanOrEqual(240);
    await client.removeToxic('echo', 'slow');
    expect((await client.getProxy('echo')).toxics).toEqual([]);
    expect(await roundTrip(listen)).toBeLessThan(before + 150);

    expect((await client.setEnabled('echo', false)).enabled).toBe(false);
    await expect(roundTrip(listen)).rejects.toThrow();
    await client.addToxic('echo', { name: 'cut', type: 'reset_peer', stream: 'upstream', toxicity: 0.5, attributes: { timeout: 0 } });
    await client.reset();
    const after = await client.getProxy('echo');
    expect(after.enabled).toBe(true);
    expect(after.toxics).toEqual([]);
  });

  it('errors carry the status and the server\'s body', async () => {
    const missing = await client.getProxy('nope').catch((err: unknown) => err);
    expect(missing).toBeInstanceOf(ToxiproxyCallError);
    expect(missing).toMatchObject({ code: 'TOXIPROXY_FAILED', status: 404, body: expect.stringContaining('proxy not found') });
    expect((missing as Error).message).toBe('Toxiproxy GET /proxies/nope answered 404: {"error":"proxy not found","status":404}');
    const twice = await client.createProxy({ name: 'echo', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` }).catch((err: unknown) => err);
    expect(twice).toMatchObject({ status: 409, body: expect.stringContaining('proxy already exists') });
    const unreachable = await new ToxiproxyControl('http://127.0.0.1:9', 1_000).reset().catch((err: unknown) => err);
    expect(unreachable).toMatchObject({ code: 'TOXIPROXY_UNREACHABLE', status: undefined });
  });

  it('refuses a name that would need encoding in a path, before sending anything', async () => {
    await expect(client.getProxy('a b/c')).rejects.toMatchObject({ code: 'TOXIPROXY_NAME_INVALID', exitCode: 2 });
    await expect(client.removeToxic('echo', '../x')).rejects.toMatchObject({ code: 'TOXIPROXY_NAME_INVALID' });
  });

  it('gives up on a stalled call at its deadline, and the caller is free at once', async () => {
    const stall = await stallingProxy(toxiproxy.apiUrl, (method) => (method === 'POST' ? 'request' : undefined));
    try {
      const stalled = new ToxiproxyControl(stall.url, 300);
      const started = performance.now();
      const err = await stalled.addToxic('echo', { name: 'never', type: 'timeout', stream: 'downstream', attributes: { timeout: 0 } }).catch((e: unknown) => e);
      const ms = performance.now() - started;
      expect(err).toMatchObject({ code: 'TOXIPROXY_DEADLINE' });
      expect((err as Error).message).toMatch(/no answer within 300 ms \(the change may still happen\)/);
      expect(ms).toBeGreaterThanOrEqual(290);
      expect(ms).toBeLessThan(2_000); // the deadline, not a library default or a hang
      expect(stall.held()).toBe(1);
      // What is not stalled still answers through the same proxy.
      expect((await stalled.getProxy('echo')).toxics).toEqual([]);
    } finally {
      await stall.close();
    }
  });

  it('a network fault whose begin stalls after Toxiproxy acted is taken off again, and the run is told', async () => {
    // The toxic is added, but the answer never comes back: the deadline fires, the fault undoes itself.
    const stall = await stallingProxy(toxiproxy.apiUrl, (method, url) => (method === 'POST' && url.endsWith('/toxics') ? 'response' : undefined));
    try {
      const controllers = { toxiproxy: new ToxiproxyControl(stall.url, 400) };
      const begin = KINDS.network.begin(spec({ kind: 'network', link: 'echo', toxic: 'latency', attributes: { latency: 5_000 } }), controllers, createRandom(1));
      await expect(begin).rejects.toMatchObject({ code: 'TOXIPROXY_DEADLINE' });
      expect((await client.getProxy('echo')).toxics).toEqual([]);
    } finally {
      await stall.close();
    }
  });

  it('an undo whose DELETE stalls falls back to /reset, and the toxic is gone', async () => {
    const stall = await stallingProxy(toxiproxy.apiUrl, (method) => (method === 'DELETE' ? 'request' : undefined));
    try {
      const controllers = { toxiproxy: new ToxiproxyControl(stall.url, 400) };
      const fault = await KINDS.network.begin(spec({ kind: 'network', link: 'echo', toxic: 'latency', attributes: { latency: 300 } }), controllers, createRandom(1));
      expect((await client.getProxy('echo')).toxics).toHaveLength(1);
      expect(await roundTrip(listen)).toBeGreaterThanOrEqual(290);
      const undone = await fault.undo();
      expect(undone).toMatchObject({ reset: true, because: expect.stringMatching(/DELETE \/proxies\/echo\/toxics\/codestorm-latency-[0-9a-f]{8}: no answer within 400 ms/) });
      expect(stall.held()).toBe(1);
      expect((await client.getProxy('echo')).toxics).toEqual([]);
    } finally {
      await stall.close();
    }
  });
});

describe('network fault attributes', () => {
  it('are checked against the toxic\'s own names before anything starts', () => {
    const bad = faultSchema.safeParse({ kind: 'network', link: 'postgres', toxic: 'latency', attributes: { latancy: 300 }, at: '+1s', duration: '1s' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(['attributes.latancy: unknown attribute for latency: expected latency, jitter']);
    const link = faultSchema.safeParse({ kind: 'network', link: 'pg/main', toxic: 'down', at: '+1s', duration: '1s' });
    expect(link.error?.issues.map((i) => i.path.join('.'))).toEqual(['link']);
  });
});
