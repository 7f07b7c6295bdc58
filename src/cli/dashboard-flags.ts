import { invalidInput } from '../errors.js';
import type { DashboardSpec } from '../run/dashboard.js';
import { durationFlag, parsePort } from './options.js';

/** `--dashboard[=PORT]` (commander gives true without a port) and `--dashboard-linger D`, on run, capacity and faults. */
export interface DashboardFlags {
  readonly dashboard?: string | boolean;
  readonly dashboardLinger?: string;
}

export function dashboardSpec(flags: DashboardFlags): DashboardSpec | undefined {
  if (flags.dashboard === undefined || flags.dashboard === false) {
    if (flags.dashboardLinger !== undefined) throw invalidInput('FLAG_INVALID', '--dashboard-linger: only with --dashboard');
    return undefined;
  }
  const port = flags.dashboard === true ? 0 : parsePort('--dashboard', flags.dashboard);
  return { port, lingerMs: flags.dashboardLinger === undefined ? 0 : durationFlag('--dashboard-linger', flags.dashboardLinger, true) };
}
