import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { cacheDir, which } from '../src/stack/tools.js';
import { run, say } from './_util.js';

/**
 * The benchmarks' peers, found or installed once, saying so (issue #17): vegeta with `go
 * install` into codestorm's cache folder, wrk with apt-get when running as root, artillery with
 * npm into the cache folder. A peer that cannot be had is undefined and its row says why; the
 * bench goes on without it.
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

export const ARTILLERY_VERSION = '2.0.34';

/**
 * artillery, kept out of the project's dependencies (it brings hundreds of packages and a
 * browser engine): installed once into codestorm's cache folder with the browser download and
 * install scripts skipped, as issue #17 asks. Its entry is `node_modules/artillery/bin/run`.
 */
export async function artillery(): Promise<Peer> {
  const home = path.join(cacheDir(), 'peers', `artillery-${ARTILLERY_VERSION}`);
  const entry = path.join(home, 'node_modules', 'artillery', 'bin', 'run');
  if (existsSync(entry)) return { path: entry, missing: '' };
  const npm = await which('npm');
  const how = `PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm i --ignore-scripts artillery@${ARTILLERY_VERSION}`;
  if (npm === undefined) return { path: undefined, missing: `not installed, and no npm to install it (${how})` };
  say(`bench: artillery not found; installing it with ${how} into ${home} (once; a few minutes)`);
  await mkdir(home, { recursive: true });
  try {
    await run(npm, ['init', '-y'], { cwd: home, timeout: 60_000 });
    await run(npm, ['i', '--ignore-scripts', '--no-audit', '--no-fund', `artillery@${ARTILLERY_VERSION}`], {
      cwd: home,
      env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
      timeout: 900_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    return { path: undefined, missing: `${how} failed: ${String((err as Error).message).split('\n')[0]}` };
  }
  return existsSync(entry) ? { path: entry, missing: '' } : { path: undefined, missing: `${how} left no ${entry}` };
}
