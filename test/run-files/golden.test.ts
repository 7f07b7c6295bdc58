import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readEvents } from '../../src/run-files/index.js';
import { startRedis } from '../../src/stack/redis.js';
import { Teardown } from '../../src/stack/teardown.js';
import { captureIO } from '../helpers/io.js';

/**
 * Golden: `codestorm report RUN_DIR` on a run directory that `codestorm run` just wrote renders
 * the same summary.json. The run has a fault (a Redis flush, through REDIS_URL), so the fault
 * windows the analysis uses must come from the same place both times (events.ndjson).
 */
/** Fields of summary.json that may legitimately differ between the run and a re-render: none. */
const DIFFERING_FIELDS: readonly string[] = [];

const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-golden-'));
const teardown = new Teardown();
let server: http.Server;
let origin = '';
let redisUrl = '';

beforeAll(async () => {
  redisUrl = (await startRedis(teardown)).url;
  // Slow from about when the fault begins to after it ends, so the SLO breaks and the fault
  // has a recovery for the analysis to measure.
  let first: number | undefined;
  server = http.createServer((_req, res) => {
    first ??= Date.now();
    const since = Date.now() - first;
    const wait = since >= 1_000 && since < 2_300 ? 600 : 0;
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'), wait);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await teardown.run();
  rmSync(scratch, { recursive: true, force: true });
});

function without(summary: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(summary).filter(([k]) => !fields.includes(k)));
}

describe('a run directory re-rendered by `codestorm report`', () => {
  it('has the summary.json the run wrote, fault recovery included', async () => {
    const file = path.join(scratch, 'golden.yaml');
    writeFileSync(
      file,
      `name: golden
seed: 11
target: ${origin}
load: { executor: constant-arrival-rate, rate: 40, duration: 4s }
journeys:
  - name: ping
    steps:
      - name: get
        request: { url: "/thing" }
faults:
  - { name: flush, kind: cache-corruption, mode: flush, at: "+1s", duration: 1s }
thresholds:
  http_req_failed: ["rate<0.01"]
slo:
  window: 1s
  sustain: 1s
  http_req_duration: ["p(99)<300"]
`,
    );
    const dir = path.join(scratch, 'run');
    const env = { ...process.env, REDIS_URL: redisUrl };
    const ran = captureIO(env);
    const code = await main(['run', file, '--out', dir, '--quiet', '--workers', '1'], ran);
    expect(code, ran.err()).toBe(0);
    const written = readFileSync(path.join(dir, 'summary.json'), 'utf8');
    const first = JSON.parse(written) as Record<string, unknown> & { faults: { name: string; startS: number | null; endS: number | null; recoveryS: number | null }[] };
    // The fault happened, and the events tell its window.
    expect(first.faults).toHaveLength(1);
    expect(first.faults[0]).toMatchObject({ name: 'flush', failed: null });
    expect(first.faults[0]!.startS).not.toBeNull();
    expect(first.faults[0]!.endS).not.toBeNull();
    expect(readEvents(path.join(dir, 'events.ndjson')).map((e) => e.event)).toEqual(['run-start', 'fault-begin', 'fault-end', 'run-end']);
    expect(first.slo).not.toBeNull();
    expect(first.breakingPoint).not.toBeNull();
    expect(first.faults[0]!.recoveryS).not.toBeNull();

    const reported = captureIO(env);
    expect(await main(['report', dir], reported), reported.err()).toBe(0);
    const again = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as Record<string, unknown>;
    expect(without(again, DIFFERING_FIELDS)).toEqual(without(first, DIFFERING_FIELDS));
    // Nothing differs, so not even the bytes do.
    expect(readFileSync(path.join(dir, 'summary.json'), 'utf8')).toBe(written);
  }, 60_000);
});
