import { startDashboard, type Dashboard } from '../dashboard/dashboard.js';
import type { LiveModel } from '../dashboard/model.js';
import type { End } from '../dashboard/protocol.js';
import { errorMessage } from '../errors.js';

/** `--dashboard[=PORT]` and `--dashboard-linger D` as the command resolved them. */
export interface DashboardSpec {
  /** 0: a free port. */
  readonly port: number;
  /** How long the page stays up after the run; 0 closes it with the run. */
  readonly lingerMs: number;
}

/** What the dashboard needs of a run's hooks: where to tell its address, and the stop signal. */
export interface DashboardHooks {
  /** A line the user sees even with --quiet: the dashboard's address is why they asked for it. */
  readonly notice: (line: string) => void;
  readonly interrupted: Promise<unknown>;
}

/**
 * A run (`run`, `capacity`, `faults`) with its live dashboard, when asked for one: started before
 * the run and before anything else (a port in use is invalid input, with nothing started), the
 * verdict on the page at the end, then the linger (cut short by Ctrl-C) and the close. A run
 * that fails says so on the page and closes it at once: the error is the user's next concern.
 */
export async function withDashboard<T>(
  spec: DashboardSpec | undefined,
  dir: string,
  model: () => LiveModel,
  hooks: DashboardHooks,
  run: () => Promise<T>,
  endOf: (result: T) => Omit<End, 'dir'>,
): Promise<T> {
  if (spec === undefined) return run();
  const dashboard = await startDashboard({ port: spec.port, dir, model: model() });
  hooks.notice(`codestorm: live dashboard at ${dashboard.url}`);
  let result: T;
  try {
    result = await run();
  } catch (err) {
    dashboard.end({ verdict: 'error', headline: errorMessage(err), report: null, dir });
    await dashboard.close();
    throw err;
  }
  dashboard.end({ ...endOf(result), dir });
  await lingerThenClose(dashboard, spec, hooks);
  return result;
}

async function lingerThenClose(dashboard: Dashboard, spec: DashboardSpec, hooks: DashboardHooks): Promise<void> {
  if (spec.lingerMs > 0) {
    hooks.notice(`codestorm: the dashboard stays up for ${spec.lingerMs / 1000} s at ${dashboard.url} (Ctrl-C closes it)`);
    await dashboard.linger(spec.lingerMs, hooks.interrupted);
  }
  await dashboard.close();
}
