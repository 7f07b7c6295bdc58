import { execFile } from 'node:child_process';
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
