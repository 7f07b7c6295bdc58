import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Analysis } from '../analyze/analyze.js';
import type { RunDir } from '../run-files/run-dir.js';
import type { Summary } from '../run-files/summary.js';
import { reportChartSpecs } from './charts.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { renderPng } from './png.js';

/**
 * Every rendering of a run, into its directory: report.html, charts/*.png, summary.md and
 * junit.xml. Returns the files written, relative to the directory.
 */
export function writeReports(dir: string, run: RunDir, summary: Summary, analysis: Analysis): string[] {
  const charts = reportChartSpecs(run, analysis, summary);
  const chartDir = path.join(dir, 'charts');
  rmSync(chartDir, { recursive: true, force: true });
  mkdirSync(chartDir, { recursive: true });
  // A chart with a menu (one request name at a time) is interactive: no image of it.
  const pngs = charts.filter((c) => c.groups === undefined).map((c) => {
    const file = `${c.id}.png`;
    writeFileSync(path.join(chartDir, file), renderPng(c));
    return file;
  });
  const files: Record<string, string> = {
    'report.html': renderHtml({ summary, analysis, charts }),
    'summary.md': renderMarkdown(summary, analysis, pngs),
    'junit.xml': renderJunit(summary, analysis),
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return [...Object.keys(files), ...pngs.map((p) => `charts/${p}`)];
}
