/**
 * The files of a run directory (../../shared/DESIGN.md, "A run directory"), each owned by one
 * module here with its one schema, one writer and one reader; nothing else parses them. The
 * renderings (report.html, charts/, summary.md, junit.xml) are src/report's, written from
 * these. history.ndjson and the k6 JSON read back will join as modules of their own. A run
 * still being written is followed through the same readers (follow.ts: only what was appended).
 */
export { defaultRunDir, RUN_FILES, runFilesOf } from './files.js';
export { EventLog, eventOf, readEvents, secondZeroOf, shiftEvents, type RunEvent } from './events.js';
export { HistoryWriter, readHistory, type History } from './history.js';
export { RunFollower, type RunGrowth } from './follow.js';
export { LineTail, tailOf, type NumberedLine } from './lines.js';
export { MetricsWriter, OUTCOMES, TOTALS_NAME, declarationLines, toNdjsonLine, type Outcome } from './metrics.js';
export { MetricsTail, parseNdjsonLine, readMetrics, type CustomLine, type MetricsFile, type NdjsonRecord, type RequestSecond, type RunSecond } from './metrics-read.js';
export { readRunDir, type RunDir } from './run-dir.js';
export { readServer, scrapeOf, ServerLog, shiftServer, type Scrape } from './server.js';
export { readSteps, StepLog, stepOf, STEPS_FILE, type StepLine } from './steps.js';
export { readSummary, writeSummary, type FaultSummary, type Summary, type SummaryMetric } from './summary.js';
