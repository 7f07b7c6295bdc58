import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportK6, type ExportResult } from '../../src/k6/export.js';
import { loadScenario } from '../../src/scenario/load.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { loadScript, runScenarios } from './k6-test-double/runner.js';
import type { Recording } from './k6-test-double/recorder.js';

/**
 * The exported script.js, run under the k6 test double (not k6: it cannot be installed here)
 * against the reference stack: a small city (test/fixtures/k6-small-city.yaml), 8 s of residents
 * opening their code, played open-model from the exported ramping-arrival-rate stages.
 */
const FIXTURE = 'test/fixtures/k6-small-city.yaml';

let t: TestStack;
let dir: string;
let result: ExportResult;
let recording: Recording;
let planned: number;

beforeAll(async () => {
  const loaded = await loadScenario(FIXTURE);
  const city = loaded.city!;
  planned = city.streams[0]!.scaled.arrivals;
  // The server holds the residents the script makes: same seed, same count.
  t = await startTestStack({ residents: city.population.residents, seed: loaded.scenario.seed! });
  dir = await mkdtemp(path.join(tmpdir(), 'codestorm-k6-run-'));
  result = await exportK6(loaded, { outDir: dir, parallelism: 2 });
  const script = await loadScript(path.join(dir, 'script.js'), { TARGET: t.stack.url });
  recording = await runScenarios(script);
}, 180_000);

afterAll(async () => {
  await t?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('export k6: the script under the k6 test double, against the reference server', () => {
  it('starts the planned arrivals (±2 %), none dropped, none failing', () => {
    const scenario = Object.keys(result.load.scenarios)[0]!;
    const counts = recording.iterations[scenario]!;
    expect(counts.errors).toEqual([]);
    expect(counts.dropped).toBe(0);
    expect(Math.abs(counts.started - planned) / planned).toBeLessThanOrEqual(0.02);
  });

  it('makes the planned requests (±2 %): each resident opens the code once, signing in first unless this client already did', () => {
    const byName = (name: string) => recording.requests.filter((r) => r.tags['name'] === name);
    const code = byName('code');
    const session = byName('session');
    expect(Math.abs(code.length - planned) / planned).toBeLessThanOrEqual(0.02);
    // No phone holds a session at the start of an exported run: nearly every open signs in
    // (a resident drawn twice signs in once).
    expect(session.length).toBeLessThanOrEqual(code.length);
    expect(session.length).toBeGreaterThanOrEqual(0.95 * code.length);
    expect(new Set(recording.requests.map((r) => r.tags['name']))).toEqual(new Set(['session', 'code']));
    expect(recording.requests.filter((r) => r.failed)).toEqual([]);
  });

  it('tags every request with its name, its scenario and its journey; the right paths', () => {
    const scenario = Object.keys(result.load.scenarios)[0]!;
    for (const r of recording.requests) {
      expect(r.tags).toMatchObject({ scenario, journey: 'residents' });
      expect(r.url.startsWith(t.stack.url)).toBe(true);
      expect(new URL(r.url).pathname).toBe(r.tags['name'] === 'code' ? '/api/v1/code' : '/api/v1/session');
    }
  });

  it('records the journeys\' custom metrics under the same names: every open showed a code', () => {
    const shown = recording.metrics.filter((m) => m.metric === 'code_shown');
    expect(shown.length).toBe(recording.requests.filter((r) => r.tags['name'] === 'code').length);
    expect(shown.every((m) => m.kind === 'rate' && m.value === 1)).toBe(true);
    expect(recording.metrics.filter((m) => m.metric === 'codes_not_loaded')).toEqual([]);
  });
});
