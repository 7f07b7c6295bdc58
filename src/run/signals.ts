import { errorMessage } from '../errors.js';
import { Teardown } from '../stack/teardown.js';

/**
 * What a run that starts things needs for Ctrl-C and SIGTERM: a teardown that undoes them and a
 * signal that stops the load. When `interrupted` resolves, `said` reports it, then both fire.
 */
export function stopOnSignal(
  interrupted: Promise<NodeJS.Signals>,
  say: (line: string) => void,
  said: (signal: NodeJS.Signals) => void,
): { teardown: Teardown; abort: AbortController } {
  const teardown = new Teardown((step, err) => say(`codestorm: teardown step "${step}" failed: ${errorMessage(err)}`));
  const abort = new AbortController();
  void interrupted.then((signal) => {
    said(signal);
    abort.abort();
    void teardown.run();
  });
  return { teardown, abort };
}
