// Long because: one table per resilience part (bulkhead, circuit breaker, the database guard, coalescer, signed strings), all pure, none long.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../src/server/errors.js';
import { RESILIENCE } from '../../src/server/config.js';
import { Database } from '../../src/server/db/database.js';
import { Bulkhead } from '../../src/server/resilience/bulkhead.js';
import { CircuitBreaker } from '../../src/server/resilience/breaker.js';
import { Coalescer } from '../../src/server/resilience/coalescer.js';
import { QrIssuer, Signer, issueQr, issueToken, readQr, readToken } from '../../src/server/signing.js';

/**
 * Pure unit tests of the server's resilience parts and of the signed strings: no stack, no I/O.
 */

/** Settles every already-queued microtask (promise reactions), several rounds deep. */
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** Tracks a promise's state without awaiting it. */
function track<T>(p: Promise<T>): { state: 'pending' | 'fulfilled' | 'rejected'; value?: T; error?: unknown } {
  const t: { state: 'pending' | 'fulfilled' | 'rejected'; value?: T; error?: unknown } = { state: 'pending' };
  p.then(
    (value) => {
      t.state = 'fulfilled';
      t.value = value;
    },
    (error: unknown) => {
      t.state = 'rejected';
      t.error = error;
    },
  );
  return t;
}

describe('Bulkhead', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lets `capacity` callers in at once and queues the next', async () => {
    const b = new Bulkhead(3, 10, 2);
    await b.acquire(0);
    await b.acquire(0);
    await b.acquire(0);
    expect(b.active).toBe(3);
    expect(b.waiting).toBe(0);
    const fourth = track(b.acquire(0));
    await flush();
    expect(fourth.state).toBe('pending');
    expect(b.waiting).toBe(1);
    expect(b.active).toBe(3);
    b.release();
    await flush();
    expect(fourth.state).toBe('fulfilled');
    // The slot was handed over, not freed and retaken: still three active, nobody waiting.
    expect(b.active).toBe(3);
    expect(b.waiting).toBe(0);
    b.release();
    b.release();
    b.release();
    expect(b.active).toBe(0);
  });

  it('sheds at once with OVERLOADED (503, Retry-After) when the queue is full', async () => {
    const b = new Bulkhead(1, 2, 7);
    await b.acquire(0);
    const w1 = track(b.acquire(0));
    const w2 = track(b.acquire(0));
    expect(b.waiting).toBe(2);
    const shed = b.acquire(0);
    await expect(shed).rejects.toBeInstanceOf(ApiError);
    const err = (await shed.catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('OVERLOADED');
    expect(err.statusCode).toBe(503);
    expect(err.retryAfterS).toBe(7);
    // Shedding did not disturb the queue.
    expect(b.waiting).toBe(2);
    await flush();
    expect(w1.state).toBe('pending');
    expect(w2.state).toBe('pending');
  });

  it('with maxQueue 0 the queue is unbounded', async () => {
    const b = new Bulkhead(1, 0, 1);
    await b.acquire(0);
    const waiters = Array.from({ length: 500 }, () => track(b.acquire(0)));
    await flush();
    expect(b.waiting).toBe(500);
    expect(waiters.every((w) => w.state === 'pending')).toBe(true);
  });

  it('a waiter whose deadline passes leaves the queue with DEADLINE_EXCEEDED', async () => {
    const b = new Bulkhead(1, 5, 3);
    await b.acquire(0);
    const late = track(b.acquire(Date.now() + 100));
    const patient = track(b.acquire(0));
    await vi.advanceTimersByTimeAsync(99);
    expect(late.state).toBe('pending');
    expect(b.waiting).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(late.state).toBe('rejected');
    expect(late.error).toBeInstanceOf(ApiError);
    expect((late.error as ApiError).code).toBe('DEADLINE_EXCEEDED');
    expect((late.error as ApiError).statusCode).toBe(503);
    expect((late.error as ApiError).retryAfterS).toBe(3);
    expect(b.waiting).toBe(1);
    // The slot goes to the waiter still there, not to the one that gave up.
    b.release();
    await flush();
    expect(patient.state).toBe('fulfilled');
    expect(b.active).toBe(1);
  });

  it('a deadline already in the past rejects without ever holding a slot', async () => {
    const b = new Bulkhead(1, 5, 1);
    await b.acquire(0);
    const late = track(b.acquire(Date.now() - 1_000));
    await vi.advanceTimersByTimeAsync(0);
    expect(late.state).toBe('rejected');
    expect((late.error as ApiError).code).toBe('DEADLINE_EXCEEDED');
    expect(b.waiting).toBe(0);
    b.release();
    expect(b.active).toBe(0);
  });

  it('a waiter that got its slot is not rejected later by its deadline timer', async () => {
    const b = new Bulkhead(1, 5, 1);
    await b.acquire(0);
    const w = track(b.acquire(Date.now() + 100));
    b.release();
    await flush();
    expect(w.state).toBe('fulfilled');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(w.state).toBe('fulfilled');
    expect(b.active).toBe(1);
  });

  it('hands freed slots to waiters in FIFO order', async () => {
    const b = new Bulkhead(1, 10, 1);
    await b.acquire(0);
    const order: number[] = [];
    const waiters = [0, 1, 2, 3, 4].map((i) => b.acquire(i % 2 === 0 ? 0 : Date.now() + 60_000).then(() => order.push(i)));
    for (let i = 0; i < 5; i++) {
      b.release();
      await flush();
      expect(order).toEqual([0, 1, 2, 3, 4].slice(0, i + 1));
    }
    await Promise.all(waiters);
    b.release();
    expect(b.active).toBe(0);
    expect(b.waiting).toBe(0);
  });
});

