import { randomBytes } from 'node:crypto';
import { addLink, connectToxiproxy, startToxiproxy, type ToxiproxyHandle } from './toxiproxy.js';
import { parseDatabaseUrl, postgresUrlVia, startEmbeddedPostgres, type PostgresHandle } from './postgres.js';
import { parseRedisUrl, startRedis, type RedisHandle } from './redis.js';
import { freePort } from './ports.js';
import { ReferenceServer } from './reference-server.js';
import { Teardown } from './teardown.js';
import { describeExit, type ManagedChild, type Placement } from './child.js';
import { cpuSplit, type CpuSplit } from './cpus.js';
import { reapLeftovers } from './reap.js';
import type { Ledger } from './ledger.js';
import { openStateFile } from './state.js';
import { serverConfig, type ProfileName, type ResilienceConfig, type ServerConfig } from '../server/config.js';
import { seedResidents, type SeedResult } from '../server/db/seed.js';
import { CodestormError, errorMessage } from '../errors.js';

/**
 * The system under test, brought up in order — Postgres, Redis, Toxiproxy with a proxy in front
 * of each, the seeded database, then the reference server, which reaches Postgres and Redis only
 * through those proxies so that a fault can sit on either link — and torn down in reverse by one
 * call, whichever way the run ends.
 */
export interface StackOptions {
  readonly profile: ProfileName;
  /** Port for the reference server; a free one when omitted. */
  readonly port?: number;
  readonly workers?: number;
  /** How many residents to seed (default 10,000). */
  readonly residents?: number;
  readonly seed?: number;
  readonly resilience?: Partial<ResilienceConfig>;
  readonly respawnDelayMs?: number | null;
  readonly qrTtlS?: number;
  /** DATABASE_URL, REDIS_URL and TOXIPROXY_URL are read from here. */
  readonly env?: NodeJS.ProcessEnv;
  /** Progress for a person, one line each (stderr in the CLI). */
  readonly say?: (line: string) => void;
  /**
   * Niceness of every process of the stack (default STACK_NICE, or CODESTORM_STACK_NICE): on a
   * machine it shares with the load generator, the stack yields the CPU first, so that what
   * saturates is the system under test, never the generator measuring it.
   */
  readonly nice?: number;
  /** null: the stack is not pinned to CPUs of its own (default: cpuSplit(env), the upper half). */
  readonly cpus?: null;
  /** The caller's teardown, so a signal during start-up can undo what has started so far. */
  readonly teardown?: Teardown;
}

export interface Stack {
  readonly profile: ProfileName;
  readonly url: string;
  readonly metricsUrl: string | undefined;
  /** Direct connections, bypassing the proxies: for seeding, checks and faults. */
  readonly postgres: PostgresHandle;
  readonly redis: RedisHandle;
  readonly toxiproxy: ToxiproxyHandle;
  /** Where the server reaches each dependency: the Toxiproxy listeners. */
  readonly links: { readonly postgres: string; readonly redis: string };
  readonly server: ReferenceServer;
  readonly seeded: SeedResult & { readonly seed: number };
  readonly teardown: Teardown;
  /** The CPUs the stack was pinned to and those left to a load generator (pinGenerator), if pinned. */
  readonly cpus: CpuSplit | undefined;
  /** Resolves with a message if a process of the stack dies while it should be running. */
  readonly died: Promise<string>;
  stop(): Promise<void>;
}

import { DEFAULT_RESIDENTS, DEFAULT_SEED } from './defaults.js';

export { DEFAULT_RESIDENTS, DEFAULT_SEED };

export async function startStack(options: StackOptions): Promise<Stack> {
  const env = options.env ?? process.env;
  const say = options.say ?? (() => {});
  const teardown =
    options.teardown ?? new Teardown((step, err) => say(`codestorm: teardown step "${step}" failed: ${errorMessage(err)}`));
  try {
    return await bringUp(options, env, say, teardown);
  } catch (err) {
    await teardown.run();
    throw err;
  }
}

