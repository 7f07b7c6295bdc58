import { labName, labOfSite } from '../city/staff.js';
import { patience, post, type BuiltIn } from './env.js';
import { conflict, invoke, OP, writeEnd } from './operations.js';
import { attempt } from './retry.js';

/** `lab.result`: a lab posts a pooled tube's result (tubes this worker's tables filled), as the lab the tube's site sends to. */
export const lab: BuiltIn = async (ctx, env) => {
  const { state } = env;
  const tube = state.nextFilled();
  if (tube === undefined) return; // nothing sampled here yet
  const which = labOfSite(tube.site);
  const result = ctx.random.next() < state.options.people.positivity ? 'positive' : 'negative';
  const headers = state.staffHeaders(state.options.staff?.labs[which]);
  // The tube is the idempotency key: it takes one result, so a retry cannot apply twice.
  const done = invoke(ctx, OP.result, { tube: tube.id, idem: tube.id }, { result });
  const sent = await attempt(ctx, 'lab.result', post('/api/v1/lab/results', { tube: tube.id, result, lab: labName(which) }, headers), env.retry, env.budget, { ...patience(env), wantBody: true });
  done(writeEnd([sent], conflict('RESULT_EXISTS')));
};
