import type { StreamName } from '../city/morning.js';
import type { PriorSessions } from '../city/prior.js';
import type { StaffCredentials } from '../city/staff.js';
import type { People, RetryPolicy } from '../people.js';

/** What the city's journeys are given (sim/plan.ts `cityJourneyOptions` makes it, for one seed). */
export interface CityJourneyOptions {
  readonly seed: number;
  readonly residents: number;
  readonly people: People;
  readonly residentsPerSite: number;
  readonly tablesPerSite: number;
  readonly poolSize: number;
  readonly journeys: readonly { readonly name: string; readonly use: StreamName; readonly weight: number; readonly retry: RetryPolicy }[];
  /** Sessions the residents' phones hold at the start (prepared by the stack); none: everyone signs in first. */
  readonly priorSessions?: PriorSessions;
  /** Staff credentials the stack issued, by site, lab and gate (sim/city/staff.ts). */
  readonly staff?: StaffCredentials;
  /** The city clock, to tell the time of day an outcome happened; none when `load` gives the rate. */
  readonly clock?: { readonly startS: number; readonly compress: number };
}
