/**
 * The files of a run directory (../../shared/DESIGN.md, "A run directory"), each owned by one
 * module here with its one schema, one writer and one reader; nothing else parses them. The
 * renderings (report.html, charts/, summary.md, junit.xml) are src/report's, written from
 * these. history.ndjson and the k6 JSON read back will join as modules of their own.
 */
export { defaultRunDir, RUN_FILES, runFilesOf } from './files.js';
export { EventLog, readEvents, secondZeroOf, shiftEvents, type RunEvent } from './events.js';
export { MetricsWriter, OUTCOMES, TOTALS_NAME, declarationLines, toNdjsonLine, type Outcome } from './metrics.js';
export { parseNdjsonLine, readMetrics, type CustomLine, type MetricsFile, type NdjsonRecord, type RequestSecond, type RunSecond } from './metrics-read.js';
export { readRunDir, type RunDir } from './run-dir.js';
export { readServer, ServerLog, shiftServer, type Scrape } from './server.js';
export { readSummary, writeSummary, type FaultSummary, type Summary, type SummaryMetric } from './summary.js';