async function bringUp(
  options: StackOptions,
  env: NodeJS.ProcessEnv,
  say: (line: string) => void,
  teardown: Teardown,
): Promise<Stack> {
  // Addresses the user gave are checked before anything starts: a bad one is invalid input.
  const given = givenDependencies(env);

  // What killed runs left goes first (said on stderr); then this stack's own state file and
  // watchdog, before anything starts, so that whatever kills us from here on is reaped.
  await reapLeftovers({ env, say });
  const split = options.cpus === null ? undefined : cpuSplit(env);
  const placement: Placement = { nice: stackNice(options, env), cpus: split?.stack };
  const ledger = openStateFile(teardown, env);
  if (given.toxiproxy) ledger.addToxiproxy(given.toxiproxy.apiUrl);

  const { postgres, redis, toxiproxy } = await startDependencies(given, { teardown, say, env, ledger, placement });
  const links = await proxyLinks(toxiproxy, teardown, postgres, redis);

  interrupted(teardown);
  const seed = options.seed ?? DEFAULT_SEED;
  const seeded = await seedDatabase(postgres, options.residents ?? DEFAULT_RESIDENTS, seed, say);

  interrupted(teardown);
  const config = await referenceServerConfig(options, postgres, links);
  say(`codestorm: starting the reference server (${config.profile}, ${config.workers} worker${config.workers === 1 ? '' : 's'})`);
  const server = await ReferenceServer.start(config, teardown, ledger, placement);
  // Listening is not ready: the workers' connections to Postgres and Redis may still be opening.
  await untilReady(server.url, 15_000);

  return {
    profile: config.profile,
    url: server.url,
    metricsUrl: server.metricsUrl,
    postgres,
    redis,
    toxiproxy,
    links: { postgres: `${links.postgres.host}:${links.postgres.port}`, redis: `${links.redis.host}:${links.redis.port}` },
    server,
    seeded: { ...seeded, seed },
    teardown,
    cpus: split,
    died: firstDeath([postgres.child, redis.child, toxiproxy.child, server.child]),
    stop: () => teardown.run(),
  };
}

/** The dependencies the user gave by URL (DATABASE_URL, REDIS_URL, TOXIPROXY_URL), parsed. */
interface GivenDependencies {
  readonly postgres: PostgresHandle | undefined;
  readonly redis: RedisHandle | undefined;
  readonly toxiproxy: ToxiproxyHandle | undefined;
}

function givenDependencies(env: NodeJS.ProcessEnv): GivenDependencies {
  const databaseUrl = env['DATABASE_URL'];
  const redisUrl = env['REDIS_URL'];
  const toxiproxyUrl = env['TOXIPROXY_URL'];
  return {
    postgres: databaseUrl ? parseDatabaseUrl(databaseUrl) : undefined,
    redis: redisUrl ? parseRedisUrl(redisUrl) : undefined,
    toxiproxy: toxiproxyUrl ? connectToxiproxy(toxiproxyUrl) : undefined,
  };
}

interface StartingOn {
  readonly teardown: Teardown;
  readonly say: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly ledger: Ledger;
  readonly placement: Placement;
}

/** Postgres, Redis and Toxiproxy: each the one given, or one started here. */
async function startDependencies(given: GivenDependencies, { teardown, say, env, ledger, placement }: StartingOn) {
  say(given.postgres ? 'codestorm: using Postgres at DATABASE_URL' : 'codestorm: starting embedded Postgres');
  // Started side by side; all of them settle before we go on or give up, so that nothing is
  // still starting while the teardown runs.
  const [postgres, redis, toxiproxy] = await settleAll([
    given.postgres ?? startEmbeddedPostgres(teardown, { say, env, ledger, placement }),
    given.redis ?? startRedis(teardown, { ledger, placement }),
    given.toxiproxy ?? startToxiproxy(teardown, say, ledger, placement),
  ] as const);
  interrupted(teardown);
  say(`codestorm: postgres on ${postgres.port}, redis on ${redis.port}, toxiproxy at ${toxiproxy.apiUrl}`);
  return { postgres, redis, toxiproxy };
}

