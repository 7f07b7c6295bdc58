import type { End, LiveSnapshot, LiveUpdate } from './protocol.js';

/**
 * What the dashboard shows, read from a run directory as it grows: one model per kind of run
 * (live-run.ts for `run` and `faults`, live-capacity.ts for `capacity`). The server polls it and
 * sends what it returns; it never reads the files itself.
 */
export interface LiveModel {
  /** The run directory's rendering the page links to at the end (report.html, capacity.html). */
  readonly report: string;
  /** Everything so far, for a page that opens now. */
  snapshot(): LiveSnapshot;
  /** What the files gained since the last poll; undefined when nothing did. `final`: the run has written everything. */
  poll(final?: boolean): LiveUpdate | undefined;
  /** The run is over (after a final poll): the verdict, and the charts as the report has them. */
  end(end: End): LiveUpdate;
}
