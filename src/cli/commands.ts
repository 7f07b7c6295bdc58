import type { Command } from 'commander';
import type { ExitCode } from '../errors.js';
import type { CommandIO } from './io.js';

type SetExit = (code: ExitCode) => void;

/**
 * Each command's flags and help, one function apiece, in the order `codestorm --help` lists
 * them. A command's module is loaded when it runs, so `plan` or `validate` do not pay for
 * loading the server and the engine.
 */
export const COMMANDS: readonly ((cli: Command, io: CommandIO, setExit: SetExit) => void)[] = [
  addRun,
  addValidate,
  addPlan,
  addCapacity,
  addFaults,
  addReport,
  addCompare,
  addServer,
  addExport,
  addDoctor,
  addDown,
  addDemo,
];

function addRun(cli: Command, io: CommandIO, setExit: SetExit): void {
  cli
    .command('run')
    .description('run a scenario: the load, the measurements, the verdict')
    .argument('<scenario>', 'scenario file (YAML)')
    .option('--target <url>', 'an http:// origin to load instead of the scenario\'s target')
    .option('--out <dir>', 'run directory (default reports/<UTC time>-<scenario name>)')
    .option('--seed <n>', 'seed for every random choice (default: the scenario\'s, else a fresh one, written into the run)')
    .option('--profile <profile>', 'reference server profile when the target is "reference": fragile | hardened', 'hardened')
    .option('--workers <n>', 'engine worker threads (default: cores - 1, at least 1)')
    .option('--quiet', 'no progress on stderr')
    .option('--json', 'print summary.json on stdout instead of the human summary')
    .option('--set <key=value>', SET_HELP, collect, [] as string[])
    .option('--compress <n>', COMPRESS_HELP)
    .option('--dashboard [port]', DASHBOARD_HELP)
    .option('--dashboard-linger <duration>', LINGER_HELP)
    .action(async (file: string, flags) => setExit(await (await import('./run.js')).runCommand(file, flags, io)));
}

function addValidate(cli: Command, io: CommandIO, setExit: SetExit): void {
  cli
    .command('validate')
    .description('check scenario files: one line per problem, naming the file and the field; exit 2 if any is invalid')
    .argument('<scenario...>', 'scenario files (YAML)')
    .action(async (files: string[]) => setExit(await (await import('./validate.js')).validateCommand(files, io)));
}

function addPlan(cli: Command, io: CommandIO, setExit: SetExit): void {
  cli
    .command('plan')
    .description('what a scenario will do, without running it: the curve, the journey mix, the population, the faults')
    .argument('<scenario>', 'scenario file (YAML)')
    .option('--seed <n>', 'seed for the sample of residents (default: the scenario\'s)')
    .option('--json', 'one JSON object on stdout, the same bytes for the same scenario and seed')
    .option('--compress <n>', COMPRESS_HELP)
    .action(async (file: string, flags) => setExit(await (await import('./plan.js')).planCommand(file, flags, io)));
}

function addCapacity(cli: Command, io: CommandIO, setExit: SetExit): void {
  cli
    .command('capacity')
    .description('find the highest arrival rate the target sustains within the SLO, and what goodput it keeps past it; gate on a baseline')
    .argument('<scenario>', 'scenario file (YAML): its target and journeys; its load is ignored')
    .option('--slo <expr>', 'SLO, repeatable: METRIC:EXPR or EXPR (p(99)<250, rate<0.01); default the scenario\'s slo', collect, [] as string[])
    .option('--baseline <file>', 'a previous capacity --json output to compare with')
    .option('--max-regression <pct>', 'capacity, or light-load p99 beyond its sampling noise, worse than the baseline by more than this fails (default 10)')
    .option('--json', 'one JSON object on stdout: capacityRps, sloHeld, steps, overload, overloadShape, verdict, …')
    .option('--target <url>', 'an http:// origin instead of the scenario\'s target')
    .option('--out <dir>', 'run directory (default reports/<UTC time>-<scenario name>-capacity)')
    .option('--profile <profile>', 'reference server profile: fragile | hardened', 'hardened')
    .option('--seed <n>', 'seed for every random choice')
    .option('--workers <n>', 'engine worker threads (default: cores - 1, at least 1)')
    .option('--start <rps>', 'first step\'s rate (default 25)')
    .option('--max <rps>', 'highest rate to try (default 20000)')
    .option('--step <duration>', 'how long each step runs; the first runs long enough for 500 arrivals (default 10s)')
    .option('--settle <duration>', 'quiet between steps (default 3s)')
    .option('--refine <n>', 'bisection steps inside the bracket (default 4)')
    .option('--confirm <n>', 'run a failing step again this many times; it fails only if every run does (default 1)')
    .option('--overload <list>', 'after the search, steps at these multiples of the capacity, measured but not gated (default 1.5,2,3)')
    .option('--no-overload', 'no overload steps')
    .option('--set <key=value>', SET_HELP, collect, [] as string[])
    .option('--quiet', 'no progress on stderr')
    .option('--dashboard [port]', DASHBOARD_HELP)
    .option('--dashboard-linger <duration>', LINGER_HELP)
    .action(async (file: string, flags) => setExit(await (await import('./capacity.js')).capacityCommand(file, flags, io)));
}

