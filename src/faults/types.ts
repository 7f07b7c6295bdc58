import type { ReferenceServer } from '../stack/reference-server.js';
import type { ToxiproxyControl } from '../stack/toxiproxy-control.js';
import type { Random } from '../engine/random.js';
import type { FaultSpec } from './schema.js';

/**
 * One interface for every kind of fault, in the shape of Toxiproxy's toxics/: a kind knows
 * which controller it needs and how to begin; beginning returns what it did and how to undo it.
 * Undo must be safe to call once whatever happened since (the target may have restarted, the
 * keys may have been rewritten) and must leave no trace of the fault.
 */
export interface Controllers {
  readonly toxiproxy?: ToxiproxyControl;
  /** Direct connections (not through the proxies): faults must not suffer from each other. */
  readonly redisUrl?: string;
  readonly databaseUrl?: string;
  /** The reference server, when the stack is ours. */
  readonly server?: ReferenceServer;
}

export type ControllerName = 'toxiproxy' | 'redis' | 'postgres' | 'server';

export interface ActiveFault {
  /** What the fault did, for its begin event. */
  readonly details: Readonly<Record<string, unknown>>;
  /** Puts everything back; returns what it restored, for the end event. */
  undo(): Promise<Readonly<Record<string, unknown>>>;
}

export interface FaultKind<S extends FaultSpec = FaultSpec> {
  readonly kind: S['kind'];
  /** The controller this kind acts through; its absence is invalid input before the run. */
  needs(spec: S): ControllerName;
  /** What it acts on, for events and reports ("link postgres", "redis code:*"). */
  target(spec: S): string;
  begin(spec: S, controllers: Controllers, random: Random): Promise<ActiveFault>;
}
