import http from 'node:http';

/**
 * A seeded bug, for a test only: a front for POST /api/v1/lab/results that answers the lab 200 at
 * once and queues the request, to forward it to the real server later (write-behind: the
 * acknowledgement comes before the commit). Everything else passes through. `crash()` ends it
 * the way a crash would, with its queue unsent: what it acknowledged and still held is lost.
 */
export interface WriteBehindLab {
  readonly url: string;
  crash(): Promise<void>;
}

const FLUSH_EVERY_MS = 60_000;

export async function writeBehindLab(upstream: string): Promise<WriteBehindLab> {
  const queue: { path: string; headers: Record<string, string>; body: string }[] = [];
  const forward = async (method: string, path: string, headers: Record<string, string>, body: string | undefined): Promise<Response> =>
    fetch(new URL(path, upstream), { method, headers, ...(body === undefined || method === 'GET' ? {} : { body }), signal: AbortSignal.timeout(10_000) });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers: Record<string, string> = {};
      for (const k of ['authorization', 'content-type']) if (typeof req.headers[k] === 'string') headers[k] = req.headers[k];
      if (req.method === 'POST' && req.url === '/api/v1/lab/results') {
        queue.push({ path: req.url, headers, body });
        const { tube, result } = JSON.parse(body) as { tube: string; result: string };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ tube, result, members: 0, codesChanged: 0 }));
        return;
      }
      forward(req.method ?? 'GET', req.url ?? '/', headers, body).then(
        async (r) => res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' }).end(await r.text()),
        () => res.writeHead(502).end(),
      );
    });
  });
  const flusher = setInterval(() => {
    for (const q of queue.splice(0)) void forward('POST', q.path, q.headers, q.body).catch(() => {});
  }, FLUSH_EVERY_MS);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    async crash() {
      if (!server.listening) return;
      clearInterval(flusher);
      queue.length = 0;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
