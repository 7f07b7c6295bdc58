/**
 * The engine's stop signal, when it fired before the engine was started: a Ctrl-C or SIGTERM
 * that came while the stack was seeding or the city warming must stop the run before it
 * begins, not let it run its whole length against a stack already torn down.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runEngine } from '../../src/engine/engine.js';
import { MetricsWriter } from '../../src/run-files/metrics.js';

let server: http.Server;
let origin = '';
let requests = 0;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-abort-'));

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    requests++;
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(scratch, { recursive: true, force: true });
});

it('a signal aborted before the engine starts stops the run before its first arrival', async () => {
  const abort = new AbortController();
  abort.abort();
  let started = false;
  const result = await runEngine({
    origin,
    // 30 s at 20/s: run to its end, this would send about 600 requests.
    load: { executor: 'constant-arrival-rate', rate: 20, duration: 30_000, timeUnit: 1_000, maxInFlight: 100, spacing: 'even' },
    journeys: [{ name: 'ping', weight: 1, steps: [{ name: 'ping', request: { method: 'GET', url: '/' } }] }],
    thresholds: [],
    seed: 1,
    workers: 1,
    metrics: new MetricsWriter(path.join(scratch, 'metrics.ndjson')),
    signal: abort.signal,
    onStart: () => {
      started = true;
    },
  });
  expect(result.stopped).toBe('signal');
  expect(started).toBe(false);
  expect(requests).toBe(0);
});
