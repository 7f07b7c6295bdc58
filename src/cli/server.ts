import { createIdentityGenerator } from '../../sim/identity/generator.js';
import { errorMessage, ExitCode, invalidInput } from '../errors.js';
import { PROFILES, type ProfileName } from '../server/config.js';
import { DEFAULT_RESIDENTS, DEFAULT_SEED, startStack, type Stack } from '../stack/stack.js';
import { isListening } from '../stack/ports.js';
import { staffIssuer } from '../stack/staff.js';
import { checkpointName, labName, labOfSite, siteName } from '../../sim/city/staff.js';
import { Teardown } from '../stack/teardown.js';
import type { CommandIO } from './io.js';
import { parseCount, parsePort } from './options.js';
import { parseSettings } from './settings.js';

export interface ServerFlags {
  readonly profile: string;
  readonly port?: string;
  readonly residents?: string;
  readonly workers?: string;
  readonly seed?: string;
  /** --set KEY=VALUE, repeatable (src/cli/settings.ts). */
  readonly set?: readonly string[];
}

interface ServerOptions {
  readonly profile: ProfileName;
  readonly port: number | undefined;
  readonly residents: number;
  readonly workers: number;
  readonly seed: number;
  readonly settings: ReturnType<typeof parseSettings>;
}

async function serverOptions(flags: ServerFlags): Promise<ServerOptions> {
  const o: ServerOptions = {
    profile: parseProfile(flags.profile),
    port: flags.port === undefined ? undefined : parsePort('--port', flags.port),
    residents: flags.residents === undefined ? DEFAULT_RESIDENTS : parseCount('--residents', flags.residents, 1, 12_952_907),
    workers: flags.workers === undefined ? 1 : parseCount('--workers', flags.workers, 1, 64),
    seed: flags.seed === undefined ? DEFAULT_SEED : parseCount('--seed', flags.seed, 0, 2 ** 31 - 1),
    settings: parseSettings(flags.set ?? []),
  };
  if (o.port !== undefined && (await isListening(o.port))) {
    throw invalidInput('FLAG_INVALID', `--port: ${o.port} is already in use on 127.0.0.1`);
  }
  return o;
}

/** `codestorm server`: the stack in the foreground, to explore by hand, until Ctrl-C. */
export async function serverCommand(flags: ServerFlags, io: CommandIO): Promise<ExitCode> {
  const o = await serverOptions(flags);
  const say = (line: string): void => io.stderr(`${line}\n`);
  const teardown = new Teardown((step, err) => say(`codestorm: teardown step "${step}" failed: ${errorMessage(err)}`));
  let signal: NodeJS.Signals | undefined;
  void io.interrupted.then((s) => {
    signal = s;
    say(`codestorm: ${s}: stopping the stack`);
    void teardown.run();
  });
  try {
    const stack = await startStack({
      profile: o.profile,
      residents: o.residents,
      workers: o.workers,
      seed: o.seed,
      env: io.env,
      say,
      teardown,
      resilience: o.settings,
      ...(o.port === undefined ? {} : { port: o.port }),
    });
    io.stdout(`${welcome(stack, o).join('\n')}\n`);
    const died = await Promise.race([stack.died, io.interrupted.then(() => undefined)]);
    if (died !== undefined && signal === undefined) {
      say(`codestorm: ${died}; stopping the stack`);
      await teardown.run();
      return ExitCode.harnessFailed;
    }
    await teardown.run();
    say('codestorm: stopped');
    return ExitCode.ok;
  } catch (err) {
    await teardown.run();
    // After a signal, whatever start-up step was cut short fails: that is the stop, not an error.
    if (signal !== undefined) {
      say('codestorm: stopped');
      return ExitCode.ok;
    }
    throw err;
  }
}

