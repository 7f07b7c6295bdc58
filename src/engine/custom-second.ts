import { createHistogram, encodeHistogram, recordValue, VALUE_LAYOUT, type LatencyHistogram } from './histogram.js';
import type { Series } from './custom-recorder.js';
import type { WireCustom } from './custom-values.js';

/**
 * One cell per series that had samples in a second, nothing per sample: counters a sum, rates
 * passes of a count, gauges the latest value (by time) with min and max, trends count, sum, min,
 * max and an HDR histogram (VALUE_LAYOUT) so that percentiles merge exactly across workers.
 */
class Cell {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  value = 0;
  at = -Infinity;
  clamped = 0;
  tagsDropped = 0;
  readonly histogram: LatencyHistogram | undefined;
  constructor(readonly series: Series) {
    this.histogram = series.type === 'trend' ? createHistogram(VALUE_LAYOUT) : undefined;
  }
}

/** The custom metrics of one second in one worker. */
export class CustomSecond {
  readonly #cells: (Cell | undefined)[] = [];
  readonly #order: Cell[] = [];

  /** Hot path: after a series' first sample in this second, allocates nothing. */
  add(series: Series, value: number, atMs: number): void {
    let cell = this.#cells[series.id];
    if (cell === undefined) {
      cell = new Cell(series);
      this.#cells[series.id] = cell;
      this.#order.push(cell);
    }
    cell.count++;
    if (series.dropsTags) cell.tagsDropped++;
    switch (series.type) {
      case 'counter':
      case 'rate':
        cell.sum += value;
        return;
      case 'gauge':
        if (atMs >= cell.at) {
          cell.value = value;
          cell.at = atMs;
        }
        break;
      case 'trend':
        cell.sum += value;
        if (recordValue(cell.histogram!, value)) cell.clamped++;
        break;
    }
    if (value < cell.min) cell.min = value;
    if (value > cell.max) cell.max = value;
  }

  toWire(): WireCustom[] {
    return this.#order.map(wireOf);
  }
}

function wireOf(c: Cell): WireCustom {
  const s = c.series;
  const noExtremes = c.count === 0 || s.type === 'counter' || s.type === 'rate';
  const base: WireCustom = {
    metric: s.metric,
    type: s.type,
    tags: s.tags,
    count: c.count,
    sum: c.sum,
    min: noExtremes ? 0 : c.min,
    max: noExtremes ? 0 : c.max,
    value: s.type === 'gauge' ? c.value : 0,
    at: s.type === 'gauge' ? c.at : 0,
    clamped: c.clamped,
    tagsDropped: c.tagsDropped,
  };
  return c.histogram === undefined ? base : { ...base, hdr: encodeHistogram(c.histogram) };
}
