import type { JourneyContext, MetricDeclarations, WeightedJourney, WorkerIdentity } from '../../src/engine/journey.js';
import type { StreamName } from '../city/morning.js';
import { createIdentityGenerator, type Identity, type IdentityGenerator } from '../identity/generator.js';
import { priorToken, type PriorSessions } from '../city/prior.js';
import { CHECKPOINTS_PER_KIND, checkpointName, labName, labOfSite, siteName, type StaffCredentials } from '../city/staff.js';
import type { People, RetryPolicy } from '../people.js';
import { attempt, RetryBudget } from './retry.js';

/**
 * The people of a testing morning, as journeys the load engine runs in each worker thread
 * (it loads this module by path; see JourneyModuleRef). Each arrival draws a resident of the
 * simulated population, the same people the reference server was seeded with (same seed, same
 * count), and does what such a person does:
 *
 * - `resident.open-code`: opens the code; signs in first when this client holds no session;
 *   taps refresh on a spinner by the retry policy; when the app gives up, a share of residents
 *   (more of the elderly) are left with a broken client and re-install: their next open signs
 *   in again from a cold client (`session.reinstall`).
 * - `sampler.table`: the resident shows their code at a table; the sampler scans the tube, then
 *   the code; when the code will not load or the scan fails, the sampler types the ID number.
 * - `lab.result`: a lab posts a pooled tube's result (tubes this worker's tables filled), as
 *   the lab the tube's site sends to.
 * - `checkpoint.verify`: a metro, shop or hospital gate verifies the code the resident shows;
 *   without one, the resident is turned away.
 *
 * Samplers, labs and gates send the staff credentials the stack issued (`staff`); without them
 * (another target) they send none, and a server that checks refuses them.
 */
export interface CityJourneyOptions {
  readonly seed: number;
  readonly residents: number;
  readonly people: People;
  readonly residentsPerSite: number;
  readonly tablesPerSite: number;
  readonly poolSize: number;
  readonly journeys: readonly { readonly name: string; readonly use: StreamName; readonly weight: number; readonly retry: RetryPolicy }[];
  /** Sessions the residents' phones hold at the start (prepared by the stack); none: everyone signs in first. */
  readonly priorSessions?: PriorSessions;
  /** Staff credentials the stack issued, by site, lab and gate (sim/city/staff.ts). */
  readonly staff?: StaffCredentials;
  /** The city clock, to tell the time of day an outcome happened; none when `load` gives the rate. */
  readonly clock?: { readonly startS: number; readonly compress: number };
}

/**
 * What the morning meant for people, as custom metrics beside the HTTP ones (k6's kinds). Each
 * is recorded where the person's journey decides it.
 */
export const metrics: MetricDeclarations = {
  people_sampled: { type: 'counter', description: 'people swabbed and bound to a tube (method: scan, or the ID number typed by hand)' },
  last_sampled_at: { type: 'gauge', unit: 'clock', description: 'the city time of the last person sampled' },
  code_shown: { type: 'rate', description: 'share of code opens that ended with a code on the screen' },
  codes_not_loaded: { type: 'counter', description: 'code opens that ended with no code to show (the app gave up, or the session was refused)' },
  reinstalls: { type: 'counter', description: 'residents who re-installed the app and signed in again (the re-install storm)' },
  turned_away: { type: 'counter', description: 'people turned away at a gate because no code could be shown or checked (gate: hospital, metro, shop)' },
};

/** Sessions this worker's clients hold; bounded, oldest forgotten first. */
const MAX_SESSIONS = 200_000;
const JSON_HEADERS = Object.freeze({ 'content-type': 'application/json' });

export class CityState {
  readonly people: IdentityGenerator;
  readonly #sessions = new Map<number, string>();
  /** Residents whose prior session is gone (refused, or the app broke): they sign in again. */
  readonly #lostPrior = new Set<number>();
  readonly #broken = new Set<number>();
  readonly #tubes = new Map<string, number>();
  readonly #filled: { id: string; site: number }[] = [];
  readonly #prefix: string;
  /** Request headers for each staff credential, made once: the journeys send them on every request. */
  readonly #staffHeaders = new Map<string, Readonly<Record<string, string>>>();

  constructor(readonly options: CityJourneyOptions, worker: WorkerIdentity) {
    this.people = createIdentityGenerator({ seed: options.seed, population: options.residents });
    // Tube ids must not collide with an earlier run's against the same server.
    this.#prefix = `T${Date.now().toString(36).toUpperCase()}W${worker.index}`;
  }

