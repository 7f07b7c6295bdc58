import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createIdentityGenerator } from '../sim/identity/generator.js';
import { ManagedChild } from '../src/stack/child.js';
import { freePort, waitForPort } from '../src/stack/ports.js';
import { startStack } from '../src/stack/stack.js';
import { which } from '../src/stack/tools.js';
import { HELLO_WORLD, round, run, say, table } from './_util.js';

/**
 * Cached code reads per second (GET /api/v1/code with a bearer token, the code already in
 * Redis) of the reference server against a bare Node `http` hello-world, all one process,
 * driven by the same wrk script with the same headers, alternating, in one run.
 * The reference server runs three times: as shipped, with its near cache off so that every read
 * goes to Redis (through Toxiproxy), and with room for one request in flight, so that nearly
 * every request is refused at the door (503): what a refusal costs against what an answer
 * costs. A server that spends as much on refusing as on serving cannot shed its way out of a
 * retry storm. ratio = as shipped / hello-world (goal ≥ 0.5).
 */
const RESIDENTS = 10_000;
const TOKENS = 2_000;
const SECONDS = 10;
const CONNECTIONS = 64;
const ROUNDS = 2;


export async function main(args: readonly string[]): Promise<number> {
  const profile = args[0] === 'fragile' ? 'fragile' : 'hardened';
  const wrk = await which('wrk');
  if (wrk === undefined) {
    say('bench server: wrk is not installed (apt-get install -y wrk)');
    return 1;
  }
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'codestorm-bench-'));
  // Placed as its peer (a bare Node server) is: side by side means on equal terms.
  const stack = await startStack({ profile, residents: RESIDENTS, workers: 1, say, nice: 0, cpus: null });
  const direct = await startStack({ profile, residents: RESIDENTS, workers: 1, say, nice: 0, cpus: null, resilience: { nearCacheMs: 0 } });
  const door = await startStack({ profile, residents: RESIDENTS, workers: 1, say, nice: 0, cpus: null, resilience: { maxInFlight: 1 } });
  const helloPort = await freePort();
  const hello = new ManagedChild(process.execPath, ['-e', HELLO_WORLD, String(helloPort)], { name: 'hello-world' });
  try {
    await waitForPort(helloPort, { what: 'hello-world' });
    const people = createIdentityGenerator({ seed: stack.seeded.seed, population: RESIDENTS });
    const indexes = Array.from({ length: TOKENS }, (_, i) => Math.floor((i * RESIDENTS) / TOKENS));
    const scripts = new Map<string, string>();
    for (const [name, url] of [['shipped', stack.url], ['direct', direct.url], ['door', door.url]] as const) {
      const file = path.join(scratch, `${name}.lua`);
      await writeFile(file, wrkScript(await tokensFor(url, people, indexes)));
      scripts.set(name, file);
    }
    const targets = [
      { name: 'node http hello-world', url: `http://127.0.0.1:${helloPort}/api/v1/code`, script: scripts.get('shipped')! },
      { name: `reference server (${profile}), cached GET /api/v1/code`, url: `${stack.url}/api/v1/code`, script: scripts.get('shipped')! },
      { name: `  the same, near cache off: Redis on every read`, url: `${direct.url}/api/v1/code`, script: scripts.get('direct')! },
      { name: `  the same, one request in flight: refusals (503) per second`, url: `${door.url}/api/v1/code`, script: scripts.get('door')! },
    ];
    const results = await measure(wrk, targets);
    report(results, targets.map((t) => t.name), profile);
    return 0;
  } finally {
    await hello.stop();
    await door.stop();
    await direct.stop();
    await stack.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

interface Target {
  readonly name: string;
  readonly url: string;
  readonly script: string;
}

/** Per target and round: answers per second, p99, and of those answers the refusals (non-2xx) per second. */
type Results = Map<string, { rps: number[]; refusedRps: number[]; p99: number[]; errors: number }>;

/**
 * Both stacks share the seed and the residents; a token is only valid on the stack that issued
 * it, so each gets its own. Each resident's code is read once too: the bench measures cached reads.
 */
async function tokensFor(url: string, people: ReturnType<typeof createIdentityGenerator>, indexes: readonly number[]): Promise<string[]> {
  const tokens: string[] = [];
  for (const index of indexes) {
    const who = people.identity(index);
    const res = await fetch(`${url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ idNumber: who.idNumber, phone: who.phone }),
    });
    const token = ((await res.json()) as { token: string }).token;
    tokens.push(token);
    const code = await fetch(`${url}/api/v1/code`, { headers: { authorization: `Bearer ${token}` } });
    if (code.status !== 200) throw new Error(`warm-up read answered ${code.status}`);
  }
  return tokens;
}

/** ROUNDS rounds, each target in turn within a round, so that drift hits them alike. */
async function measure(wrk: string, targets: readonly Target[]): Promise<Results> {
  const results: Results = new Map();
  for (let round_ = 0; round_ < ROUNDS; round_++) {
    for (const target of targets) {
      say(`bench server: round ${round_ + 1}: wrk -c${CONNECTIONS} -d${SECONDS}s against ${target.name}`);
      const { stdout } = await run(wrk, ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '-s', target.script, target.url], { maxBuffer: 1 << 20 });
      const line = /CODESTORM (\d+) (\d+) (\d+) (\d+) (\d+)/.exec(stdout);
      if (line === null) throw new Error(`wrk printed no summary:\n${stdout}`);
      const [requests, micros, ioErrors, statusErrors, p99] = line.slice(1).map(Number) as [number, number, number, number, number];
      const entry = results.get(target.name) ?? { rps: [], refusedRps: [], p99: [], errors: 0 };
      entry.rps.push(requests / (micros / 1e6));
      entry.refusedRps.push(statusErrors / (micros / 1e6));
      entry.p99.push(p99 / 1000);
      entry.errors += ioErrors + statusErrors;
      results.set(target.name, entry);
    }
  }
  return results;
}

/** The table, then the one JSON line; `names`: hello-world, as shipped, near cache off, the door. */
function report(results: Results, names: readonly string[], profile: string): void {
  const rows = [...results].map(([name, r]) => ({
    target: name,
    'req/s (mean)': Math.round(mean(r.rps)),
    'req/s (each round)': r.rps.map((v) => Math.round(v)).join(' / '),
    'refused/s (mean)': Math.round(mean(r.refusedRps)),
    'p99 ms': round(mean(r.p99), 2),
    errors: r.errors,
  }));
  process.stdout.write(`${table(rows)}\n`);
  const helloRps = mean(results.get(names[0]!)!.rps);
  const refRps = mean(results.get(names[1]!)!.rps);
  const directRps = mean(results.get(names[2]!)!.rps);
  const refusedRps = mean(results.get(names[3]!)!.refusedRps);
  const ratio = round(refRps / helloRps);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'server',
      profile,
      reference_rps: Math.round(refRps),
      hello_world_rps: Math.round(helloRps),
      ratio,
      goal: '>= 0.5',
      met: ratio >= 0.5,
      reference_redis_every_read_rps: Math.round(directRps),
      ratio_redis_every_read: round(directRps / helloRps),
      // Refusals a second against cached answers a second: above 1, a refusal costs less than an answer.
      refused_rps: Math.round(refusedRps),
      ratio_refused_to_served: round(refusedRps / refRps),
      ratio_refused_to_hello_world: round(refusedRps / helloRps),
      errors: results.get(names[1]!)!.errors + results.get(names[2]!)!.errors,
      residents_read: TOKENS,
      connections: CONNECTIONS,
      seconds_per_round: SECONDS,
      rounds: ROUNDS,
    })}\n`,
  );
}

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

function wrkScript(tokens: readonly string[]): string {
  return [
    `local tokens = { ${tokens.map((t) => `"${t}"`).join(', ')} }`,
    'local i = 0',
    'request = function()',
    '  i = i % #tokens + 1',
    '  return wrk.format("GET", "/api/v1/code", { ["Authorization"] = "Bearer " .. tokens[i] })',
    'end',
    'done = function(summary, latency, requests)',
    '  io.write(string.format("CODESTORM %d %d %d %d %d\\n", summary.requests, summary.duration,',
    '    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,',
    '    summary.errors.status, latency:percentile(99)))',
    'end',
  ].join('\n');
}
