/**
 * The reference server's configuration. The two profiles share every line of code and differ
 * only in these numbers and switches: `fragile` is what fell over in Xi'an, `hardened` is what
 * survives the same morning (../../shared/DESIGN.md, "The system under test").
 */
export const PROFILES = ['fragile', 'hardened'] as const;
export type ProfileName = (typeof PROFILES)[number];

export interface ResilienceConfig {
  /** Connections each worker keeps to Postgres. */
  readonly dbPoolSize: number;
  /** How long a request may wait for a pool connection; 0 waits forever. */
  readonly dbConnectionTimeoutMs: number;
  /** Postgres statement_timeout; 0 means none. */
  readonly statementTimeoutMs: number;
  /** Each request's deadline for its database work; 0 means none. */
  readonly requestDeadlineMs: number;
  /** Requests a worker serves at once before it sheds with 503; 0 never sheds. */
  readonly maxInFlight: number;
  /**
   * Requests a worker works on at once, each holding its slot through every wait, as a
   * thread-per-request server's threads; the rest wait first come first served. 0: no limit —
   * a request waiting on the database holds nothing (asynchronous I/O), so a cache hit never
   * waits behind a miss; concurrency is then bounded by maxInFlight and the database queue.
   */
  readonly requestSlots: number;
  /** A request that waited longer than this for a slot is refused (503) instead of worked on; 0 never. */
  readonly slotWaitMs: number;
  /** A request whose client hung up while it waited for a slot is dropped, not worked on. */
  readonly dropAbandoned: boolean;
  /** Requests allowed to queue for a database connection before shedding; 0 is unbounded. */
  readonly maxDbQueue: number;
  /** Concurrent cache misses for one resident share one database read. */
  readonly coalesce: boolean;
  /**
   * Cache misses for different residents within one turn of the event loop are read in one
   * query, up to this many residents each (DataLoader's batching); 0 reads each miss alone. A
   * storm of misses then costs a database round trip per batch, not per person.
   */
  readonly missBatch: number;
  /** Cache entries carry an HMAC; an entry that fails it counts as a miss. */
  readonly signedCacheEntries: boolean;
  /**
   * A changed code's cache entry is replaced by a tombstone naming the version the database now
   * holds (not deleted), and a read fills the cache only if the key still holds what the read
   * saw before it asked the database (compare-and-set). Without it, a read that asked the
   * database just before a lab result committed writes the superseded code back after the
   * result's invalidation, and it is served for the entry's whole lifetime: the stale-set race
   * that memcache's leases close (Nishtala et al., "Scaling Memcache at Facebook", NSDI 2013).
   */
  readonly guardedFill: boolean;
  /**
   * How long a code stays fresh in the cache. A code changes only through a lab result, which
   * removes it from the cache at once: the lifetime is a safety net, an hour in both profiles
   * (the city's prior state assumes the same hour: sim/city/prior.ts).
   */
  readonly cacheTtlS: number;
  /** After freshness ends, an entry is still served while one refresh runs; 0 turns it off. */
  readonly staleWhileRevalidateS: number;
  /** Open the breaker after this many consecutive database failures; 0 has no breaker. */
  readonly breakerFailureThreshold: number;
  /** How long an open breaker stays open before one trial request. */
  readonly breakerOpenMs: number;
  /**
   * How long a worker answers from its own memory a code it just read (a near cache in front
   * of Redis); 0 turns it off. A spinner tapped twenty times a second then costs one Redis read
   * a second. Another worker may show a changed code this much later.
   */
  readonly nearCacheMs: number;
  /** Per-command Redis timeout; 0 means none (commands queue while Redis is away). */
  readonly redisCommandTimeoutMs: number;
  /** Seconds a shed client is told to wait (Retry-After). */
  readonly retryAfterS: number;
  /**
   * Sign-in attempts one ID number may make at once (a token bucket per ID number, in each
   * worker); the next is refused with 429 SIGN_IN_LIMITED. 0 turns the budget off.
   */
  readonly signInBurst: number;
  /** Seconds for a spent sign-in budget to gain one attempt back (the 429's Retry-After); 0 never. */
  readonly signInRefillS: number;
  /**
   * Connections the kernel holds for the server while its event loop is too busy to accept them
   * (listen(2)'s backlog, capped by net.core.somaxconn). Past it, a new connection's SYN is
   * dropped and the client tries again only 1 s, then 3 s, later: a phone that timed out and
   * reconnects meets a full queue exactly when everyone does.
   */
  readonly listenBacklog: number;
  /**
   * Connections a worker takes from that queue in one turn of its event loop. Node takes one
   * (libuv 1.45 and later: libuv/libuv#3696), so a worker whose turns take 8 ms under load
   * accepts about 125 connections a second, whatever its CPU has to spare, and the rest wait in
   * the kernel's queue until it overflows. Each one more listens on another copy of the socket
   * (one more accept a turn), as Envoy's max_connections_to_accept_per_socket_event and
   * nginx's multi_accept do.
   */
  readonly acceptsPerTurn: number;
  /**
   * A sample's binding (seven statements: the tube, its lock, its count, the sample, the audit
   * row) runs as one call to a database function instead of statement by statement from the
   * server. One by one, each statement waits for a turn of the worker's event loop while its
   * transaction holds a pool connection: when the loop is busy, Postgres shows the pool "idle in
   * transaction" waiting for the server, and the reads queued behind it are shed.
   */
  readonly oneTripSampleBind: boolean;
  /**
   * A request that asks the database anything holds that connection until its answer has been
   * sent, not just while its statements run (Open Session in View: Spring Boot's
   * `spring.jpa.open-in-view`, on unless turned off; db/database.ts, HeldConnection). A cache miss
   * then holds one of the pool's connections through its Redis write and its rendering, and on
   * a busy worker through every turn of the event loop those wait for: the busier the worker,
   * the fewer misses its pool serves a second.
   */
  readonly connectionPerRequest: boolean;
}