  session(index: number): string | undefined {
    const held = this.#sessions.get(index);
    if (held !== undefined || this.options.priorSessions === undefined || this.#lostPrior.has(index)) return held;
    return priorToken(this.options.priorSessions, index);
  }

  signedIn(index: number, token: string): void {
    this.#sessions.delete(index);
    this.#sessions.set(index, token);
    if (this.#sessions.size > MAX_SESSIONS) {
      const oldest = this.#sessions.keys().next();
      if (oldest.done !== true) this.#sessions.delete(oldest.value);
    }
  }

  forget(index: number): void {
    this.#sessions.delete(index);
    this.#lostPrior.add(index);
  }

  /** The client broke: its session is gone and the next open is a re-install. */
  break(index: number): void {
    this.forget(index);
    this.#broken.add(index);
  }

  /** Whether this resident must re-install now (and so no longer afterwards). */
  takeBroken(index: number): boolean {
    return this.#broken.delete(index);
  }

  get brokenCount(): number {
    return this.#broken.size;
  }

  /** The tube the next person at this table goes into; a tube holds poolSize people. */
  tube(site: number, table: number): { id: string; last: boolean } {
    const key = `${site}-${table}`;
    const seq = this.#tubes.get(key) ?? 0;
    this.#tubes.set(key, seq + 1);
    const pool = this.options.poolSize;
    return { id: `${this.#prefix}-${key}-${Math.floor(seq / pool)}`, last: seq % pool === pool - 1 };
  }

  tubeFilled(id: string, site: number): void {
    this.#filled.push({ id, site });
  }

  /** A filled tube for a lab to report, oldest first. */
  nextFilled(): { id: string; site: number } | undefined {
    return this.#filled.shift();
  }

  /** JSON request headers carrying a staff credential, or none when the stack issued none. */
  staffHeaders(token: string | undefined): Readonly<Record<string, string>> {
    if (token === undefined) return JSON_HEADERS;
    let headers = this.#staffHeaders.get(token);
    if (headers === undefined) {
      headers = Object.freeze({ ...JSON_HEADERS, authorization: `Bearer ${token}` });
      this.#staffHeaders.set(token, headers);
    }
    return headers;
  }
}

interface Env {
  readonly state: CityState;
  readonly retry: RetryPolicy;
  readonly budget: RetryBudget;
}

export function journeys(options: unknown, worker: WorkerIdentity): WeightedJourney[] {
  const o = options as CityJourneyOptions;
  const state = new CityState(o, worker);
  return o.journeys.map((j) => {
    const env: Env = { state, retry: j.retry, budget: new RetryBudget(j.retry.budget) };
    return { name: j.name, weight: j.weight, run: (ctx: JourneyContext) => BUILT_IN[j.use](ctx, env) };
  });
}

const BUILT_IN: Readonly<Record<StreamName, (ctx: JourneyContext, env: Env) => Promise<void>>> = {
  'resident.open-code': async (ctx, env) => {
    const index = ctx.random.int(env.state.options.residents);
    const comeBack = env.state.options.people.comeBack;
    for (let open = 0; ; open++) {
      if ((await openCode(ctx, env, index)) !== undefined || open >= comeBack.times) return;
      await ctx.think(comeBack.afterMs * (0.5 + ctx.random.next()));
    }
  },
  'sampler.table': async (ctx, env) => {
    const { state } = env;
    const index = ctx.random.int(state.options.residents);
    const who = state.people.identity(index);
    const site = Math.floor(index / state.options.residentsPerSite);
    const table = 1 + (index % state.options.tablesPerSite);
    const tube = state.tube(site, table);
    const where = { tube: tube.id, site: siteName(site), table };
    const sampler = state.staffHeaders(state.options.staff?.samplers[site]);
    const qr = await openCode(ctx, env, index);
    let bound: 'scan' | 'manual' | undefined;
    if (qr !== undefined && ctx.random.next() >= state.options.people.scanFailure) {
      const scan = await attempt(ctx, 'sample.scan', post('/api/v1/samples/scan', { ...where, qr }, sampler), env.retry, env.budget, patience(env));
      if (scan.response.outcome === 'ok') bound = 'scan';
    }
    if (bound === undefined) {
      // The fallback: the sampler types the ID number from the resident's card.
      const manual = await attempt(ctx, 'sample.manual', post('/api/v1/samples/manual', { ...where, idNumber: who.idNumber }, sampler), env.retry, env.budget, patience(env));
      if (manual.response.outcome === 'ok') bound = 'manual';
    }
    if (bound === undefined) return;
    ctx.metrics.counter('people_sampled', 1, { method: bound });
    const clock = state.options.clock;
    if (clock !== undefined) ctx.metrics.gauge('last_sampled_at', clock.startS + (ctx.elapsedMs() / 1000) * clock.compress);
    if (tube.last) state.tubeFilled(tube.id, site);
  },
  'lab.result': async (ctx, env) => {
    const { state } = env;
    const tube = state.nextFilled();
    if (tube === undefined) return; // nothing sampled here yet
    const lab = labOfSite(tube.site);
    const result = ctx.random.next() < state.options.people.positivity ? 'positive' : 'negative';
    const headers = state.staffHeaders(state.options.staff?.labs[lab]);
    await attempt(ctx, 'lab.result', post('/api/v1/lab/results', { tube: tube.id, result, lab: labName(lab) }, headers), env.retry, env.budget, patience(env));
  },
  'checkpoint.verify': async (ctx, env) => {
    const index = ctx.random.int(env.state.options.residents);
    const hospital = ctx.random.next() < env.state.options.people.hospitalShare;
    const kind = hospital ? 'hospital' : ctx.random.next() < 0.7 ? 'metro' : 'shop';
    const checkpoint = checkpointName(kind, index % CHECKPOINTS_PER_KIND);
    const gate = env.state.staffHeaders(env.state.options.staff?.checkpoints[checkpoint]);
    const qr = await openCode(ctx, env, index);
    // No code to show, or one the gate could not check: turned away.
    const checked =
      qr !== undefined &&
      (await attempt(ctx, 'checkpoint.verify', post('/api/v1/checkpoints/verify', { qr, checkpoint, kind }, gate), env.retry, env.budget, patience(env))).response.outcome === 'ok';
    if (!checked) ctx.metrics.counter('turned_away', 1, { gate: kind });
  },
};

/**
 * A resident opens the code: signs in first when this client has no session (a re-install
 * when the client broke), then shows the code. Returns the QR payload, or undefined when the
 * app gave up.
 */
export async function openCode(ctx: JourneyContext, env: Env, index: number): Promise<string | undefined> {
  const { state } = env;
  const who = state.people.identity(index);
  const reinstall = state.takeBroken(index);
  let token = reinstall ? undefined : state.session(index);
  if (reinstall) ctx.metrics.counter('reinstalls');
  if (token === undefined) {
    const signIn = await attempt(
      ctx,
      reinstall ? 'session.reinstall' : 'session',
      post('/api/v1/session', { idNumber: who.idNumber, phone: who.phone }),
      env.retry,
      env.budget,
      { ...patience(env), wantBody: true },
    );
    token = signIn.gaveUp ? undefined : field(signIn.response.body, 'token');
    if (token === undefined) {
      gaveUp(ctx, env, who);
      return notShown(ctx);
    }
    state.signedIn(index, token);
  }
  const code = await attempt(
    ctx,
    'code',
    { method: 'GET', path: '/api/v1/code', headers: { authorization: `Bearer ${token}` } },
    env.retry,
    env.budget,
    { ...patience(env), wantBody: true },
  );
  if (code.response.status === 401) {
    state.forget(index); // expired or refused: sign in next time
    return notShown(ctx);
  }
  const payload = code.gaveUp ? undefined : field(code.response.body, 'qr', 'payload');
  if (payload === undefined) {
    gaveUp(ctx, env, who);
    return notShown(ctx);
  }
  ctx.metrics.rate('code_shown', true);
  return payload;
}

function notShown(ctx: JourneyContext): undefined {
  ctx.metrics.rate('code_shown', false);
  ctx.metrics.counter('codes_not_loaded');
  return undefined;
}

function gaveUp(ctx: JourneyContext, env: Env, who: Identity): void {
  const share = env.state.options.people.reinstall;
  const p = who.ageBand === 0 ? share.young : who.ageBand === 1 ? share.adult : share.elderly;
  if (ctx.random.next() < p) env.state.break(who.index);
}

function post(path: string, body: unknown, headers: Readonly<Record<string, string>> = JSON_HEADERS) {
  return { method: 'POST', path, headers, body: JSON.stringify(body) };
}

function patience(env: Env): { timeoutMs: number } {
  return { timeoutMs: env.state.options.people.patienceMs };
}

/** A string at `keys` in parsed JSON (or in JSON text), else undefined. */
function field(json: unknown, ...keys: string[]): string | undefined {
  let value: unknown = json;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  for (const key of keys) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === 'string' ? value : undefined;
}
