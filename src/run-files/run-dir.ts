import { existsSync } from 'node:fs';
import type { MetricDeclarations } from '../engine/journey.js';
import { invalidInput } from '../errors.js';
import { readEvents, type RunEvent } from './events.js';
import { RUN_FILES, runFilesOf } from './files.js';
import { readMetrics, type RunSecond } from './metrics-read.js';
import { readServer, type Scrape } from './server.js';
import { readSummary, type Summary } from './summary.js';

/**
 * A run directory read back, every file through its own reader: the per-second lines of
 * metrics.ndjson (histograms left encoded until an analysis asks for them), events.ndjson,
 * server.ndjson, summary.json and where the scenario as run is. The analysis and the report
 * read nothing else, so any run directory can be analysed again later.
 */
export interface RunDir {
  readonly dir: string;
  readonly scenarioFile: string;
  /** Every second from 0 to the last one written, empty seconds included. */
  readonly seconds: readonly RunSecond[];
  readonly names: readonly string[];
  /** The custom metrics metrics.ndjson declares (none for a run without them). */
  readonly metrics: MetricDeclarations;
  readonly events: readonly RunEvent[];
  readonly server: readonly Scrape[];
  /** summary.json as the run wrote it, if it did. */
  readonly summary: Summary | undefined;
}

export function readRunDir(dir: string): RunDir {
  const file = (name: keyof typeof RUN_FILES): string => runFilesOf(dir)[name];
  for (const needed of ['metrics', 'scenario'] as const) {
    if (!existsSync(file(needed))) throw invalidInput('RUN_DIR_INVALID', `${dir}: not a run directory (no ${RUN_FILES[needed]})`);
  }
  const { seconds, names, metrics } = readMetrics(file('metrics'));
  return {
    dir,
    scenarioFile: file('scenario'),
    seconds,
    names,
    metrics,
    events: readEvents(file('events')),
    server: readServer(file('server')),
    summary: readSummary(file('summary')),
  };
}
