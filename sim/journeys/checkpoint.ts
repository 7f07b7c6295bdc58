import { CHECKPOINTS_PER_KIND, checkpointName } from '../city/staff.js';
import { patience, post, type BuiltIn } from './env.js';
import { openCode } from './open-code.js';
import { codeSeen, invoke, OP } from './operations.js';
import { attempt } from './retry.js';

/**
 * `checkpoint.verify`: a metro, shop or hospital gate verifies the code the resident shows; without
 * one, the resident is turned away. The gate admits a green code and nothing else.
 */
export const checkpoint: BuiltIn = async (ctx, env) => {
  const index = ctx.random.int(env.state.options.residents);
  const hospital = ctx.random.next() < env.state.options.people.hospitalShare;
  const kind = hospital ? 'hospital' : ctx.random.next() < 0.7 ? 'metro' : 'shop';
  const name = checkpointName(kind, index % CHECKPOINTS_PER_KIND);
  const gate = env.state.staffHeaders(env.state.options.staff?.checkpoints[name]);
  const qr = await openCode(ctx, env, index);
  // No code to show, or one the gate could not check: turned away.
  if (qr === undefined) {
    ctx.metrics.counter('turned_away', 1, { gate: kind });
    return;
  }
  const done = invoke(ctx, OP.verify, { resident: index, checkpoint: name });
  const verify = await attempt(ctx, 'checkpoint.verify', post('/api/v1/checkpoints/verify', { qr, checkpoint: name, kind }, gate), env.retry, env.budget, { ...patience(env), wantBody: true });
  const seen = verify.response.outcome === 'ok' ? codeSeen(verify.response.body) : undefined;
  done(seen !== undefined ? 'ok' : verify.response.outcome === '4xx' ? 'fail' : 'info', seen === undefined ? undefined : { ...seen, admitted: seen.colour === 'green' });
  if (seen === undefined) ctx.metrics.counter('turned_away', 1, { gate: kind });
};
