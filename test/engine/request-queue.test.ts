import { describe, expect, it } from 'vitest';
import { DeadlineHeap } from '../../src/engine/http/deadline-heap.js';
import { Exchange, type HttpResult } from '../../src/engine/http/exchange.js';
import { RequestQueue } from '../../src/engine/http/request-queue.js';
import { createRandom } from '../../src/engine/random.js';

/** The queue of requests waiting for a socket, and its deadline heap, without sockets. */
function exchange(deadline: number, results: Map<Exchange, HttpResult>): Exchange {
  const e: Exchange = new Exchange('GET / HTTP/1.1\r\n\r\n', false, true, false, deadline, 0, (r) => results.set(e, r));
  return e;
}

describe('DeadlineHeap', () => {
  it('pops in deadline order whatever the order pushed, ties included', () => {
    const random = createRandom(7);
    const heap = new DeadlineHeap<{ deadline: number }>();
    const deadlines = Array.from({ length: 2_000 }, () => random.int(500));
    for (const deadline of deadlines) heap.push({ deadline });
    expect(heap.size).toBe(2_000);
    const popped: number[] = [];
    for (let item = heap.pop(); item !== undefined; item = heap.pop()) popped.push(item.deadline);
    expect(popped).toEqual([...deadlines].sort((a, b) => a - b));
    expect(heap.peek()).toBeUndefined();
  });
});

describe('RequestQueue', () => {
  it('serves first in first out, a retried request in front, and times out only what is due', () => {
    const results = new Map<Exchange, HttpResult>();
    const q = new RequestQueue();
    const [a, b, c, d] = [300, 100, 200, 50].map((deadline) => exchange(deadline, results));
    q.push(a!);
    q.push(b!);
    q.push(c!);
    q.unshift(d!);
    expect(q.pending).toBe(4);
    // At 150 the due ones are d (50) and b (100): settled as timeouts, and the earliest left is c's.
    expect(q.expire(150)).toBe(200);
    expect(results.get(d!)).toMatchObject({ outcome: 'timeout', detail: 'no free socket in time' });
    expect(results.get(b!)).toMatchObject({ outcome: 'timeout' });
    expect(q.pending).toBe(2);
    expect(q.shift()).toBe(a);
    // a left for a socket: its deadline is the socket's to watch now, not the queue's.
    expect(q.expire(1_000)).toBe(Number.POSITIVE_INFINITY);
    expect(results.has(a!)).toBe(false);
    expect(results.get(c!)).toMatchObject({ outcome: 'timeout' });
    expect(q.shift()).toBeUndefined();
    expect(q.empty).toBe(true);
  });

  it('a request sent, then put back in front, waits once and times out once', () => {
    const results = new Map<Exchange, HttpResult>();
    const q = new RequestQueue();
    const a = exchange(100, results);
    q.push(a);
    expect(q.shift()).toBe(a);
    q.unshift(a); // its socket was found closed: it goes back in front, with its deadline
    expect(q.pending).toBe(1);
    expect(q.expire(100)).toBe(Number.POSITIVE_INFINITY);
    expect(results.get(a)).toMatchObject({ outcome: 'timeout' });
    expect(q.pending).toBe(0);
    expect(q.shift()).toBeUndefined();
  });

  it('against a server that answers nothing, holds what waits, not every request timed out since', () => {
    // Every socket busy; each second 1,000 people ask and time out 3 s later while still
    // queued; nobody is ever served. Before, the timed-out entries stayed behind the head and
    // every sweep walked them all.
    const results = new Map<Exchange, HttpResult>();
    const q = new RequestQueue();
    let held = 0;
    for (let t = 0; t < 60_000; t += 10) {
      for (let i = 0; i < 10; i++) q.push(exchange(t + 3_000, results));
      q.expire(t);
      held = Math.max(held, q.held);
    }
    expect(q.pending).toBe(3_000); // the last 3 s of arrivals
    expect(results.size).toBe(57_000);
    expect([...results.values()].every((r) => r.outcome === 'timeout')).toBe(true);
    // At most the waiting and as many timed out again (or COMPACT_AFTER), not all 57,000.
    expect(held).toBeLessThanOrEqual(2 * 3_000 + 10);
    // The order kept through compaction: the oldest waiting is served first.
    expect(q.shift()?.deadline).toBe(60_000);
    expect(q.pending).toBe(2_999);
  });

  it('clear settles every waiting request as other, once', () => {
    const results = new Map<Exchange, HttpResult>();
    const q = new RequestQueue();
    const [a, b] = [10, 20].map((deadline) => exchange(deadline, results));
    q.push(a!);
    q.push(b!);
    q.expire(10);
    q.clear(15, 'client closed');
    expect(results.get(a!)).toMatchObject({ outcome: 'timeout' });
    expect(results.get(b!)).toMatchObject({ outcome: 'other', detail: 'client closed' });
    expect(q.pending).toBe(0);
    expect(q.expire(100)).toBe(Number.POSITIVE_INFINITY);
  });
});
