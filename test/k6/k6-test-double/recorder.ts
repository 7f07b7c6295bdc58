import { AsyncLocalStorage } from 'node:async_hooks';

/** What the double saw: one sample per request and per custom-metric add, tagged as k6 would tag them. */
export interface RequestSample {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  /** http_req_failed: the response callback's verdict (k6's default: 200–399 expected). */
  readonly failed: boolean;
  readonly tags: Readonly<Record<string, string>>;
}

export interface MetricSample {
  readonly metric: string;
  readonly kind: string;
  readonly value: number;
  readonly tags: Readonly<Record<string, string>>;
}

export interface Recording {
  readonly requests: RequestSample[];
  readonly metrics: MetricSample[];
  /** By scenario: iterations started, dropped, and that threw. */
  readonly iterations: Record<string, { started: number; dropped: number; failed: number; errors: string[] }>;
  startedAtMs: number;
}

export const recording: Recording = { requests: [], metrics: [], iterations: {}, startedAtMs: 0 };

export function resetRecording(): void {
  recording.requests.length = 0;
  recording.metrics.length = 0;
  for (const key of Object.keys(recording.iterations)) delete recording.iterations[key];
  recording.startedAtMs = performance.now();
}

/** The scenario an iteration runs in: its tags go on every sample, as k6 tags them. */
export const scenarioTags = new AsyncLocalStorage<Readonly<Record<string, string>>>();

export function currentTags(): Readonly<Record<string, string>> {
  return scenarioTags.getStore() ?? {};
}
