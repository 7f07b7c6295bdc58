/**
 * The analysis reads a run directory only through src/run-files, which owns its files; this
 * names what the analysis's modules use of it.
 */
export { readRunDir, type CustomLine, type RequestSecond, type RunDir, type RunEvent, type RunSecond, type Scrape } from '../run-files/index.js';
