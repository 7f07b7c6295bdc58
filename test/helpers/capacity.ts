import type { Baseline } from '../../src/analyze/capacity-verdict.js';

/** Synthetic inputs of the capacity gate (src/analyze/capacity-verdict.ts judge), shared by its unit and end-to-end tests. */
/** A search's result with one first step (at 25/s), whose p99 the baseline gate compares. */
export const found = (capacityRps: number, p99Ms: number, p99IntervalMs: readonly [number, number | null]) => ({
  capacityRps,
  failedAtRps: capacityRps + 10,
  uncertaintyRps: 5,
  sloHeld: true,
  knee: null,
  steps: [{ rateRps: 25, ok: true, reason: null, p50Ms: 5, p99Ms, p99IntervalMs, errorRate: 0, goodRps: 25, goodputRps: 25, byOutcome: { ok: 250 }, late: 0, dropped: 0 }],
});

/** What capacityCommand hands judge(), with a baseline read from base.json (or none). */
export const context = (baseline: Omit<Baseline, 'file' | 'capacityRps'> & { capacityRps?: number } | undefined, maxRegression = 10) => ({
  scenario: 's',
  target: 'http://127.0.0.1:1',
  slo: [],
  baseline: baseline === undefined ? undefined : { file: 'base.json', capacityRps: 200, ...baseline },
  maxRegression,
  runDir: 'r',
  maxRps: 1_000,
  profile: null,
  settings: {},
  overload: { peakGoodputRps: 25, steps: [], shape: null },
  goodputLimitMs: null,
});
