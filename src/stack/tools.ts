import { execFile } from 'node:child_process';
import { access, constants, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Finding the external programs the stack runs. Each lookup says where it found the tool, so
 * that `codestorm doctor` and error messages can tell the user what is missing and how to get it.
 */
const run = promisify(execFile);

export const TOXIPROXY_MODULE = 'github.com/Shopify/toxiproxy/v2/cmd/server';
export const TOXIPROXY_VERSION = 'v2.12.0';
export const TOXIPROXY_BINARY = 'toxiproxy-server';

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['CODESTORM_CACHE_DIR']) return env['CODESTORM_CACHE_DIR'];
  const base = env['XDG_CACHE_HOME'] ?? path.join(os.homedir(), '.cache');
  return path.join(base, 'codestorm');
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable called `name` on PATH, or undefined. */
export async function which(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  for (const dir of (env['PATH'] ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export async function versionOf(binary: string, args: readonly string[] = ['--version']): Promise<string | undefined> {
  try {
    const { stdout, stderr } = await run(binary, [...args], { timeout: 10_000 });
    return (stdout || stderr).trim().split('\n')[0];
  } catch {
    return undefined;
  }
}

export interface ToolLocation {
  readonly path: string;
  readonly how: 'path' | 'cache' | 'built';
}

/** toxiproxy-server from PATH, else from our cache folder. */
export async function findToxiproxy(env: NodeJS.ProcessEnv = process.env): Promise<ToolLocation | undefined> {
  const onPath = await which(TOXIPROXY_BINARY, env);
  if (onPath !== undefined) return { path: onPath, how: 'path' };
  const cached = path.join(cacheDir(env), 'bin', TOXIPROXY_BINARY);
  if (await isExecutable(cached)) return { path: cached, how: 'cache' };
  return undefined;
}

export function toxiproxyInstallCommand(env: NodeJS.ProcessEnv = process.env): string {
  return `GOBIN=${path.join(cacheDir(env), 'bin')} go install ${TOXIPROXY_MODULE}@${TOXIPROXY_VERSION} && mv ${path.join(cacheDir(env), 'bin', 'server')} ${path.join(cacheDir(env), 'bin', TOXIPROXY_BINARY)}`;
}

/**
 * Builds toxiproxy-server with `go install` into our cache folder. `go install` names the
 * binary after its package folder (`server`), so it is built in a scratch folder and moved
 * into place under its real name.
 */
export async function buildToxiproxy(
  say: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ToolLocation | undefined> {
  const go = await which('go', env);
  if (go === undefined) return undefined;
  const binDir = path.join(cacheDir(env), 'bin');
  await mkdir(binDir, { recursive: true });
  const scratch = await mkdtemp(path.join(binDir, '.build-'));
  say(`codestorm: toxiproxy-server not found; building ${TOXIPROXY_MODULE}@${TOXIPROXY_VERSION} with go install into ${binDir} (once)`);
  try {
    await run(go, ['install', `${TOXIPROXY_MODULE}@${TOXIPROXY_VERSION}`], {
      env: { ...env, GOBIN: scratch },
      timeout: 600_000,
    });
    const target = path.join(binDir, TOXIPROXY_BINARY);
    await rename(path.join(scratch, 'server'), target);
    return { path: target, how: 'built' };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
