import type { BuiltIn } from './env.js';
import { openCode } from './open-code.js';

/**
 * `resident.open-code`: a resident opens the code; when the app gives up, they come back a few
 * times (people.comeBack), each after a while.
 */
export const resident: BuiltIn = async (ctx, env) => {
  const index = ctx.random.int(env.state.options.residents);
  const comeBack = env.state.options.people.comeBack;
  for (let open = 0; ; open++) {
    if ((await openCode(ctx, env, index)) !== undefined || open >= comeBack.times) return;
    await ctx.think(comeBack.afterMs * (0.5 + ctx.random.next()));
  }
};
