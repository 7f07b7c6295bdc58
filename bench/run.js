#!/usr/bin/env node
// `npm run bench -- NAME`: runs dist/bench/NAME.js (built by `npm run build`).
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const built = path.join(here, '..', 'dist', 'bench');
const available = existsSync(built)
  ? readdirSync(built).filter((f) => f.endsWith('.js') && !f.startsWith('_')).map((f) => f.slice(0, -3))
  : [];
const name = process.argv[2];
if (name === undefined || !available.includes(name)) {
  process.stderr.write(`usage: npm run bench -- NAME   (NAME: ${available.join(', ') || 'none built: run npm run build'})\n`);
  process.exit(2);
}
const bench = await import(pathToFileURL(path.join(built, `${name}.js`)).href);
process.exitCode = await bench.main(process.argv.slice(3));
