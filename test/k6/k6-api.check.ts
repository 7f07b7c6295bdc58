/**
 * Compiled by the project's typecheck, never run: k6's own types (@types/k6) must fit the few
 * calls the exported script's adapter makes of them (src/k6/runtime/context.ts types them
 * locally, so that it also runs under the test double). A k6 API the adapter misuses fails here.
 */
import http from 'k6/http';
import exec from 'k6/execution';
import { setTimeout } from 'k6/timers';
import { Counter, Gauge, Rate, Trend } from 'k6/metrics';
import type { K6Api, K6Http, K6Metric, K6Response } from '../../src/k6/runtime/context.js';

type RealResponse = Awaited<ReturnType<typeof http.asyncRequest>>;

export const fits = {
  http: {
    asyncRequest: async (method: string, url: string, body: string | ArrayBuffer | null, params: Record<string, unknown>): Promise<K6Response> => {
      const r: RealResponse = await http.asyncRequest(method, url, body, params as Parameters<typeof http.asyncRequest>[3]);
      return { status: r.status, body: r.body, headers: r.headers, error: r.error, error_code: r.error_code };
    },
    expectedStatuses: (...statuses: number[]) => http.expectedStatuses(...statuses),
  } satisfies K6Http,
  setTimeout: (callback: () => void, ms: number) => setTimeout(callback, ms),
  elapsedMs: () => exec.instance.currentTestRunDuration,
  metrics: {
    counter: new Counter('a') satisfies K6Metric,
    gauge: new Gauge('b') satisfies K6Metric,
    rate: new Rate('c') satisfies K6Metric,
    trend: new Trend('d', true) satisfies K6Metric,
  },
} satisfies Partial<K6Api>;
