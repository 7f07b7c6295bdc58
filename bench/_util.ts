import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

/** Shared by the benchmarks: a table for people, then one JSON object as the last line. */
export const run = promisify(execFile);

export function table(rows: readonly Record<string, string | number>[]): string {
  if (rows.length === 0) return '';
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const width = keys.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(width[i] ?? 0)).join('  ');
  return [line(keys), line(width.map((w) => '-'.repeat(w))), ...rows.map((r) => line(keys.map((k) => String(r[k] ?? ''))))].join('\n');
}

export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** The peer every bench loads: a bare Node http hello-world, run as `node -e HELLO_WORLD PORT`
 *  in a child so that its CPU is not counted with the tool being measured. */
export const HELLO_WORLD = `const s = require('node:http').createServer((req, res) => { req.resume(); res.end('hello world'); }); s.keepAliveTimeout = 600000; s.listen(Number(process.argv[1]), '127.0.0.1')`;

/** Kernel clock ticks per second, the unit of /proc/<pid>/stat's CPU times. */
export async function clockTicks(): Promise<number> {
  return Number((await run('getconf', ['CLK_TCK'])).stdout.trim()) || 100;
}

/** CPU seconds (user + sys, all threads) a process has used, or undefined once it has exited. */
export function cpuSecondsOf(pid: number, ticksPerSecond: number): number | undefined {
  try {
    // Fields after the command's closing parenthesis: utime is the 12th, stime the 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

/** Runs a Node ES module source with `node -e` after `args`' script: it reports the process's
 *  peak RSS (getrusage maxRSS) on stderr as it exits. */
const PEAK_RSS_WRAPPER = `
const [script, ...argv] = process.argv.slice(1);
process.argv = [process.argv[0], script, ...argv];
process.on('exit', () => process.stderr.write('\\nmaxrss_kb=' + process.resourceUsage().maxRSS + '\\n'));
await import(script);
`;

/** Runs `node SCRIPT ARGS...` in a fresh process: its wall time, peak RSS and stdout bytes. */
export function measureNode(script: string, args: readonly string[]): Promise<{ seconds: number; maxRssMb: number; stdoutBytes: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', PEAK_RSS_WRAPPER, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = 0;
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.length));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      const kb = Number(/maxrss_kb=(\d+)/.exec(err)?.[1] ?? Number.NaN);
      if (code !== 0 || !Number.isFinite(kb)) return reject(new Error(`${script} exited ${code}: ${err.slice(0, 500)}`));
      resolve({ seconds, maxRssMb: Math.round(kb / 1024), stdoutBytes: out });
    });
  });
}

/** CPU seconds (user + sys, all threads) a child used between two offsets from now; waits for it to exit. */
export async function cpuWindowOf(child: ChildProcess, window: { readonly from: number; readonly to: number }): Promise<number | null> {
  const pid = child.pid;
  if (pid === undefined) return null;
  const ticks = await clockTicks();
  const sample = (s: number) => new Promise<number | undefined>((resolve) => setTimeout(() => resolve(cpuSecondsOf(pid, ticks)), s * 1000));
  const first = await sample(window.from);
  const last = await sample(window.to - window.from);
  await exitOf(child);
  return first === undefined || last === undefined ? null : last - first;
}

export function perThousand(cpuSeconds: number | null, rps: number | null, window: { readonly from: number; readonly to: number }): number | null {
  return cpuSeconds === null || rps === null || rps <= 0 ? null : round((cpuSeconds / ((window.to - window.from) * rps)) * 1000, 4);
}


export function exitOf(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** The median of measurements to 4 digits; null when any is missing (a run that measured nothing). */
export function medianOf(xs: readonly (number | null)[]): number | null {
  const known = xs.filter((x): x is number => x !== null).sort((x, y) => x - y);
  return known.length === 0 || known.length < xs.length ? null : round(known[Math.floor(known.length / 2)]!, 4);
}

/** A command line run on one CPU (`taskset -c CORE …`) when `core` is given, as given otherwise. */
export function pinned(core: number | undefined, argv: readonly string[]): [string, string[]] {
  const all = core === undefined ? [...argv] : ['taskset', '-c', String(core), ...argv];
  return [all[0]!, all.slice(1)];
}

/** A figure for a table cell: 'n/a' where it was not measured. */
export const fmt = (v: number | null | undefined): string | number => (v == null ? 'n/a' : v);
