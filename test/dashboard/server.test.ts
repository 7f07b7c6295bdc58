import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { LiveSnapshot } from '../../src/dashboard/protocol.js';
import { DashboardServer, MAX_BUFFERED_BYTES, MAX_PAGES, MAX_UPDATE_BYTES } from '../../src/dashboard/server.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The dashboard's server: loopback only, its own Host (and Origin) only, GET only; each update
 * pushed once to every page in order, an oversized one turned into "load the snapshot again", a
 * page that stops reading dropped instead of buffered for, and no more than MAX_PAGES at once.
 */
const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-dash-server-'));
const report = path.join(scratch, 'report.html');
const SNAPSHOT: LiveSnapshot = { seq: 7, mode: 'run', charts: [], panel: { title: 't', meta: '', state: 'running', clock: '', figures: [], notes: [], tables: [], end: null } };
let server: DashboardServer | undefined;
const closers: (() => void)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await server?.close();
  server = undefined;
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const start = async () => (server = await DashboardServer.start({ port: 0, page: '<!doctype html><p>page</p>', snapshot: () => SNAPSHOT, report: () => report }));

function get(url: string, pathname: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(pathname, url), { method, headers }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A page following /live: the messages it has received. */
function page(url: string, origin = url.replace(/\/$/, '')): { messages: string[]; closed: () => boolean } {
  const ws = new WebSocket(url.replace('http:', 'ws:') + 'live', { headers: { origin } } as never);
  const messages: string[] = [];
  let closed = false;
  ws.addEventListener('message', (e) => messages.push(String(e.data)));
  ws.addEventListener('close', () => (closed = true));
  closers.push(() => ws.close());
  return { messages, closed: () => closed };
}

/** A browser that opened the socket and then stopped reading it. */
function stalled(url: string): void {
  const { port } = new URL(url);
  const socket = net.connect(Number(port), '127.0.0.1');
  closers.push(() => socket.destroy());
  socket.write(`GET /live HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  socket.pause();
}

describe('DashboardServer', () => {
  it('serves the page, the snapshot and the report on 127.0.0.1, to its own Host only', async () => {
    const s = await start();
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await get(s.url, '/')).toEqual({ status: 200, body: '<!doctype html><p>page</p>' });
    expect(JSON.parse((await get(s.url, '/snapshot')).body)).toEqual(SNAPSHOT);
    expect((await get(s.url, '/report')).status).toBe(404);
    writeFileSync(report, '<title>the report</title>');
    expect(await get(s.url, '/report')).toEqual({ status: 200, body: '<title>the report</title>' });
    expect((await get(s.url, '/', { host: 'rebound.example.com' })).status).toBe(403);
    expect((await get(s.url, '/', {}, 'POST')).status).toBe(405);
    expect((await get(s.url, '/nothing')).status).toBe(404);
  });

  it('pushes each update to every page, an oversized one as "load the snapshot again"; no other page may follow', async () => {
    const s = await start();
    const a = page(s.url);
    const b = page(s.url);
    const elsewhere = page(s.url, 'http://evil.example.com');
    await waitFor('two pages', () => (s.pages === 2 ? true : undefined));
    s.publish({ seq: 8, annotations: { x: 1 } });
    s.publish({ seq: 9, notes: 'x'.repeat(MAX_UPDATE_BYTES) } as never);
    for (const p of [a, b]) {
      await waitFor('both updates', () => (p.messages.length === 2 ? true : undefined));
      expect(p.messages).toEqual(['{"seq":8,"annotations":{"x":1}}', '{"seq":9,"reload":true}']);
    }
    await waitFor('the other origin refused', () => (elsewhere.closed() ? true : undefined));
    expect(elsewhere.messages).toEqual([]);
    await s.close();
    await waitFor('the pages told of the close', () => (a.closed() && b.closed() ? true : undefined));
  });

  it('drops a page that stops reading rather than buffer for it', async () => {
    const s = await start();
    const reader = page(s.url);
    stalled(s.url);
    await waitFor('two pages', () => (s.pages === 2 ? true : undefined));
    // Far more than the kernel's socket buffers and MAX_BUFFERED_BYTES hold.
    const big = 'y'.repeat(MAX_UPDATE_BYTES - 100);
    for (let seq = 1; s.dropped === 0 && seq < 400; seq++) {
      s.publish({ seq, panel: { big } } as never);
      await new Promise((r) => setImmediate(r));
    }
    expect(s.dropped).toBe(1);
    expect(s.pages).toBe(1);
    await waitFor('the reader still served', () => (reader.messages.length * MAX_UPDATE_BYTES > MAX_BUFFERED_BYTES ? true : undefined));
  });

  it(`lets at most ${MAX_PAGES} pages follow at once`, async () => {
    const s = await start();
    for (let i = 0; i < MAX_PAGES; i++) page(s.url);
    await waitFor('every page', () => (s.pages === MAX_PAGES ? true : undefined));
    const one = page(s.url);
    await waitFor('one too many refused', () => (one.closed() ? true : undefined));
    expect(s.pages).toBe(MAX_PAGES);
  });

  it('refuses a port in use as invalid input', async () => {
    const s = await start();
    const port = Number(new URL(s.url).port);
    await expect(DashboardServer.start({ port, page: '', snapshot: () => SNAPSHOT, report: () => undefined })).rejects.toMatchObject({ code: 'FLAG_INVALID', exitCode: 2 });
  });
});