function addFaults(cli: Command, io: CommandIO, setExit: SetExit): void {
  cli
    .command('faults')
    .description('run only the scenario\'s fault timeline and scrapes against a stack you name, while a load runs elsewhere (k6); join them with report --from-k6 --run')
    .argument('<scenario>', 'scenario file (YAML): its faults, its timeline and its length; its load runs elsewhere')
    .option('--target <url>', 'the system\'s http:// origin (default the scenario\'s target); faults act through TOXIPROXY_URL, REDIS_URL, DATABASE_URL')
    .option('--scrape <url>', 'Prometheus metrics to scrape each second into server.ndjson (default the scenario\'s scrape)')
    .option('--out <dir>', 'run directory (default reports/<UTC time>-<scenario name>-faults)')
    .option('--seed <n>', 'seed for the faults\' random choices (default the scenario\'s)')
    .option('--start-at <time>', 'second 0: an ISO 8601 time or +DURATION from now, to start with a load started apart (default now)')
    .option('--quiet', 'no progress on stderr')
    .option('--json', 'one JSON object on stdout: dir, faults, durationS, interrupted')
    .option('--dashboard [port]', DASHBOARD_HELP)
    .option('--dashboard-linger <duration>', LINGER_HELP)
    .action(async (file: string, flags) => setExit(await (await import('./faults.js')).faultsCommand(file, flags, io)));
}

function addReport(cli: Command, io: CommandIO, setExit: SetExit): void {
  cli
    .command('report')
    .description('analyse a run directory again from its files and render it again (summary.json, summary.md, junit.xml); with --from-k6, make one from k6 runners\' results first')
    .argument('[run-dir]', 'a run directory')
    .option('--from-k6 <files...>', "k6 --out json files (.gz too), one per runner, merged and judged as one test")
    .option('--scenario <file>', 'with --from-k6: the scenario that was exported (its thresholds and SLO judge the merged test)')
    .option('--out <dir>', 'with --from-k6: the run directory to write (default reports/<UTC time>-<scenario name>-k6)')
    .option('--run <dir>', 'with --from-k6: join the load to the run directory of codestorm faults (its events and scrapes, one clock; its scenario unless --scenario)')
    .action(async (dir: string | undefined, flags) => setExit(await (await import('./report.js')).reportCommand(dir, flags, io)));
}

function addCompare(cli: Command, io: CommandIO, setExit: SetExit): void {
  cli
    .command('compare')
    .description('one page with two runs overlaid and a table of differences')
    .argument('<run-a>', 'a run directory')
    .argument('<run-b>', 'another run directory')
    .option('--out <file>', 'where to write the page', 'compare.html')
    .option('--json', 'the differences as one JSON object on stdout, no page')
    .action(async (a: string, b: string, flags) => setExit(await (await import('./compare.js')).compareCommand(a, b, flags, io)));
}

function addServer(cli: Command, io: CommandIO, setExit: SetExit): void {
  cli
    .command('server')
    .description('bring up the stack (Postgres, Redis, Toxiproxy, reference server) in the foreground until Ctrl-C')
    .option('--profile <profile>', 'fragile | hardened', 'hardened')
    .option('--port <n>', 'port for the reference server (default: a free one)')
    .option('--residents <n>', 'residents to seed (default 10000; 12952907 is the whole city)')
    .option('--workers <n>', 'reference server worker processes', '1')
    .option('--seed <n>', 'seed for the residents\' identities')
    .option('--set <key=value>', SET_HELP, collect, [] as string[])
    .action(async (flags) => setExit(await (await import('./server.js')).serverCommand(flags, io)));
}

function addExport(cli: Command, io: CommandIO, setExit: SetExit): void {
  cli
    .command('export')
    .description('write a k6 script of the scenario\'s load and journeys, a k6-operator TestRun and a README: export k6 SCENARIO --out DIR')
    .argument('<format>', 'k6 (the only one)')
    .argument('<scenario>', 'scenario file (YAML)')
    .option('--out <dir>', 'folder for script.js, testrun.yaml and README.md (required)')
    .option('--parallelism <n>', 'k6-operator runners; each runs its execution segment of the whole test', '1')
    .action(async (format: string, file: string, flags) => setExit(await (await import('./export.js')).exportCommand(format, file, flags, io)));
}

function addDoctor(cli: Command, io: CommandIO, setExit: SetExit): void {
  cli
    .command('doctor')
    .description('what is installed, what is missing, and the command that gets it')
    .option('--json', 'one JSON object on stdout')
    .action(async (flags) => setExit(await (await import('./doctor.js')).doctorCommand(flags, io)));
}

function addDown(cli: Command, io: CommandIO, setExit: SetExit): void {
  cli
    .command('down')
    .description('stop and remove what killed runs left behind: processes, temporary folders, Toxiproxy toxics')
    .action(async () => setExit(await (await import('./down.js')).downCommand(io)));
}

function addDemo(cli: Command, io: CommandIO, setExit: SetExit): void {
  cli
    .command('demo')
    .description('the morning of 4 January 2022 (scenarios/xian-2022-01-04.yaml) against the reference stack, fragile then hardened, and a page comparing them')
    .option('--profile <profile>', 'run this profile alone: fragile | hardened')
    .option('--out <dir>', 'folder for the runs and compare.html (default reports/<UTC time>-xian-demo)')
    .option('--compress <n>', `${COMPRESS_HELP}; 20 replays the morning at a truer clock in 7.5 min a profile`)
    .action(async (flags) => setExit(await (await import('./demo.js')).demoCommand(flags, io)));
}

const DASHBOARD_HELP = 'a live page of the run at http://127.0.0.1:PORT/ (loopback only; a free port unless given as --dashboard=PORT), its address on stderr';
const LINGER_HELP = 'with --dashboard: keep the page up this long after the run ends (default: it closes with the run; Ctrl-C closes it early)';
const COMPRESS_HELP = 'replay the city clock at N simulated seconds a real second, the load of each real second held: population.scale, maxInFlight and people.comeBack.after scale with it (the scenario\'s clock.compress otherwise)';
const SET_HELP = 'one resilience setting of the reference server over its profile, repeatable: coalesce=false, maxInFlight=64 (an unknown key lists them all)';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
