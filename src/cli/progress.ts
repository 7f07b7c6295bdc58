import { createLatencyHistogram, mergeInto, percentileMs } from '../engine/histogram.js';
import type { MergedSecond } from '../engine/second.js';

/**
 * Progress on stderr: on a terminal, one line redrawn every second; otherwise a plain line
 * every 5 seconds (CI logs). Elapsed/total, offered and achieved rate, p95, errors, in flight.
 */
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
        write(`\r\u001b[2K${line}`);
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