describe('CircuitBreaker', () => {
  const clock = () => {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it('opens after `threshold` consecutive failures, not before', () => {
    const c = clock();
    const b = new CircuitBreaker(3, 1_000, c.now);
    expect(b.state).toBe('closed');
    b.failure();
    b.failure();
    expect(b.state).toBe('closed');
    expect(b.allow()).toBe('pass');
    b.failure();
    expect(b.state).toBe('open');
    expect(b.allow()).toBeUndefined();
    expect(b.allow()).toBeUndefined();
  });

  it('counts only consecutive failures: a success in between resets the count', () => {
    const c = clock();
    const b = new CircuitBreaker(3, 1_000, c.now);
    b.failure();
    b.failure();
    b.success();
    b.failure();
    b.failure();
    expect(b.state).toBe('closed');
    b.failure();
    expect(b.state).toBe('open');
  });

  it('goes half-open after openMs and lets exactly one trial through', () => {
    const c = clock();
    const b = new CircuitBreaker(2, 1_000, c.now);
    b.failure();
    b.failure();
    c.advance(999);
    expect(b.state).toBe('open');
    expect(b.allow()).toBeUndefined();
    c.advance(1);
    expect(b.state).toBe('half-open');
    expect(b.allow()).toBe('trial');
    // The trial is in flight: everyone else is refused, however long it takes.
    expect(b.allow()).toBeUndefined();
    c.advance(10_000);
    expect(b.allow()).toBeUndefined();
    expect(b.state).toBe('half-open');
  });

  it('a successful trial closes it', () => {
    const c = clock();
    const b = new CircuitBreaker(2, 1_000, c.now);
    b.failure();
    b.failure();
    c.advance(1_000);
    expect(b.allow()).toBe('trial');
    b.success();
    expect(b.state).toBe('closed');
    expect(b.allow()).toBe('pass');
    expect(b.allow()).toBe('pass');
    // And the failure count started over.
    b.failure();
    expect(b.state).toBe('closed');
  });

  it('a failed trial re-opens it for another full openMs, after a single failure', () => {
    const c = clock();
    const b = new CircuitBreaker(3, 1_000, c.now);
    b.failure();
    b.failure();
    b.failure();
    c.advance(1_500);
    expect(b.allow()).toBe('trial');
    b.failure();
    expect(b.state).toBe('open');
    expect(b.allow()).toBeUndefined();
    c.advance(999);
    expect(b.allow()).toBeUndefined();
    c.advance(1);
    expect(b.state).toBe('half-open');
    expect(b.allow()).toBe('trial');
    expect(b.allow()).toBeUndefined();
  });

  it('a cancelled trial (shed before reaching the dependency) frees the trial slot without a verdict', () => {
    const c = clock();
    const b = new CircuitBreaker(1, 1_000, c.now);
    b.failure();
    c.advance(1_000);
    expect(b.allow()).toBe('trial');
    expect(b.allow()).toBeUndefined();
    // A caller that was let through while closed cannot release the trial slot...
    b.cancel('pass');
    expect(b.allow()).toBeUndefined();
    // ...only the trial's own caller can.
    b.cancel('trial');
    expect(b.state).toBe('half-open');
    expect(b.allow()).toBe('trial');
    expect(b.allow()).toBeUndefined();
  });

  it('threshold 0 never opens', () => {
    const c = clock();
    const b = new CircuitBreaker(0, 1_000, c.now);
    for (let i = 0; i < 1_000; i++) b.failure();
    expect(b.state).toBe('closed');
    expect(b.allow()).toBe('pass');
    c.advance(5_000);
    expect(b.allow()).toBe('pass');
    expect(b.allow()).toBe('pass');
  });
});

describe('Database guard: breaker and bulkhead together (pool stubbed, no I/O)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A Database whose pool.query is a stub answering each call with a promise we settle. */
  function stubbedDb() {
    const db = new Database('postgres://nobody:nothing@127.0.0.1:9/none', {
      ...RESILIENCE.hardened,
      dbPoolSize: 1,
      maxDbQueue: 10,
      breakerFailureThreshold: 1,
      breakerOpenMs: 1_000,
    });
    const calls: { text: string; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
    (db.pool as unknown as { query: unknown }).query = (text: string) =>
      new Promise((resolve, reject) => calls.push({ text, resolve, reject }));
    return { db, calls };
  }
  const connReset = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

  it('a dependency failure opens the breaker; calls are refused with DEPENDENCY_UNAVAILABLE until openMs', async () => {
    const { db, calls } = stubbedDb();
    const q1 = track(db.query(0, 'q1'));
    await flush();
    calls[0]?.reject(connReset());
    await flush();
    expect((q1.error as ApiError).code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(db.breaker.state).toBe('open');
    const refused = track(db.query(0, 'q2'));
    await flush();
    expect((refused.error as ApiError).code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    const trial = track(db.query(0, 'trial'));
    await flush();
    expect(calls.map((c) => c.text)).toEqual(['q1', 'trial']);
    calls[1]?.resolve({ rows: [] });
    await flush();
    expect(trial.state).toBe('fulfilled');
    expect(db.breaker.state).toBe('closed');
    await db.end();
  });

  // Regression: a request admitted while the breaker was closed and then shed by the bulkhead
  // used to clear the half-open trial flag, letting one more request through per timeout.
  it('half-open admits one trial even when older queued waiters time out meanwhile', async () => {
    const { db, calls } = stubbedDb();
    const q1 = track(db.query(0, 'q1')); // holds the only slot
    const q2 = track(db.query(0, 'q2')); // queued, takes the slot after q1
    const q3 = track(db.query(Date.now() + 1_500, 'q3')); // queued; gives up at +1.5 s
    await flush();
    calls[0]?.reject(connReset()); // the database is gone: the breaker opens
    await flush();
    expect(db.breaker.state).toBe('open');
    expect(calls.map((c) => c.text)).toEqual(['q1', 'q2']);

    await vi.advanceTimersByTimeAsync(1_000);
    const trial = track(db.query(0, 'trial')); // the one half-open trial; queued behind q2
    const refused = track(db.query(0, 'refused'));
    await flush();
    expect(trial.state).toBe('pending');
    expect((refused.error as ApiError | undefined)?.code).toBe('DEPENDENCY_UNAVAILABLE');

    await vi.advanceTimersByTimeAsync(500); // q3's deadline passes in the queue
    expect((q3.error as ApiError | undefined)?.code).toBe('DEADLINE_EXCEEDED');
    const second = track(db.query(0, 'second'));
    await flush();
    // The trial is still in flight: this one must be refused like `refused` was.
    expect(second.state).toBe('rejected');
    expect((second.error as ApiError | undefined)?.code).toBe('DEPENDENCY_UNAVAILABLE');

    for (const c of calls) c.resolve({ rows: [] });
    await vi.advanceTimersByTimeAsync(5_000);
    for (const c of calls) c.resolve({ rows: [] });
    void q1;
    void q2;
    await db.end();
  });
});

describe('Coalescer', () => {
  const deferred = <T>() => {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };

  it('concurrent calls for one key share one load and one result', async () => {
    const c = new Coalescer<number, { n: number }>();
    const d = deferred<{ n: number }>();
    const load = vi.fn(() => d.promise);
    const calls = Array.from({ length: 50 }, () => c.run(7, load));
    expect(load).toHaveBeenCalledTimes(1);
    expect(c.size).toBe(1);
    const value = { n: 42 };
    d.resolve(value);
    const results = await Promise.all(calls);
    for (const r of results) expect(r).toBe(value);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('different keys load separately', async () => {
    const c = new Coalescer<number, number>();
    const load = vi.fn((k: number) => Promise.resolve(k * 10));
    const [a, b] = await Promise.all([c.run(1, () => load(1)), c.run(2, () => load(2))]);
    expect(a).toBe(10);
    expect(b).toBe(20);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('after a load settles, the next call loads again', async () => {
    const c = new Coalescer<string, number>();
    let n = 0;
    const load = vi.fn(async () => ++n);
    expect(await c.run('k', load)).toBe(1);
    expect(c.size).toBe(0);
    expect(await c.run('k', load)).toBe(2);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('a rejection is shared by every waiter and then cleared', async () => {
    const c = new Coalescer<string, number>();
    const d = deferred<number>();
    const load = vi.fn(() => d.promise);
    const calls = Array.from({ length: 5 }, () => c.run('k', load));
    const boom = new Error('db down');
    d.reject(boom);
    const outcomes = await Promise.allSettled(calls);
    for (const o of outcomes) {
      expect(o.status).toBe('rejected');
      expect((o as PromiseRejectedResult).reason).toBe(boom);
    }
    expect(load).toHaveBeenCalledTimes(1);
    expect(c.size).toBe(0);
    // The failure is not cached: the next call tries again and can succeed.
    await expect(c.run('k', () => Promise.resolve(5))).resolves.toBe(5);
  });

  it('a caller that joins while a load is in flight gets that load, not a new one', async () => {
    const c = new Coalescer<string, number>();
    const first = deferred<number>();
    const p1 = c.run('k', () => first.promise);
    await flush();
    const second = vi.fn(() => Promise.resolve(2));
    const p2 = c.run('k', second);
    first.resolve(1);
    expect(await p1).toBe(1);
    expect(await p2).toBe(1);
    expect(second).not.toHaveBeenCalled();
  });
});

describe('Signer and signed strings', () => {
  const signer = new Signer('00112233445566778899aabbccddeeff0011223344556677');
  const other = new Signer('ffeeddccbbaa99887766554433221100ffeeddccbbaa9988');
  /** Every character a base64url MAC, a decimal field or a separator could plausibly become. */
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=.! ';
  const expiresAt = 1_900_000_000;
  const qrClaims = { residentId: 4321, colour: 'yellow', version: 3, expiresAt };

  /** Every string that differs from `s` in exactly one character (replaced, deleted or inserted). */
  function* singleCharEdits(s: string, insertAtEnd = true): Generator<{ edited: string; what: string }> {
    for (let i = 0; i < s.length; i++) {
      for (const ch of ALPHABET) {
        if (ch !== s[i]) yield { edited: s.slice(0, i) + ch + s.slice(i + 1), what: `replace [${i}] '${s[i]}'→'${ch}'` };
      }
      yield { edited: s.slice(0, i) + s.slice(i + 1), what: `delete [${i}]` };
    }
    for (let i = 0; i <= (insertAtEnd ? s.length : s.length - 1); i++) {
      for (const ch of ALPHABET) yield { edited: s.slice(0, i) + ch + s.slice(i), what: `insert '${ch}' at ${i}` };
    }
  }

  it('rejects a secret shorter than 16 bytes', () => {
    expect(() => new Signer('00112233445566778899aabbccddee')).toThrow(/16 bytes/);
  });

  it('a session token round-trips', () => {
    const token = issueToken(signer, 12345, expiresAt);
    expect(token.startsWith('t1.12345.1900000000.')).toBe(true);
    expect(readToken(signer, token)).toEqual({ residentId: 12345, expiresAt });
    expect(readToken(signer, issueToken(signer, 0, expiresAt))).toEqual({ residentId: 0, expiresAt });
  });

  it('a QR is signed once a step, and its expiry rounded up by a step no longer than its TTL', () => {
    const at = 1_800_000_003_500; // ms
    const long = new QrIssuer(signer, 300);
    const first = long.issue(7, 'green', 1, at);
    expect(first.expiresAt).toBe(1_800_000_310); // 303.5 s on, up to the next 10 s
    expect(long.issue(7, 'green', 1, at + 6_000)).toBe(first); // the same step: the same string
    expect(long.issue(7, 'green', 1, at + 7_000).expiresAt).toBe(1_800_000_320);
    // A 1 s QR expires within 2 s, not at the next 10 s.
    expect(new QrIssuer(signer, 1).issue(7, 'green', 1, at).expiresAt).toBe(1_800_000_005);
    expect(readQr(signer, new QrIssuer(signer, 3).issue(7, 'red', 2, at).payload)).toEqual({ residentId: 7, colour: 'red', version: 2, expiresAt: 1_800_000_009 });
  });

  it('a QR payload round-trips', () => {
    const qr = issueQr(signer, qrClaims);
    expect(readQr(signer, qr)).toEqual(qrClaims);
  });

  it('a token or QR signed with another key is rejected', () => {
    expect(readToken(signer, issueToken(other, 12345, expiresAt))).toBeUndefined();
    expect(readQr(signer, issueQr(other, qrClaims))).toBeUndefined();
  });

  it('rejects every single-character change to the fields and separators of a token', () => {
    const token = issueToken(signer, 12345, expiresAt);
    const macStart = token.lastIndexOf('.') + 1;
    const accepted: string[] = [];
    for (const { edited, what } of singleCharEdits(token.slice(0, macStart), false)) {
      if (readToken(signer, edited + token.slice(macStart)) !== undefined) accepted.push(what);
    }
    expect(accepted).toEqual([]);
  });

  it('rejects every single-character change to the fields and separators of a QR', () => {
    const qr = issueQr(signer, qrClaims);
    const macStart = qr.lastIndexOf('.') + 1;
    const accepted: string[] = [];
    for (const { edited, what } of singleCharEdits(qr.slice(0, macStart), false)) {
      if (readQr(signer, edited + qr.slice(macStart)) !== undefined) accepted.push(what);
    }
    expect(accepted).toEqual([]);
  });

  // Regression: Node's base64url decoder is lenient (spare low bits of the 22nd character,
  // '+'/'/' aliases, skipped stray characters), so comparing decoded MACs accepted altered
  // copies of a token. verify compares the MAC as text.
  it('rejects every single-character change anywhere in a token, MAC included', () => {
    for (const residentId of [1, 12345, 987654]) {
      const token = issueToken(signer, residentId, expiresAt);
      const accepted: string[] = [];
      for (const { edited, what } of singleCharEdits(token)) {
        if (edited !== token && readToken(signer, edited) !== undefined) accepted.push(what);
      }
      expect(accepted.length, `${accepted.length} altered copies of ${token} verified, e.g. ${accepted.slice(0, 4).join('; ')}`).toBe(0);
    }
  });

  it('rejects every single-character change anywhere in a QR payload, MAC included', () => {
    const qr = issueQr(signer, qrClaims);
    const accepted: string[] = [];
    for (const { edited, what } of singleCharEdits(qr)) {
      if (edited !== qr && readQr(signer, edited) !== undefined) accepted.push(what);
    }
    expect(accepted.length, `${accepted.length} altered copies of ${qr} verified, e.g. ${accepted.slice(0, 4).join('; ')}`).toBe(0);
  });

  it('rejects the wrong kind, wrong field count and malformed strings', () => {
    // A correctly signed string of another kind or shape.
    expect(readToken(signer, signer.sign(['t2', 12345, expiresAt]))).toBeUndefined();
    expect(readToken(signer, signer.sign(['t1', 12345]))).toBeUndefined();
    expect(readToken(signer, signer.sign(['t1', 12345, expiresAt, 9]))).toBeUndefined();
    expect(readQr(signer, signer.sign(['q2', 1, 'green', 0, expiresAt]))).toBeUndefined();
    // Signed, right kind, but fields that are not natural numbers.
    expect(readToken(signer, signer.sign(['t1', -5, expiresAt]))).toBeUndefined();
    expect(readToken(signer, signer.sign(['t1', '1e3', expiresAt]))).toBeUndefined();
    expect(readToken(signer, signer.sign(['t1', '', expiresAt]))).toBeUndefined();
    expect(readToken(signer, signer.sign(['t1', '1234567890123456', expiresAt]))).toBeUndefined();
    expect(readQr(signer, signer.sign(['q1', 1, 'green', 'x', expiresAt]))).toBeUndefined();
    for (const junk of ['', '.', 'a', 't1', 't1.1.2', '.abc', 't1.1.2.', '....']) {
      expect(readToken(signer, junk)).toBeUndefined();
      expect(readQr(signer, junk)).toBeUndefined();
    }
  });

  it('a session token is not accepted as a QR, nor a QR as a token', () => {
    const token = issueToken(signer, 12345, expiresAt);
    const qr = issueQr(signer, qrClaims);
    expect(readQr(signer, token)).toBeUndefined();
    expect(readToken(signer, qr)).toBeUndefined();
    // Even a token-kind string with the QR's field count is refused by readQr, and vice versa.
    expect(readQr(signer, signer.sign(['t1', 1, 'green', 0, expiresAt]))).toBeUndefined();
    expect(readToken(signer, signer.sign(['q1', 1, expiresAt]))).toBeUndefined();
  });
});
