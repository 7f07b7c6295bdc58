import path from 'node:path';

/** The name of each file of a run directory that src/run-files owns. */
export const RUN_FILES = Object.freeze({
  /** The scenario as run, seed filled in (written and read as YAML by src/scenario). */
  scenario: 'scenario.yaml',
  /** metrics.ts (schema, writer), metrics-read.ts (readers). */
  metrics: 'metrics.ndjson',
  /** events.ts */
  events: 'events.ndjson',
  /** server.ts */
  server: 'server.ndjson',
  /** summary.ts */
  summary: 'summary.json',
  /** history.ts */
  history: 'history.ndjson',
} as const);

/** Where each file of the run directory `dir` is. */
export function runFilesOf(dir: string): { readonly [K in keyof typeof RUN_FILES]: string } {
  return Object.freeze({
    scenario: path.join(dir, RUN_FILES.scenario),
    metrics: path.join(dir, RUN_FILES.metrics),
    events: path.join(dir, RUN_FILES.events),
    server: path.join(dir, RUN_FILES.server),
    summary: path.join(dir, RUN_FILES.summary),
    history: path.join(dir, RUN_FILES.history),
  });
}

/**
 * Where a run goes when the user names no folder: reports/<UTC time>-<name>, the time to the
 * second in basic ISO 8601 (20220104T090000Z), so that folders sort by when they ran.
 */
export function defaultRunDir(name: string, now: Date = new Date()): string {
  return path.join('reports', `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${name}`);
}
