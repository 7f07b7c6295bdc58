import type { JourneyContext } from '../../src/engine/journey.js';
import type { Identity } from '../identity/generator.js';
import { patience, post, type Env } from './env.js';
import { codeSeen, invoke, OP } from './operations.js';
import { attempt } from './retry.js';

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
  const done = invoke(ctx, OP.read, { resident: index });
  const code = await attempt(
    ctx,
    'code',
    { method: 'GET', path: '/api/v1/code', headers: { authorization: `Bearer ${token}` } },
    env.retry,
    env.budget,
    { ...patience(env), wantBody: true },
  );
  const seen = code.response.outcome === 'ok' ? codeSeen(code.response.body, field(code.response.body, 'qr', 'payload')) : undefined;
  done(seen !== undefined ? 'ok' : code.response.outcome === '4xx' ? 'fail' : 'info', seen);
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
