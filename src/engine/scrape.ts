/**
 * Scrapes a Prometheus text endpoint every second, handing each scrape to `write` (the run
 * writes them to server.ndjson, src/run-files/server.ts): `t` in seconds from the run's start
 * and the samples, histogram buckets left out (their _sum and _count stay). A failed scrape is
 * written as its error and the scraping goes on: a server too busy to answer its own /metrics
 * is itself a finding.
 */
export interface Scraper {
  stop(): Promise<void>;
}

const TIMEOUT_MS = 900;

export type ScrapeLine = { readonly t: number; readonly metrics: Record<string, number> } | { readonly t: number; readonly error: string };

export function scrapeEverySecond(url: string, write: (scrape: ScrapeLine) => void, startedAt: number): Scraper {
  let inFlight: Promise<void> = Promise.resolve();
  let busy = false;
  const tick = (): void => {
    if (busy) return;
    busy = true;
    const t = Math.round((Date.now() - startedAt) / 100) / 10;
    inFlight = fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) })
      .then(async (res) => {
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        write({ t, metrics: parsePrometheus(await res.text()) });
      })
      .catch((err: unknown) => {
        write({ t, error: err instanceof Error ? err.message : String(err) });
      })
      .finally(() => {
        busy = false;
      });
  };
  tick();
  const timer = setInterval(tick, 1000);
  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
  };
}

/** Prometheus text exposition → { "name{labels}": value }, without comments and buckets. */
export function parsePrometheus(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    if (space <= 0) continue;
    let key = line.slice(0, space).trim();
    let raw = line.slice(space + 1).trim();
    // A sample may end in a timestamp: "name{l} value ts".
    const inner = key.lastIndexOf(' ');
    if (inner > 0 && !key.endsWith('}')) {
      raw = key.slice(inner + 1);
      key = key.slice(0, inner);
    }
    if (/_bucket(\{|$)/.test(key)) continue;
    const value = raw === '+Inf' ? Number.POSITIVE_INFINITY : raw === '-Inf' ? Number.NEGATIVE_INFINITY : Number(raw);
    if (Number.isFinite(value)) out[key] = value;
  }
  return out;
}
