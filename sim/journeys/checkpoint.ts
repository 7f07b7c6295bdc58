import { CHECKPOINTS_PER_KIND, checkpointName } from '../city/staff.js';
import { patience, post, type BuiltIn } from './env.js';
import { openCode } from './open-code.js';
import { attempt } from './retry.js';

/** `checkpoint.verify`: a metro, shop or hospital gate verifies the code the resident shows; without one, the resident is turned away. */
export const checkpoint: BuiltIn = async (ctx, env) => {
  const index = ctx.random.int(env.state.options.residents);
  const hospital = ctx.random.next() < env.state.options.people.hospitalShare;
  const kind = hospital ? 'hospital' : ctx.random.next() < 0.7 ? 'metro' : 'shop';
  const name = checkpointName(kind, index % CHECKPOINTS_PER_KIND);
  const gate = env.state.staffHeaders(env.state.options.staff?.checkpoints[name]);
  const qr = await openCode(ctx, env, index);
  // No code to show, or one the gate could not check: turned away.
  const checked =
    qr !== undefined &&
    (await attempt(ctx, 'checkpoint.verify', post('/api/v1/checkpoints/verify', { qr, checkpoint: name, kind }, gate), env.retry, env.budget, patience(env))).response.outcome === 'ok';
  if (!checked) ctx.metrics.counter('turned_away', 1, { gate: kind });
};
