import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { cacheDir, which } from '../src/stack/tools.js';
import { run, say } from './_util.js';

/**
 * The benchmarks' peers, found or installed once, saying so (issue #17): vegeta with `go
 * install` into codestorm's cache folder, wrk with apt-get when running as root. A peer that
 * cannot be had is undefined and its row says why; the bench goes on without it.
 */
export const VEGETA_MODULE = 'github.com/tsenart/vegeta/v12';
export const VEGETA_VERSION = 'v12.13.0';

export interface Peer {
  readonly path: string | undefined;
  /** Why it is missing, when it is. */
  readonly missing: string;
}

export async function vegeta(): Promise<Peer> {
  const bin = path.join(cacheDir(), 'bin');
  const found = (await which('vegeta')) ?? (await which('vegeta', { PATH: bin }));
  if (found !== undefined) return { path: found, missing: '' };
  const go = await which('go');
  const how = `go install ${VEGETA_MODULE}@${VEGETA_VERSION}`;
  if (go === undefined) return { path: undefined, missing: `not installed, and no Go to install it (${how})` };
  say(`bench: vegeta not found; installing it with ${how} into ${bin} (once)`);
  await mkdir(bin, { recursive: true });
  try {
    await run(go, ['install', `${VEGETA_MODULE}@${VEGETA_VERSION}`], { env: { ...process.env, GOBIN: bin }, timeout: 600_000 });
  } catch (err) {
    return { path: undefined, missing: `${how} failed: ${String((err as Error).message).split('\n')[0]}` };
  }
  const built = await which('vegeta', { PATH: bin });
  return built === undefined ? { path: undefined, missing: `${how} left no vegeta in ${bin}` } : { path: built, missing: '' };
}

export async function wrk(): Promise<Peer> {
  const found = await which('wrk');
  if (found !== undefined) return { path: found, missing: '' };
  const apt = await which('apt-get');
  if (apt === undefined || process.getuid?.() !== 0) return { path: undefined, missing: 'not installed (apt-get install wrk)' };
  say('bench: wrk not found; installing it with apt-get install -y wrk');
  try {
    await run(apt, ['install', '-y', '-qq', 'wrk'], { timeout: 600_000 });
  } catch {
    try {
      await run(apt, ['update', '-qq'], { timeout: 600_000 });
      await run(apt, ['install', '-y', '-qq', 'wrk'], { timeout: 600_000 });
    } catch (err) {
      return { path: undefined, missing: `apt-get install wrk failed: ${String((err as Error).message).split('\n')[0]}` };
    }
  }
  const installed = await which('wrk');
  return installed === undefined ? { path: undefined, missing: 'apt-get install wrk left no wrk on PATH' } : { path: installed, missing: '' };
}
