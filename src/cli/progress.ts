import { createLatencyHistogram, mergeInto, percentileMs } from '../engine/histogram.js';
import type { MergedSecond } from '../engine/second.js';

/**
 * Progress on stderr: on a terminal, one line with a bar redrawn every second; otherwise a plain
 * line every 5 seconds (CI logs). Elapsed/total, offered and achieved rate, p95, errors, in flight.
 */
const BAR_WIDTH = 20;
export interface Progress {
  second(s: MergedSecond): void;
  end(): void;
}

export function progress(write: (text: string) => void, options: { tty: boolean; quiet: boolean; totalS: number }): Progress {
  if (options.quiet) return { second() {}, end() {} };
  let drawn = false;
  return {
    second(s) {
      const latency = createLatencyHistogram();
      let total = 0;
      let failed = 0;
      for (const request of s.requests.values()) {
        for (const [outcome, cell] of request.outcomes) {
          total += cell.count;
          if (outcome !== 'ok') failed += cell.count;
          mergeInto(latency, cell.latency);
        }
      }
      const p95 = total === 0 ? '–' : `${percentileMs(latency, 95).toFixed(1)} ms`;
      const line =
        `[${String(s.t + 1).padStart(4)}s / ${options.totalS}s] offered ${s.offered}/s achieved ${s.started}/s` +
        ` dropped ${s.dropped} p95 ${p95} errors ${total === 0 ? 0 : ((100 * failed) / total).toFixed(1)}% in flight ≤ ${s.inFlightMax}`;
      if (options.tty) {
        write(`\r\u001b[2K${bar(s.t + 1, options.totalS)} ${line}`);
        drawn = true;
      } else if ((s.t + 1) % 5 === 0) {
        write(`${line}\n`);
      }
    },
    end() {
      if (drawn) write('\n');
    },
  };
}

/** `[######--------------]`: the share of the run's seconds gone by. */
export function bar(elapsedS: number, totalS: number): string {
  const share = totalS <= 0 ? 1 : Math.min(1, Math.max(0, elapsedS / totalS));
  const filled = Math.round(share * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
}
