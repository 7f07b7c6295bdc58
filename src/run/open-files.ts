import { readFileSync } from 'node:fs';

/** The soft limit on open files of this process (Linux: /proc/self/limits); undefined elsewhere. */
export function openFileLimit(limits: () => string = () => readFileSync('/proc/self/limits', 'utf8')): number | undefined {
  try {
    const line = limits().split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (soft === undefined) return undefined;
    return soft === 'unlimited' ? undefined : Number.parseInt(soft, 10) || undefined;
  } catch {
    return undefined;
  }
}
