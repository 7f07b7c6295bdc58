import { describe, expect, it } from 'vitest';
import { parsePrometheus } from '../../src/engine/scrape.js';
import { timeChart } from '../../src/report/chart-spec.js';
import { metricCharts } from '../../src/report/metric-charts.js';
import type { Database } from '../../src/server/db/database.js';
import { SERVER_CHARTS } from '../../src/server/charts.js';
import { createMetrics } from '../../src/server/metrics.js';
import type { RequestSlots } from '../../src/server/resilience/slots.js';

/**
 * The chart list the reference server hands the report names series its /metrics really has:
 * scraped as a run scrapes it (src/engine/scrape.ts), every chart it declares is drawn.
 */
const db = { waiting: 3, pool: { totalCount: 4, idleCount: 1 }, breaker: { state: 'closed' } } as unknown as Database;
const slots = { busy: 0, waiting: 0 } as unknown as RequestSlots;

async function scrapeOf(): Promise<Record<string, number>> {
  const metrics = createMetrics(db, slots, { worker: '1' });
  // Labelled counters have a sample only once counted.
  metrics.cache('hit');
  metrics.cache('near');
  metrics.cache('miss');
  metrics.shed('queue');
  return parsePrometheus(await metrics.registry.metrics());
}

describe('the reference server’s chart list', () => {
  it('has one id each, named as the server’s', () => {
    const ids = SERVER_CHARTS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^server-[a-z-]+$/);
  });

  it('reads only series the server exposes', async () => {
    const keys = Object.keys(await scrapeOf());
    const series = SERVER_CHARTS.flatMap((c) => c.lines.flatMap((l) => [...l.sum, ...(l.over === undefined ? [] : [l.over])]));
    for (const s of series) {
      const found = keys.some((k) => (k === s.metric || k.startsWith(`${s.metric}{`)) && (s.label === undefined || k.includes(s.label)));
      expect(found, `${s.metric}${s.label === undefined ? '' : ` ${s.label}`}`).toBe(true);
    }
  });

  it('is drawn in full from two scrapes of the server', async () => {
    const metrics = await scrapeOf();
    const specs = metricCharts(SERVER_CHARTS, [{ t: 0, metrics }, { t: 1, metrics }], [0, 1], timeChart([0, 1], {}, ''));
    expect(specs.map((s) => s.id)).toEqual(SERVER_CHARTS.map((c) => c.id));
  });
});