export const RESILIENCE: Readonly<Record<ProfileName, ResilienceConfig>> = Object.freeze({
  fragile: Object.freeze({
    dbPoolSize: 10,
    dbConnectionTimeoutMs: 0,
    statementTimeoutMs: 0,
    requestDeadlineMs: 0,
    maxInFlight: 0,
    requestSlots: 200,
    slotWaitMs: 0,
    dropAbandoned: false,
    maxDbQueue: 0,
    coalesce: false,
    missBatch: 0,
    signedCacheEntries: false,
    guardedFill: false,
    cacheTtlS: 3_600,
    staleWhileRevalidateS: 0,
    breakerFailureThreshold: 0,
    breakerOpenMs: 0,
    nearCacheMs: 0,
    redisCommandTimeoutMs: 0,
    retryAfterS: 0,
    // What Xi'an ran: anyone may try an ID number's phone as often as they like.
    signInBurst: 0,
    signInRefillS: 0,
    // Node's default.
    listenBacklog: 511,
    // A servlet container's acceptor thread takes connections as fast as they come and queues
    // their requests for its threads (Tomcat holds up to 8,192). Node's one accept a turn would
    // instead leave them in the kernel's queue, where SYNs dropped at its overflow are a door
    // that admits no more than the worker serves: an admission control this server does not
    // have. With it (--set acceptsPerTurn=1) the slot queue never grew past the phones'
    // patience; without it, it holds the requests of phones that gave up long ago.
    acceptsPerTurn: 64,
    // What an ORM does: a statement, a round trip, the next statement.
    oneTripSampleBind: false,
    // Spring Boot's default (it logs a warning about it at start-up, and leaves it on).
    connectionPerRequest: true,
  }),
  hardened: Object.freeze({
    dbPoolSize: 10,
    dbConnectionTimeoutMs: 1_000,
    statementTimeoutMs: 1_500,
    requestDeadlineMs: 2_000,
    maxInFlight: 512,
    requestSlots: 0,
    slotWaitMs: 1_000,
    dropAbandoned: true,
    // Bounded in time (a connection within 1 s, the work within 2 s of arrival) and in count,
    // well below maxInFlight: at 1,000, requests waiting for a connection took every in-flight
    // place in the Xi'an surge (db_pool_waiting ~500 of maxInFlight 512) and the cache hits
    // behind them were shed; at 100 the hits are served (surge goodput 644 → 796/s, one run each).
    maxDbQueue: 100,
    coalesce: true,
    missBatch: 100,
    signedCacheEntries: true,
    guardedFill: true,
    cacheTtlS: 3_600,
    staleWhileRevalidateS: 600,
    breakerFailureThreshold: 5,
    breakerOpenMs: 3_000,
    nearCacheMs: 1_000,
    redisCommandTimeoutMs: 250,
    retryAfterS: 2,
    // A resident signs in once, again after a re-install, perhaps a few times with a mistyped
    // phone: 10 at once never runs out for them. A client retrying a failed sign-in every
    // second runs dry in 10 s and then gets one try every 30 s; guessing an ID number's phone
    // (10^10 of them) at 2 a minute is hopeless.
    signInBurst: 10,
    signInRefillS: 30,
    // Room for a surge of reconnects (the kernel's default somaxconn): at 511 the Xi'an surge
    // overflowed the listen queue millions of times (TcpExtListenOverflows), and the phones
    // timed out before they had a connection to send on.
    listenBacklog: 4_096,
    // A connection storm is taken in as fast as it comes, so that admission can answer it (a
    // quick 503) instead of the kernel dropping its SYNs unseen.
    acceptsPerTurn: 64,
    // Seen in the Xi'an morning (pg_stat_activity, twice a second): after the restore 8-10 of the
    // 10 connections were "idle in transaction" waiting on the worker for 15 s while the code
    // reads behind them were shed (db-queue); the database itself was idle.
    oneTripSampleBind: true,
    // A connection is taken for a statement (or a transaction) and given back when it ends.
    connectionPerRequest: false,
  }),
});

