import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { compiled } from '../package-root.js';

let registered = false;

/**
 * Imports a journey module by its path, in this thread: a TypeScript one (`.ts`, `.mts`,
 * `.cts`) through ts-hooks.ts, registered once per thread the first time one is imported,
 * so that the main thread and every engine worker load it the same way.
 */
export async function importJourneyModule(file: string): Promise<Record<string, unknown>> {
  if (/\.(c|m)?ts$/.test(file) && !registered) {
    register(pathToFileURL(compiled('src/engine/ts-hooks.js')));
    registered = true;
  }
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}
