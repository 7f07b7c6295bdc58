import pg from 'pg';
import { ApiError } from '../errors.js';
import type { ResilienceConfig } from '../config.js';
import { Bulkhead } from '../resilience/bulkhead.js';
import { CircuitBreaker } from '../resilience/breaker.js';

/**
 * The server's only way to Postgres. In `fragile` it is a bare pool whose waiters queue
 * forever; in `hardened` every call passes a circuit breaker, a bounded queue and the
 * request's deadline, and the database enforces a statement timeout.
 */
export type Deadline = number; // absolute ms since the epoch; 0 means none

export class Database {
  readonly pool: pg.Pool;
  readonly bulkhead: Bulkhead | undefined;
  readonly breaker: CircuitBreaker;
  readonly #retryAfterS: number;

  constructor(url: string, config: ResilienceConfig) {
    this.pool = new pg.Pool({
      connectionString: url,
      max: config.dbPoolSize,
      connectionTimeoutMillis: config.dbConnectionTimeoutMs,
      idleTimeoutMillis: 0,
      ...(config.statementTimeoutMs > 0 ? { statement_timeout: config.statementTimeoutMs } : {}),
    });
    // An idle connection that breaks (a fault on the link) must not crash the worker.
    this.pool.on('error', () => {});
    this.bulkhead =
      config.maxDbQueue > 0 ? new Bulkhead(config.dbPoolSize, config.maxDbQueue, config.retryAfterS) : undefined;
    this.breaker = new CircuitBreaker(config.breakerFailureThreshold, config.breakerOpenMs);
    this.#retryAfterS = config.retryAfterS;
  }

  /**
   * Opens every connection of the pool before the worker takes traffic, as a production server
   * does: otherwise the first burst of requests pays for connecting, one Postgres backend fork
   * each, and a cold worker sheds or queues what a warm one answers. Best effort: a database that
   * is not there yet is /readyz's business.
   */
  async warm(withinMs = 2_000): Promise<number> {
    const size = this.pool.options.max ?? 10;
    let opened = 0;
    const connecting = Array.from({ length: size }, () =>
      this.pool.connect().then(
        (client) => {
          opened++;
          client.release();
        },
        () => {},
      ),
    );
    // Bounded: fragile's pool waits forever for a connection, and a worker must still start
    // when the link is down; connections that come later are released into the pool then.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(connecting), new Promise((resolve) => (timer = setTimeout(resolve, withinMs)))]);
    clearTimeout(timer);
    return opened;
  }

  /** Requests waiting for a database connection, in our queue and in the pool's. */
  get waiting(): number {
    return (this.bulkhead?.waiting ?? 0) + this.pool.waitingCount;
  }

  /** A connection one request will hold from its first query until its answer is sent (connectionPerRequest). */
  hold(): HeldConnection {
    return new HeldConnection(this.pool);
  }

  /** One statement: on a connection of the pool's for just that statement, or on `held`. */
  async query<R extends pg.QueryResultRow>(deadline: Deadline, text: string, values: unknown[] = [], held?: HeldConnection): Promise<pg.QueryResult<R>> {
    return this.#guarded(deadline, () => (held === undefined ? this.pool.query<R>(text, values) : held.use((client) => client.query<R>(text, values))));
  }

  /** Runs `work` in one transaction on one connection: one of the pool's, or `held`. */
  async transaction<T>(deadline: Deadline, work: (client: pg.PoolClient) => Promise<T>, held?: HeldConnection): Promise<T> {
    return this.#guarded(deadline, async () => {
      if (held !== undefined) return held.use((client) => inTransaction(client, work, () => held.spoil()));
      const client = await this.pool.connect();
      let broken = false;
      try {
        return await inTransaction(client, work, () => (broken = true));
      } finally {
        client.release(broken);
      }
    });
  }

  async #guarded<T>(deadline: Deadline, call: () => Promise<T>): Promise<T> {
    const permit = this.breaker.allow();
    if (permit === undefined) {
      throw new ApiError('DEPENDENCY_UNAVAILABLE', 'the database is unavailable (circuit open)', this.#retryAfterS);
    }
    if (this.bulkhead !== undefined) {
      try {
        await this.bulkhead.acquire(deadline);
      } catch (err) {
        this.breaker.cancel(permit);
        throw err;
      }
    }
    try {
      const result = await call();
      this.breaker.success();
      return result;
    } catch (err) {
      if (isDependencyFailure(err)) {
        this.breaker.failure();
        throw new ApiError('DEPENDENCY_UNAVAILABLE', `database: ${(err as Error).message}`, this.#retryAfterS);
      }
      this.breaker.success();
      throw err;
    } finally {
      this.bulkhead?.release();
    }
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

/** BEGIN, `work`, COMMIT; ROLLBACK when `work` fails (`onBroken` if even that fails). */
async function inTransaction<T>(client: pg.PoolClient, work: (client: pg.PoolClient) => Promise<T>, onBroken: () => void = () => {}): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(onBroken);
    throw err;
  }
}

/**
 * A connection held by one request from its first statement until its answer has been sent,
 * through everything the request does in between (its Redis calls, its rendering, each turn of
 * the event loop those wait for), as Open Session in View does: Spring Boot's
 * `spring.jpa.open-in-view`, on by default, binds the persistence context, and with it a pooled
 * connection once one is asked for, to the request's thread until the view is rendered. A pool
 * of 10 is then held by the 10 requests it last served, not by the 10 statements running, and
 * a request that needs the database waits in the pool's queue for one of them to be answered.
 *
 * Released when the response has closed (answered, or its client gone) and no statement is
 * running on it; a statement after that takes the connection again and gives it back at once.
 */
export class HeldConnection {
  #client: Promise<pg.PoolClient> | undefined;
  #running = 0;
  #closed = false;
  #spoiled = false;

  constructor(private readonly pool: pg.Pool) {}

  async use<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    this.#running++;
    let failure: unknown;
    try {
      this.#client ??= this.pool.connect().catch((err: unknown) => {
        this.#client = undefined;
        throw err;
      });
      return await work(await this.#client);
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      this.#running--;
      // A connection that broke under the statement is not used again.
      if (this.#spoiled || (failure !== undefined && isDependencyFailure(failure))) this.#release(failure ?? true);
      else if (this.#closed && this.#running === 0) this.#release();
    }
  }

  /** The connection is in no state to be used again (a ROLLBACK that failed): it is closed, not pooled, after this statement. */
  spoil(): void {
    this.#spoiled = true;
  }

  /** The request's answer has been sent, or its client has gone. */
  close(): void {
    this.#closed = true;
    if (this.#running === 0) this.#release();
  }

  #release(broken?: unknown): void {
    const client = this.#client;
    this.#client = undefined;
    this.#spoiled = false;
    client?.then(
      (c) => c.release(broken instanceof Error ? broken : broken !== undefined),
      () => {},
    );
  }
}

/**
 * Errors that say the database could not do the work (timeouts, lost connections, shutdown),
 * as opposed to errors in the work itself (a constraint violated).
 */
export function isDependencyFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    // 57014 query_canceled (statement_timeout), 57P0x shutdown, 08xxx connection, 53xxx resources
    return code === '57014' || code.startsWith('57P') || code.startsWith('08') || code.startsWith('53') ||
      code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT';
  }
  return /timeout|terminated|Connection|connect/i.test(err.message);
}
