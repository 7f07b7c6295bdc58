// Long because: one real stack (seconds to start), and a worker killed and restarted once.
/**
 * The public port's socket (src/server/listener.ts): the primary binds it, each worker listens
 * on `acceptsPerTurn` copies of it, and it outlives a worker, so a connection made while no
 * worker runs is answered by the next one.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copiesFor, MAX_ACCEPTS_PER_TURN } from '../../src/server/listener.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

describe('copiesFor', () => {
  it('is one copy for Node’s one accept a turn, at least one, and capped', () => {
    expect(copiesFor(0)).toBe(1);
    expect(copiesFor(1)).toBe(1);
    expect(copiesFor(64)).toBe(64);
    expect(copiesFor(2.7)).toBe(2);
    expect(copiesFor(1e9)).toBe(MAX_ACCEPTS_PER_TURN);
  });
});

/** The inode of the socket listening on 127.0.0.1:port (/proc/net/tcp, state 0A). */
function listeningInode(port: number): string {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local && f[3] === '0A') return f[9]!;
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

/** How many of a process's descriptors are that socket. */
function copiesHeldBy(pid: number, inode: string): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`) n++;
    } catch {
      // closed while listed
    }
  }
  return n;
}

const COPIES = 3;
let t: TestStack;

beforeAll(async () => {
  t = await startTestStack({ residents: 200, resilience: { acceptsPerTurn: COPIES } });
});

afterAll(async () => {
  await t?.stop();
});

describe('the listening socket (Linux: read from /proc)', () => {
  it('is held by the worker as acceptsPerTurn descriptors, and answers', async () => {
    const port = Number(new URL(t.stack.url).port);
    const inode = listeningInode(port);
    const [pid] = [...t.stack.server.workers.values()];
    expect(copiesHeldBy(pid!, inode)).toBe(COPIES);
    const answers = await Promise.all(Array.from({ length: 50 }, () => t.request('GET', '/healthz')));
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
  });

  it('outlives a killed worker: a connection made while none runs is answered by the next', async () => {
    const port = Number(new URL(t.stack.url).port);
    const inode = listeningInode(port);
    const [pid] = [...t.stack.server.workers.values()];
    process.kill(pid!, 'SIGKILL');
    await waitFor('the worker gone', async () => (t.stack.server.workers.size === 0 ? true : undefined));
    // The next worker starts about a second later (respawnDelayMs): this waits in the kernel's queue.
    const answer = await t.request('GET', '/healthz');
    expect(answer.status).toBe(200);
    expect(listeningInode(port)).toBe(inode);
    const next = await waitFor('the next worker', async () => [...t.stack.server.workers.values()].find((p) => p !== pid));
    expect(copiesHeldBy(next, inode)).toBe(COPIES);
  });
});