type Link = Awaited<ReturnType<typeof addLink>>;

/** A Toxiproxy listener in front of Postgres, then one in front of Redis. */
async function proxyLinks(toxiproxy: ToxiproxyHandle, teardown: Teardown, postgres: PostgresHandle, redis: RedisHandle) {
  const postgresLink = await addLink(toxiproxy, teardown, 'postgres', `${postgres.host}:${postgres.port}`);
  const redisLink = await addLink(toxiproxy, teardown, 'redis', `${redis.host}:${redis.port}`);
  return { postgres: postgresLink, redis: redisLink };
}

/** Seeds through the direct connection (not the proxy), saying how far it has got. */
async function seedDatabase(postgres: PostgresHandle, residents: number, seed: number, say: (line: string) => void): Promise<SeedResult> {
  say(`codestorm: seeding ${residents.toLocaleString('en')} residents (seed ${seed})`);
  return seedResidents({
    databaseUrl: postgres.url,
    residents,
    seed,
    onProgress: (done, total) => {
      if (done < total) say(`codestorm:   ${done.toLocaleString('en')} / ${total.toLocaleString('en')}`);
    },
  });
}

/** The reference server's config: its ports, and Postgres and Redis reached through their links. */
async function referenceServerConfig(
  options: StackOptions,
  postgres: PostgresHandle,
  links: { readonly postgres: Link; readonly redis: Link },
): Promise<ServerConfig> {
  const [port, metricsPort] = await Promise.all([
    options.port !== undefined ? Promise.resolve(options.port) : freePort(),
    freePort(),
  ]);
  return serverConfig({
    profile: options.profile,
    host: '127.0.0.1',
    port,
    metricsPort,
    workers: options.workers ?? 1,
    databaseUrl: postgresUrlVia(postgres, links.postgres.host, links.postgres.port),
    redisUrl: `redis://${links.redis.host}:${links.redis.port}`,
    secret: randomBytes(32).toString('hex'),
    ...(options.respawnDelayMs !== undefined ? { respawnDelayMs: options.respawnDelayMs } : {}),
    ...(options.qrTtlS !== undefined ? { qrTtlS: options.qrTtlS } : {}),
    ...(options.resilience !== undefined ? { resilience: options.resilience } : {}),
  });
}

/** Resolves with a message when one of the stack's processes dies without being stopped. */
function firstDeath(children: ReadonlyArray<ManagedChild | undefined>): Promise<string> {
  const watched = children.filter((child): child is ManagedChild => child !== undefined);
  return new Promise<string>((resolve) => {
    for (const child of watched) {
      void child.exited.then((exit) => {
        if (!child.stopping) resolve(`${child.name} died (${describeExit(exit)})`);
      });
    }
  });
}

export const STACK_NICE = 10;

function stackNice(options: StackOptions, env: NodeJS.ProcessEnv): number {
  if (options.nice !== undefined) return options.nice;
  const raw = env['CODESTORM_STACK_NICE'];
  if (raw === undefined || raw === '') return STACK_NICE;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < -20 || n > 19) {
    throw new CodestormError('STACK_NICE_INVALID', `CODESTORM_STACK_NICE: expected a whole number from -20 to 19, got "${raw}"`);
  }
  return n;
}

function interrupted(teardown: Teardown): void {
  if (teardown.closed) throw new CodestormError('INTERRUPTED', 'interrupted while the stack was starting');
}

/** Promise.all that waits for every promise to settle, then fails with the first failure. */
async function settleAll<T extends readonly unknown[]>(promises: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

async function untilReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
      last = `${response.status} ${await response.text()}`;
    } catch (err) {
      last = errorMessage(err);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new CodestormError('SERVER_NOT_READY', `the reference server was not ready after ${timeoutMs} ms: /readyz said ${last}`);
}
