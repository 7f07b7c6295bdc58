/**
 * gracefulStop, as k6's: when the schedule ends, iterations still running are waited for that
 * long and no longer; what they do after it is not counted, and they are reported as
 * interrupted. Without one, every request in flight is waited for until it times out.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEngine, type EngineOptions } from '../../src/engine/engine.js';
import { constantArrivalRate } from '../../src/engine/executors/constant-arrival-rate.js';
import { MetricsWriter } from '../../src/run-files/metrics.js';

/** A target that answers `/fast` at once and never answers `/hang` (until the test ends). */
let server: http.Server;
let origin = '';
const hanging: http.ServerResponse[] = [];
const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-graceful-'));

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/hang') hanging.push(res);
    else res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  for (const res of hanging) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(scratch, { recursive: true, force: true });
});

/** 10 arrivals over half a second, each one request to `url`. */
function options(url: string, load: Record<string, unknown>, extra: Partial<EngineOptions> = {}): EngineOptions {
  return {
    origin,
    load: constantArrivalRate.validate({ rate: 20, duration: '500ms', maxInFlight: 100, ...load }, 'load'),
    journeys: [{ name: 'one', weight: 1, steps: [{ name: 'one', request: { method: 'GET', url } }] }],
    thresholds: [],
    seed: 1,
    workers: 1,
    metrics: new MetricsWriter(path.join(scratch, `metrics-${Math.random()}.ndjson`)),
    ...extra,
  };
}

const answered = (r: Awaited<ReturnType<typeof runEngine>>): number => Object.values(r.aggregate.counts()).reduce((sum, n) => sum + n, 0);

describe('gracefulStop', () => {
  it('is read as a duration, and a bad one names the field', () => {
    expect(constantArrivalRate.validate({ rate: 1, duration: '1s', gracefulStop: '5s' }, 'load').gracefulStop).toBe(5_000);
    expect(constantArrivalRate.validate({ rate: 1, duration: '1s' }, 'load').gracefulStop).toBeUndefined();
    expect(() => constantArrivalRate.validate({ rate: 1, duration: '1s', gracefulStop: 'soon' }, 'load')).toThrow(/load\.gracefulStop/);
  });

  it('iterations still running at the end are waited for that long, then counted as interrupted, not as requests', async () => {
    // The request timeout is far beyond the test: only gracefulStop can end these iterations.
    const result = await runEngine(options('/hang', { gracefulStop: '200ms' }, { timeoutMs: 600_000 }));
    expect(result.interrupted).toBe(10);
    expect(answered(result)).toBe(0);
  });

  it('iterations that end within it are counted and none is interrupted', async () => {
    const result = await runEngine(options('/fast', { gracefulStop: '10s' }));
    expect(result.interrupted).toBe(0);
    expect(result.aggregate.counts().ok).toBe(10);
  });

  it('without one, a request in flight at the end is waited for until it times out', async () => {
    const result = await runEngine(options('/hang', {}, { timeoutMs: 300 }));
    expect(result.interrupted).toBe(0);
    expect(result.aggregate.counts().timeout).toBe(10);
  });
});
