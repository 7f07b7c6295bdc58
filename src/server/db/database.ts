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

  async query<R extends pg.QueryResultRow>(deadline: Deadline, text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    return this.#guarded(deadline, () => this.pool.query<R>(text, values));
  }

  /** Runs `work` in one transaction on one connection. */
  async transaction<T>(deadline: Deadline, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.#guarded(deadline, async () => {
      const client = await this.pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw err;
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
