import { selfCheck } from '../../sim/self-check.js';
import { errorMessage, ExitCode } from '../errors.js';
import { startStack } from '../stack/stack.js';
import { Teardown } from '../stack/teardown.js';
import type { CommandIO } from './io.js';

/**
 * `npm run demo`: until the load engine lands, bring the whole stack up, walk one resident's
 * morning through every endpoint, and take it all down again.
 */
export async function demoCommand(io: CommandIO): Promise<ExitCode> {
  const say = (line: string): void => io.stderr(`${line}\n`);
  const teardown = new Teardown((step, err) => say(`codestorm: teardown step "${step}" failed: ${errorMessage(err)}`));
  let interrupted = false;
  void io.interrupted.then(() => {
    interrupted = true;
    void teardown.run();
  });
  try {
    const residents = 20_000;
    const stack = await startStack({ profile: 'hardened', residents, env: io.env, say, teardown });
    io.stdout(`reference server up at ${stack.url}; walking one resident's morning through it:\n`);
    const steps = await selfCheck(stack.url, { seed: stack.seeded.seed, residents }, (s) =>
      io.stdout(`  ${s.ok ? 'ok  ' : 'FAIL'} ${s.name.padEnd(38)} ${String(s.status).padStart(3)} ${String(s.ms).padStart(5)} ms  ${s.detail}\n`),
    );
    const failed = steps.filter((s) => !s.ok).length;
    io.stdout(failed === 0 ? `all ${steps.length} steps passed\n` : `${failed} of ${steps.length} steps failed\n`);
    return failed === 0 ? ExitCode.ok : ExitCode.harnessFailed;
  } catch (err) {
    if (interrupted) return ExitCode.ok;
    throw err;
  } finally {
    await teardown.run();
    say('codestorm: stack stopped');
  }
}