export interface ServerConfig {
  readonly profile: ProfileName;
  readonly host: string;
  readonly port: number;
  /** The primary's own port for metrics aggregated over all workers; 0 turns it off. */
  readonly metricsPort: number;
  readonly workers: number;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** Hex key for session tokens, QR payloads and cache-entry MACs. */
  readonly secret: string;
  /** How long a QR payload stays valid. */
  readonly qrTtlS: number;
  /** How long a session token stays valid. */
  readonly tokenTtlS: number;
  /** Restart a worker this long after it died; null leaves it dead (a fault may want that). */
  readonly respawnDelayMs: number | null;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug';
  readonly resilience: ResilienceConfig;
}

export const CONFIG_ENV = 'CODESTORM_SERVER_CONFIG';

export function serverConfig(
  base: Omit<ServerConfig, 'resilience' | 'qrTtlS' | 'tokenTtlS' | 'respawnDelayMs' | 'logLevel' | 'metricsPort'> &
    Partial<Pick<ServerConfig, 'qrTtlS' | 'tokenTtlS' | 'respawnDelayMs' | 'logLevel' | 'metricsPort'>> & {
      resilience?: Partial<ResilienceConfig>;
    },
): ServerConfig {
  return Object.freeze({
    qrTtlS: 300,
    tokenTtlS: 24 * 3600,
    respawnDelayMs: 1_000,
    logLevel: 'warn' as const,
    metricsPort: 0,
    ...base,
    resilience: Object.freeze({ ...RESILIENCE[base.profile], ...base.resilience }),
  });
}

/** Reads the configuration the stack hands a server process through its environment. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const raw = env[CONFIG_ENV];
  if (raw === undefined) throw new Error(`${CONFIG_ENV} is not set: start the server with \`codestorm server\``);
  return JSON.parse(raw) as ServerConfig;
}
