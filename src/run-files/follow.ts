import type { MetricDeclarations } from '../engine/journey.js';
import { eventOf, type RunEvent } from './events.js';
import { runFilesOf } from './files.js';
import { tailOf } from './lines.js';
import { MetricsTail, type RunSecond } from './metrics-read.js';
import { scrapeOf, type Scrape } from './server.js';

/**
 * A run directory read while the run writes it (the live dashboard): through the same line
 * readers and schemas as readRunDir, but each read() returns only what the files gained since
 * the last — complete lines, and of metrics.ndjson complete seconds (MetricsTail) — so that
 * following a run costs what it adds, not what it holds.
 */
export interface RunGrowth {
  /** The seconds of metrics.ndjson completed since the last read, in order. */
  readonly seconds: readonly RunSecond[];
  readonly events: readonly RunEvent[];
  readonly server: readonly Scrape[];
}

export class RunFollower {
  readonly #files: ReturnType<typeof runFilesOf>;
  readonly #metrics: MetricsTail;
  readonly #events: { read(): RunEvent[] };
  readonly #server: { read(): Scrape[] };

  constructor(dir: string) {
    this.#files = runFilesOf(dir);
    this.#metrics = new MetricsTail(this.#files.metrics);
    this.#events = tailOf(this.#files.events, eventOf);
    this.#server = tailOf(this.#files.server, scrapeOf);
  }

  get scenarioFile(): string {
    return this.#files.scenario;
  }

  /** Request names so far, sorted. */
  get names(): string[] {
    return this.#metrics.names;
  }

  get metrics(): MetricDeclarations {
    return this.#metrics.metrics;
  }

  /** What the files gained. `final`: the run has ended and written everything, so its last second is complete. */
  read(final = false): RunGrowth {
    return { events: this.#events.read(), server: this.#server.read(), seconds: this.#metrics.read(final) };
  }
}
