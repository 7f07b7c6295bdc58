import { embeddedBinaries, planBinaries, POSTGRES_USER, postgresRunAs, type BinariesPlan } from './postgres-binaries.js';
import { findToxiproxy, toxiproxyInstallCommand, versionOf, which } from './tools.js';

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
  const nodeMajor = Number(process.versions.node.split('.')[0]);
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

  return [
    {
      name: 'node',
      ok: nodeMajor >= MIN_NODE_MAJOR,
      required: true,
      found: `v${process.versions.node}`,
      fix: nodeMajor >= MIN_NODE_MAJOR ? undefined : `install Node.js ${MIN_NODE_MAJOR} or newer`,
    },
    env['DATABASE_URL']
      ? { name: 'postgres', ok: true, required: true, found: 'DATABASE_URL is set', fix: undefined }
      : {
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
        },
    env['REDIS_URL']
      ? { name: 'redis-server', ok: true, required: true, found: 'REDIS_URL is set', fix: undefined }
      : {
          name: 'redis-server',
          ok: redisVersion !== undefined,
          required: true,
          found: redisVersion ?? 'missing',
          fix: redisVersion === undefined ? 'apt-get install -y redis-server   (or set REDIS_URL)' : undefined,
        },
    env['TOXIPROXY_URL']
      ? { name: 'toxiproxy-server', ok: true, required: true, found: 'TOXIPROXY_URL is set', fix: undefined }
      : toxiproxy !== undefined
        ? { name: 'toxiproxy-server', ok: true, required: true, found: toxiproxy.path, fix: undefined }
        : {
            name: 'toxiproxy-server',
            ok: go !== undefined,
            required: true,
            found: go !== undefined ? `missing; will be built with ${go} on first use` : 'missing, and no Go to build it',
            fix: go !== undefined ? toxiproxyInstallCommand(env) : `apt-get install -y golang && ${toxiproxyInstallCommand(env)}`,
          },
    {
      name: 'pgbench (bench only)',
      ok: pgbench !== undefined,
      required: false,
      found: pgbench ?? 'missing',
      fix: pgbench === undefined ? 'apt-get install -y postgresql-client' : undefined,
    },
    {
      name: 'wrk (bench only)',
      ok: wrk !== undefined,
      required: false,
      found: wrk ?? 'missing',
      fix: wrk === undefined ? 'apt-get install -y wrk' : undefined,
    },
    {
      name: 'chromium (tests only: report.html in a browser)',
      ok: chromium !== undefined,
      required: false,
      found: chromium ?? 'missing',
      fix: chromium === undefined ? 'apt-get install -y chromium' : undefined,
    },
  ];
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
