import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../errors.js';
import type { LiveModel } from './model.js';
import { renderPage } from './page.js';
import type { End } from './protocol.js';
import { DashboardServer } from './server.js';

/**
 * A live dashboard over one run directory: its page served on 127.0.0.1 (server.ts), and a
 * model (model.ts) polled POLL_MS apart for what the run's files gained, each change sent to
 * every page. It lives in the run's main process but only reads files, a few hundred bytes a
 * second, and does per poll what the new lines need (ChartTrack), so it does not slow the
 * engine, whose requests run on worker threads; `cost` says what it took.
 */
export const POLL_MS = 250;

export interface DashboardOptions {
  /** 0: a free port. */
  readonly port: number;
  readonly dir: string;
  readonly model: LiveModel;
}

export interface Dashboard {
  readonly url: string;
  /** The run is over: a last read of its files, the verdict, and the charts as the report has them. */
  end(end: End): void;
  /** Keeps serving for `ms` after the run (--dashboard-linger), or until `stop` settles. */
  linger(ms: number, stop: Promise<unknown>): Promise<void>;
  close(): Promise<void>;
  /** What following the run took of the main thread. */
  readonly cost: { readonly polls: number; readonly totalMs: number; readonly maxMs: number };
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { model } = options;
  const cost = { polls: 0, totalMs: 0, maxMs: 0 };
  const server: DashboardServer = await DashboardServer.start({
    port: options.port,
    page: renderPage(),
    snapshot: () => ({ ...model.snapshot(), cost: { ...cost, totalMs: Math.round(cost.totalMs), maxMs: Math.round(cost.maxMs * 10) / 10, pages: server.pages, dropped: server.dropped } }),
    report: () => path.join(options.dir, model.report),
  });
  let failed: string | undefined;
  const poll = (final: boolean): void => {
    if (failed !== undefined) return;
    const started = performance.now();
    try {
      const update = model.poll(final);
      if (update !== undefined) server.publish(update);
    } catch (err) {
      // A run directory the dashboard cannot read must not stop the run: the page says so.
      failed = errorMessage(err);
      server.publish(model.end({ verdict: 'error', headline: `the dashboard cannot follow the run: ${failed}`, report: null, dir: options.dir }));
    } finally {
      const ms = performance.now() - started;
      cost.polls++;
      cost.totalMs += ms;
      cost.maxMs = Math.max(cost.maxMs, ms);
    }
  };
  const timer = setInterval(() => poll(false), POLL_MS);
  timer.unref();
  let closed = false;
  return {
    url: server.url,
    cost,
    end(end) {
      clearInterval(timer);
      poll(true);
      if (failed === undefined) server.publish(model.end({ ...end, report: end.report === null ? null : '/report' }));
    },
    async linger(ms, stop) {
      if (ms <= 0) return;
      const done = new AbortController();
      await Promise.race([sleep(ms, undefined, { signal: done.signal }).catch(() => {}), stop]);
      done.abort();
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await server.close();
    },
  };
}