/** What the stack is, where its parts listen, some residents and staff to try, and curls. */
function welcome(stack: Stack, o: ServerOptions): string[] {
  const people = createIdentityGenerator({ seed: o.seed, population: o.residents });
  const sample = [0, Math.floor(o.residents / 2), o.residents - 1].filter((i, at, all) => all.indexOf(i) === at);
  return [
    `reference health-code server (${o.profile}) at ${stack.url}`,
    // What the server was started with, not what was asked for: the two must agree.
    ...wrap(
      '  settings:',
      Object.entries(stack.server.config.resilience).map(([k, v]) => `${k}=${String(v)}${k in o.settings ? ' (--set)' : ''}`),
    ),
    `  metrics (all workers, 127.0.0.1 only; not on the API port): ${stack.metricsUrl ?? 'off'}`,
    `  postgres 127.0.0.1:${stack.postgres.port} (server reaches it via toxiproxy ${stack.links.postgres})`,
    `  redis    127.0.0.1:${stack.redis.port} (server reaches it via toxiproxy ${stack.links.redis})`,
    `  toxiproxy API ${stack.toxiproxy.apiUrl}`,
    `  ${o.residents.toLocaleString('en')} residents seeded (seed ${o.seed}); some to try:`,
    ...sample.map((i) => {
      const p = people.identity(i);
      return `    ${p.name}  idNumber ${p.idNumber}  phone ${p.phone}  (${p.districtName})`;
    }),
    '  try:',
    `    curl -s -X POST ${stack.url}/api/v1/session -H 'content-type: application/json' \\`,
    `      -d '{"idNumber":"${people.identity(0).idNumber}","phone":"${people.identity(0).phone}"}'`,
    `    curl -s ${stack.url}/api/v1/code -H 'authorization: Bearer TOKEN'`,
    ...staffLines(stack, people.identity(0).idNumber),
    'press Ctrl-C to stop (everything started here is stopped and removed)',
  ];
}

/** One credential of each role, named as the simulator names the city's staff, and how to use them. */
function staffLines(stack: Stack, idNumber: string): string[] {
  const issue = staffIssuer(stack.server.config);
  const site = siteName(0);
  const lab = labName(labOfSite(0));
  const gate = checkpointName('metro', 0);
  const staff = { sampler: issue('sampler', site, lab), lab: issue('lab', lab), checkpoint: issue('checkpoint', gate) };
  return [
    `  staff credentials (Authorization: Bearer …, valid ${Math.round(stack.server.config.tokenTtlS / 3600)} h):`,
    `    sampler    of ${site} (its tubes go to ${lab}): ${staff.sampler}`,
    `    lab        ${lab}: ${staff.lab}`,
    `    checkpoint ${gate}: ${staff.checkpoint}`,
    `    curl -s -X POST ${stack.url}/api/v1/samples/manual -H 'content-type: application/json' \\`,
    `      -H 'authorization: Bearer ${staff.sampler}' \\`,
    `      -d '{"tube":"TUBE-1","site":"${site}","table":1,"idNumber":"${idNumber}"}'`,
    `    curl -s -X POST ${stack.url}/api/v1/lab/results -H 'content-type: application/json' \\`,
    `      -H 'authorization: Bearer ${staff.lab}' -d '{"tube":"TUBE-1","result":"negative","lab":"${lab}"}'`,
  ];
}

/** Words after a lead, as lines of at most about 100 characters, continued under the first word. */
function wrap(lead: string, words: readonly string[]): string[] {
  const lines: string[] = [];
  let line = lead;
  let onLine = 0;
  for (const w of words) {
    if (onLine > 0 && line.length + 1 + w.length > 100) {
      lines.push(line);
      line = ' '.repeat(lead.length);
      onLine = 0;
    }
    line += ` ${w}`;
    onLine++;
  }
  lines.push(line);
  return lines;
}

export function parseProfile(raw: string): ProfileName {
  if ((PROFILES as readonly string[]).includes(raw)) return raw as ProfileName;
  throw invalidInput('FLAG_INVALID', `--profile: expected one of ${PROFILES.join(', ')}, got "${raw}"`);
}
