/**
 * Every error code the harness gives, with its exit code and what it means: one catalogue, as
 * the reference server has its own (src/server/errors.ts). Codes read SUBJECT_STATE, the subject
 * first (`SCENARIO_INVALID`, `REDIS_NOT_FOUND`), so that codes about one thing sort together; a
 * test holds every code to that, and every code here to being used. An error's exit code comes
 * from here, never from where it is thrown. Only bin/codestorm.js, through src/cli/main.ts's
 * runCli, turns an error into process.exitCode.
 */
export const ExitCode = {
  ok: 0,
  harnessFailed: 1,
  invalidInput: 2,
  thresholdsFailed: 99,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

interface Entry {
  readonly exit: ExitCode;
  /** What it means, for the README's table and for whoever meets the code in a log. */
  readonly means: string;
}

const input = (means: string) => ({ exit: ExitCode.invalidInput, means }) as const;
const harness = (means: string) => ({ exit: ExitCode.harnessFailed, means }) as const;

export const ERROR_CODES = {
  // Bad input: a flag, a file, an environment variable. Exit 2, and nothing is started.
  FLAG_INVALID: input('a command-line flag has a value it cannot take'),
  SCENARIO_UNREADABLE: input('the scenario file cannot be read'),
  SCENARIO_INVALID: input('the scenario file has problems; each is listed with its line and field'),
  EXECUTOR_CONFIG_INVALID: input("a scenario's load section does not fit the executor it names"),
  DURATION_INVALID: input('a duration is not one k6 would read ("500ms", "10s", "1m30s")'),
  THRESHOLD_INVALID: input('a threshold is not in k6 syntax, or names a metric the run does not have'),
  SLO_INVALID: input("the scenario's slo section is not window, sustain, metastableAfter and thresholds"),
  JOURNEY_INVALID: input('a declarative journey cannot run (no steps)'),
  STEP_INVALID: input("a journey's step cannot be sent (its URL is not a path on the target)"),
  TEMPLATE_INVALID: input('a {{ template }} in a step does not parse'),
  JOURNEY_MODULE_INVALID: input('a journey module cannot be loaded, or does not export journeys()'),
  METRICS_DECLARATION_INVALID: input("a journey module's custom-metric declarations are malformed"),
  METRIC_USE_INVALID: input('a journey recorded a custom metric against its declaration'),
  FAULT_INVALID: input('a fault cannot be placed on the timeline'),
  FAULT_UNREACHABLE: input('a fault needs a controller (Toxiproxy, Redis, Postgres, the server) the run does not have'),
  TARGET_INVALID: input('the target is not an http:// URL or "reference"'),
  SEED_INVALID: input('the seed is not a whole number'),
  IDENTITY_OPTION_INVALID: input("the identity generator's options are out of range"),
  IDENTITY_BLOCK_TOO_LARGE: input('an identity block holds more residents than its birth-date range has ID numbers'),
  HTTP_ORIGIN_INVALID: input("the HTTP client's origin is not http://host:port"),
  HTTP_CONNECTIONS_INVALID: input("the HTTP client's connection count is not a positive whole number"),
  HTTP_REQUEST_INVALID: input('a request target or header cannot be sent as HTTP/1.1'),
  RUN_DIR_INVALID: input('a folder given as a run directory is not one, or one of its files is malformed'),
  METRICS_LINE_INVALID: input('a line of metrics.ndjson is malformed'),
  EVENTS_LINE_INVALID: input('a line of events.ndjson is malformed'),
  SERVER_LINE_INVALID: input('a line of server.ndjson is malformed'),
  HISTORY_LINE_INVALID: input('a line of history.ndjson is malformed'),
  SUMMARY_INVALID: input('summary.json is malformed'),
  FORMAT_INVALID: input('export names a format codestorm cannot write'),
  METRICS_HISTOGRAM_INVALID: input('a histogram in metrics.ndjson cannot be decoded'),
  EXECUTOR_SHARE_INVALID: input('arrivals cannot be shared among the workers as asked'),
  K6_SCRIPT_TOO_LARGE: input('the exported k6 script is larger than a ConfigMap holds (1 MiB)'),
  K6_LOAD_UNSUPPORTED: input('the scenario\'s load has no k6 executor to become'),
  K6_RESULTS_INVALID: input("a k6 --out json file is not k6's JSON output"),
  DATABASE_URL_INVALID: input('DATABASE_URL is not a postgres:// URL'),
  REDIS_URL_INVALID: input('REDIS_URL is not a redis:// URL'),
  STACK_CPUS_INVALID: input('CODESTORM_STACK_CPUS is not a CPU list'),
  STACK_NICE_INVALID: input('CODESTORM_STACK_NICE is not a niceness from -20 to 19'),
  TOXIPROXY_NAME_INVALID: input('a Toxiproxy proxy or toxic name needs encoding'),
  // The harness could not do its job. Exit 1; what it started is stopped.
  BUILD_NOT_FOUND: harness('dist/ is missing: the package is not built'),
  POSTGRES_NOT_FOUND: harness("the embedded Postgres binaries are not installed"),
  POSTGRES_UNREACHABLE: harness('as root, the postgres user cannot reach the Postgres binaries and no folder it can reach takes a copy'),
  POSTGRES_USER_FAILED: harness('as root, the postgres user could not be created or cannot reach the binaries'),
  REDIS_NOT_FOUND: harness('redis-server could not be started'),
  TOXIPROXY_NOT_FOUND: harness('toxiproxy-server is not installed and cannot be built'),
  TOXIPROXY_UNREACHABLE: harness("Toxiproxy's API did not answer"),
  TOXIPROXY_FAILED: harness("Toxiproxy's API refused a call"),
  TOXIPROXY_DEADLINE: harness("Toxiproxy's API did not answer within its deadline"),
  SERVER_NOT_READY: harness('the reference server did not become ready'),
  CHILD_FAILED: harness('a process the stack started exited'),
  HTTP_CLIENT_CLOSED: harness('a request on a closed HTTP client (a harness bug)'),
  INTERRUPTED: harness('a signal stopped the run before it was done'),
} as const satisfies Record<string, Entry>;

export type ErrorCode = keyof typeof ERROR_CODES;
/** The codes whose exit is 2: what invalidInput() and invalidFields() may be given. */
export type InvalidInputCode = { [C in ErrorCode]: (typeof ERROR_CODES)[C]['exit'] extends 2 ? C : never }[ErrorCode];
