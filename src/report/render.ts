import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Analysis } from '../analyze/analyze.js';
import type { Summary } from '../engine/summary.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';

/** Writes every rendering of a run into its directory; returns the files written. */
export function writeReports(dir: string, summary: Summary, analysis: Analysis): string[] {
  const files = {
    'summary.md': renderMarkdown(summary, analysis),
    'junit.xml': renderJunit(summary, analysis),
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return Object.keys(files);
}
