import { mkdirSync, writeFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { scrapeEverySecond } from '../engine/scrape.js';
import type { Timeline } from '../faults/timeline.js';
import { EventLog, runFilesOf, ServerLog } from '../run-files/index.js';
import type { LoadedScenario } from '../scenario/load.js';
import type { Teardown } from '../stack/teardown.js';

/** A run directory being written: where its files go, and its events.ndjson, open. */
export interface OpenRunDir {
  readonly files: ReturnType<typeof runFilesOf>;
  readonly events: EventLog;
  readonly event: (name: string, fields?: Record<string, unknown>) => void;
}

/**
 * Makes the run directory and writes the scenario as run into it, with the seed it ran with, so
 * that the run can be made again from its folder; opens events.ndjson.
 */
export function openRunDir(dir: string, loaded: LoadedScenario, seed: number): OpenRunDir {
  mkdirSync(dir, { recursive: true });
  const files = runFilesOf(dir);
  const seeded = parseDocument(loaded.text);
  seeded.set('seed', seed);
  writeFileSync(files.scenario, seeded.toString());
  const events = new EventLog(files.events);
  return { files, events, event: (name, fields = {}) => events.write(name, fields) };
}

/** Second 0 of a run: events, the fault timeline and the scrapes all count from it. */
export interface SecondZero {
  /** `startAt`: the wall-clock time of second 0. */
  start(startAt: Date): void;
  stopScraping(): Promise<void>;
}

/** What starts at second 0: `scrapeUrl`'s metrics scraped into server.ndjson each second, if given. */
export function secondZero(out: OpenRunDir, timeline: Timeline, scrapeUrl: string | undefined, teardown: Teardown): SecondZero {
  let stopScraping = async (): Promise<void> => {};
  const serverLog = scrapeUrl === undefined ? undefined : new ServerLog(out.files.server);
  return {
    start(startAt) {
      out.events.start(startAt.getTime());
      timeline.start(performance.now() + (startAt.getTime() - Date.now()));
      if (scrapeUrl !== undefined && serverLog !== undefined) {
        const scraper = scrapeEverySecond(scrapeUrl, (scrape) => serverLog.write(scrape), startAt.getTime());
        stopScraping = teardown.add('stop scraping the server\'s metrics', () => scraper.stop());
      }
    },
    stopScraping: () => stopScraping(),
  };
}
