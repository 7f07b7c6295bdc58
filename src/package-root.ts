import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding codestorm's package.json, found from this file wherever it runs from
 *  (src/ under vitest, dist/src/ when built). */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('codestorm: cannot find the package root');
    dir = up;
  }
  return dir;
}

/** A compiled file of the package, e.g. `src/server/primary.js` → `<root>/dist/src/server/primary.js`. */
export function compiled(relative: string): string {
  return path.join(packageRoot(), 'dist', relative);
}
