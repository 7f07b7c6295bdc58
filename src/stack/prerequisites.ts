import { embeddedBinaries, planBinaries, POSTGRES_USER, postgresRunAs, type BinariesPlan } from './postgres-binaries.js';
import { findToxiproxy, toxiproxyInstallCommand, versionOf, which, type ToolLocation } from './tools.js';

/**
 * What the stack needs from the machine, each found or missing, and for a missing one the
 * command that gets it. `codestorm doctor` prints this; nothing here installs anything.
 */
export interface Prerequisite {
  readonly name: string;
  readonly ok: boolean;
  /** Needed for `codestorm server`/`run`; optional ones only serve the benchmarks. */
  readonly required: boolean;
  readonly found: string;
  readonly fix: string | undefined;
}

const MIN_NODE_MAJOR = 20;

export async function checkPrerequisites(env: NodeJS.ProcessEnv = process.env): Promise<Prerequisite[]> {
  const found = await lookUp(env);
  return [
    nodeCheck(),
    postgresCheck(env, found),
    redisCheck(env, found),
    toxiproxyCheck(env, found),
    optionalCheck('pgbench (bench only)', found.pgbench, 'apt-get install -y postgresql-client'),
    optionalCheck('wrk (bench only)', found.wrk, 'apt-get install -y wrk'),
    optionalCheck('chromium (tests only: report.html in a browser)', found.chromium, 'apt-get install -y chromium'),
  ];
}

/** What was found on the machine; a dependency given by URL is not looked for. */
interface Found {
  readonly redisVersion: string | undefined;
  readonly toxiproxy: ToolLocation | undefined;
  readonly go: string | undefined;
  readonly postgresVersion: string | undefined;
  readonly postgresPlan: BinariesPlan | undefined;
  readonly pgbench: string | undefined;
  readonly wrk: string | undefined;
  readonly chromium: string | undefined;
}

async function lookUp(env: NodeJS.ProcessEnv): Promise<Found> {
  const redis = env['REDIS_URL'] ? undefined : await which('redis-server', env);
  const toxiproxy = env['TOXIPROXY_URL'] ? undefined : await findToxiproxy(env);
  const go = toxiproxy === undefined ? await which('go', env) : undefined;
  const postgres = env['DATABASE_URL'] ? undefined : await embeddedBinaries().catch(() => undefined);
  const postgresPlan =
    postgres === undefined ? undefined : await planBinaries(postgres, await postgresRunAs({ create: false }), env);
  const [redisVersion, postgresVersion, pgbench, wrk, chromium] = await Promise.all([
    redis === undefined ? undefined : versionOf(redis),
    postgres === undefined ? undefined : versionOf(postgres.postgres),
    which('pgbench', env),
    which('wrk', env),
    which('chromium', env).then(async (c) => c ?? (await which('chromium-browser', env))),
  ]);
  return { redisVersion, toxiproxy, go, postgresVersion, postgresPlan, pgbench, wrk, chromium };
}

function nodeCheck(): Prerequisite {
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  return {
    name: 'node',
    ok: nodeMajor >= MIN_NODE_MAJOR,
    required: true,
    found: `v${process.versions.node}`,
    fix: nodeMajor >= MIN_NODE_MAJOR ? undefined : `install Node.js ${MIN_NODE_MAJOR} or newer`,
  };
}

function postgresCheck(env: NodeJS.ProcessEnv, { postgresVersion, postgresPlan }: Found): Prerequisite {
  if (env['DATABASE_URL']) return { name: 'postgres', ok: true, required: true, found: 'DATABASE_URL is set', fix: undefined };
  return {
    name: 'postgres (embedded)',
    ok: postgresVersion !== undefined,
    required: true,
    found: postgresVersion === undefined ? 'missing' : `${postgresVersion}${asRoot(postgresPlan)}`,
    fix:
      postgresVersion === undefined
        ? 'npm ci   (or set DATABASE_URL)'
        : postgresPlan?.blockedBy !== undefined && postgresPlan.copyDir === undefined
          ? 'set CODESTORM_CACHE_DIR to a folder every user can pass through   (or set DATABASE_URL)'
          : undefined,
  };
}

function redisCheck(env: NodeJS.ProcessEnv, { redisVersion }: Found): Prerequisite {
  if (env['REDIS_URL']) return { name: 'redis-server', ok: true, required: true, found: 'REDIS_URL is set', fix: undefined };
  return {
    name: 'redis-server',
    ok: redisVersion !== undefined,
    required: true,
    found: redisVersion ?? 'missing',
    fix: redisVersion === undefined ? 'apt-get install -y redis-server   (or set REDIS_URL)' : undefined,
  };
}

function toxiproxyCheck(env: NodeJS.ProcessEnv, { toxiproxy, go }: Found): Prerequisite {
  if (env['TOXIPROXY_URL']) return { name: 'toxiproxy-server', ok: true, required: true, found: 'TOXIPROXY_URL is set', fix: undefined };
  if (toxiproxy !== undefined) return { name: 'toxiproxy-server', ok: true, required: true, found: toxiproxy.path, fix: undefined };
  return {
    name: 'toxiproxy-server',
    ok: go !== undefined,
    required: true,
    found: go !== undefined ? `missing; will be built with ${go} on first use` : 'missing, and no Go to build it',
    fix: go !== undefined ? toxiproxyInstallCommand(env) : `apt-get install -y golang && ${toxiproxyInstallCommand(env)}`,
  };
}

/** A tool only benchmarks or tests use: missing is not a failure. */
function optionalCheck(name: string, found: string | undefined, fix: string): Prerequisite {
  return { name, ok: found !== undefined, required: false, found: found ?? 'missing', fix: found === undefined ? fix : undefined };
}

/**
 * As root, Postgres runs as the postgres user, which must reach its binaries: say whether it
 * can where npm put them, or where the one-time copy is (or will be made on first start).
 */
function asRoot(plan: BinariesPlan | undefined): string {
  if (plan === undefined || plan.blockedBy === undefined) return '';
  const why = `; as root it runs as the ${POSTGRES_USER} user, which cannot pass through ${plan.blockedBy}`;
  if (plan.copyDir === undefined) return `${why}, and no folder it can reach is writable for a copy`;
  return plan.copied ? `${why}, so it runs from the copy in ${plan.copyDir}` : `${why}, so the first start copies the binaries to ${plan.copyDir} (once)`;
}
