import { z } from 'zod';
import { AT_EXPECTED, DURATION_EXPECTED, isScenarioTime, readDuration } from '../engine/executors/duration.js';
import { fitsSetting, settingExpected, settingKeys, settingKind } from '../server/settings.js';
import { TOXIC_ATTRIBUTE_NAMES, TOXIPROXY_NAME } from '../stack/toxic-attributes.js';

/**
 * The `faults` section of a scenario: what to break, when, for how long. The zod schema here
 * is part of the scenario schema (the single source of scenarios/schema.json). Faults are
 * generic: a fault names a link, a Redis, a Postgres or a process; the health-code specifics
 * (which keys, which table) come from the scenario.
 */
const duration = z.union([z.number(), z.string()]).refine((raw) => typeof readDuration(raw) === 'number', { error: DURATION_EXPECTED });
const share = z.number().min(0).max(1);

/** "09:02" (a time on a city scenario's clock) or "+30s" (an offset from the start). */
const at = z.string().refine(isScenarioTime, { error: AT_EXPECTED });

const common = {
  /** Names the fault in events.ndjson and the report; default `<kind>-<index>`. */
  name: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/, 'expected letters, digits and _ . : - only').optional(),
  /** When it begins, on the scenario's clock. */
  at,
  /** How long it lasts, in the scenario's time (simulated for a city scenario, real otherwise). */
  duration,
};

export const TOXICS = ['latency', 'timeout', 'reset_peer', 'bandwidth', 'slow_close', 'limit_data', 'slicer', 'down'] as const;

export const networkFault = z.strictObject({
  kind: z.literal('network'),
  ...common,
  /** A Toxiproxy proxy: `postgres` or `redis` on the reference stack. */
  link: z.string().min(1).regex(TOXIPROXY_NAME, 'expected a Toxiproxy proxy name: letters, digits and . _ ~ - only'),
  /** A Toxiproxy toxic, or `down` (the proxy disabled: connections refused and cut). */
  toxic: z.enum(TOXICS),
  stream: z.enum(['downstream', 'upstream']).optional(),
  /** Share of connections the toxic applies to: Toxiproxy draws it once per connection. */
  toxicity: share.optional(),
  /** The toxic's attributes, in Toxiproxy's names (latency/jitter in ms, rate in KB/s, …). */
  attributes: z.record(z.string(), z.number()).optional(),
}).superRefine((f, ctx) => {
  if (f.toxic === 'down' || f.attributes === undefined) return;
  const known: readonly string[] = TOXIC_ATTRIBUTE_NAMES[f.toxic];
  for (const name of Object.keys(f.attributes)) {
    if (!known.includes(name)) ctx.addIssue({ code: 'custom', path: ['attributes', name], message: `unknown attribute for ${f.toxic}: expected ${known.join(', ')}` });
  }
});

export const CORRUPTIONS = ['garbage', 'truncate', 'swap', 'stale', 'expire', 'flush'] as const;

export const cacheCorruptionFault = z.strictObject({
  kind: z.literal('cache-corruption'),
  ...common,
  mode: z.enum(CORRUPTIONS),
  /** Keys to corrupt, a Redis SCAN MATCH pattern (`code:*`); default every key. */
  match: z.string().min(1).optional(),
  /** Share of the matching keys corrupted. */
  share: share.optional(),
  /** stale: values holding `find` get it replaced by `replace` (an old green over a newer red). */
  find: z.string().min(1).optional(),
  replace: z.string().optional(),
  /** At most this many keys are touched. */
  maxKeys: z.number().int().min(1).max(10_000_000).optional(),
});

export const dbStallFault = z.strictObject({
  kind: z.literal('db-stall'),
  ...common,
  /** lock: ACCESS EXCLUSIVE on `table`; connections: sessions held in pg_sleep; idle-in-transaction: open transactions left idle. */
  mode: z.enum(['lock', 'connections', 'idle-in-transaction']),
  table: z.string().min(1).max(63).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a plain table name').optional(),
  /** connections / idle-in-transaction: how many sessions. */
  count: z.number().int().min(1).max(10_000).optional(),
});

export const processFault = z.strictObject({
  kind: z.literal('process'),
  ...common,
  /** kill: SIGKILL the reference server's workers, started again when the fault ends; stop: SIGSTOP, then SIGCONT. */
  action: z.enum(['kill', 'stop']),
  /** How many workers, or all. */
  workers: z.union([z.literal('all'), z.number().int().min(1)]).optional(),
  /**
   * kill only: the workers started when the fault ends run with these resilience settings of the
   * reference server (as `--set` names them) for the rest of the run: an operator's change made
   * at a restart, such as the traffic limiting Xi'an's operators applied.
   */
  restartWith: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])).optional(),
}).superRefine((f, ctx) => {
  if (f.restartWith === undefined) return;
  if (f.action !== 'kill') ctx.addIssue({ code: 'custom', path: ['restartWith'], message: 'only a kill restarts workers: use action: kill' });
  const keys = settingKeys();
  for (const [key, value] of Object.entries(f.restartWith)) {
    if (!keys.includes(key)) {
      ctx.addIssue({ code: 'custom', path: ['restartWith', key], message: `unknown setting "${key}"; settings: ${keys.join(', ')}` });
      continue;
    }
    const kind = settingKind(key);
    if (!fitsSetting(kind, value)) ctx.addIssue({ code: 'custom', path: ['restartWith', key], message: `expected ${settingExpected(kind)}, got ${JSON.stringify(value)}` });
  }
});

export const faultSchema = z.discriminatedUnion('kind', [networkFault, cacheCorruptionFault, dbStallFault, processFault]);
export type FaultSpec = z.output<typeof faultSchema>;
export type FaultKindName = FaultSpec['kind'];
