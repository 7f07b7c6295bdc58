import { siteName } from '../city/staff.js';
import { patience, post, type BuiltIn } from './env.js';
import { openCode } from './open-code.js';
import { invoke, OP, writeEnd } from './operations.js';
import { attempt, type Attempted } from './retry.js';

/**
 * `sampler.table`: the resident shows their code at a table; the sampler scans the tube, then
 * the code; when the code will not load or the scan fails, the sampler types the ID number.
 */
export const sampler: BuiltIn = async (ctx, env) => {
  const { state } = env;
  const index = ctx.random.int(state.options.residents);
  const who = state.people.identity(index);
  const site = Math.floor(index / state.options.residentsPerSite);
  const table = 1 + (index % state.options.tablesPerSite);
  const tube = state.tube(site, table);
  const where = { tube: tube.id, site: siteName(site), table };
  const headers = state.staffHeaders(state.options.staff?.samplers[site]);
  const qr = await openCode(ctx, env, index);
  // One binding, however many requests it takes: the pair (tube, person) is its idempotency key.
  const done = invoke(ctx, OP.bind, { tube: tube.id, resident: index, idem: `${tube.id}:${index}` });
  const tries: Attempted[] = [];
  let bound: 'scan' | 'manual' | undefined;
  if (qr !== undefined && ctx.random.next() >= state.options.people.scanFailure) {
    const scan = await attempt(ctx, 'sample.scan', post('/api/v1/samples/scan', { ...where, qr }, headers), env.retry, env.budget, patience(env));
    tries.push(scan);
    if (scan.response.outcome === 'ok') bound = 'scan';
  }
  if (bound === undefined) {
    // The fallback: the sampler types the ID number from the resident's card.
    const manual = await attempt(ctx, 'sample.manual', post('/api/v1/samples/manual', { ...where, idNumber: who.idNumber }, headers), env.retry, env.budget, patience(env));
    tries.push(manual);
    if (manual.response.outcome === 'ok') bound = 'manual';
  }
  done(writeEnd(tries), bound === undefined ? undefined : { method: bound });
  if (bound === undefined) return;
  ctx.metrics.counter('people_sampled', 1, { method: bound });
  const clock = state.options.clock;
  if (clock !== undefined) ctx.metrics.gauge('last_sampled_at', clock.startS + (ctx.elapsedMs() / 1000) * clock.compress);
  if (tube.last) state.tubeFilled(tube.id, site);
};
