import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

/**
 * Node module hooks (module.register) that let a journey module be TypeScript without a build
 * step by the user: a `.ts`, `.mts` or `.cts` file is stripped of its types by esbuild as it is
 * loaded (nothing is type-checked: as k6 runs `.ts`, run `tsc` yourself for that), and a
 * relative `./x.js` from a TypeScript file finds `./x.ts` when there is no `./x.js`, as
 * TypeScript's NodeNext resolution writes it. Everything else is Node's own.
 */
const TS = /\.(c|m)?ts$/;

interface ResolveContext {
  readonly parentURL?: string;
}
interface Resolved {
  readonly url: string;
  readonly format?: string | null;
  readonly shortCircuit?: boolean;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<Resolved>;

export async function resolve(specifier: string, context: ResolveContext, next: NextResolve): Promise<Resolved> {
  const parent = context.parentURL;
  if (parent !== undefined && TS.test(parent) && /^\.\.?\//.test(specifier) && /\.(c|m)?js$/.test(specifier)) {
    const url = new URL(specifier, parent);
    if (!existsSync(fileURLToPath(url))) {
      const ts = new URL(url.href.replace(/js$/, 'ts'));
      if (existsSync(fileURLToPath(ts))) return { url: ts.href, shortCircuit: true };
    }
  }
  return next(specifier, context);
}

interface Loaded {
  readonly format: string;
  readonly source?: string | ArrayBuffer | Uint8Array;
  readonly shortCircuit?: boolean;
}
type NextLoad = (url: string, context: object) => Promise<Loaded>;

export async function load(url: string, context: object, next: NextLoad): Promise<Loaded> {
  if (!url.startsWith('file:') || !TS.test(url)) return next(url, context);
  const file = fileURLToPath(url);
  const { code } = await transform(await readFile(file, 'utf8'), {
    loader: 'ts',
    format: url.endsWith('.cts') ? 'cjs' : 'esm',
    target: 'node20',
    sourcefile: file,
    sourcemap: 'inline',
  });
  return { format: url.endsWith('.cts') ? 'commonjs' : 'module', source: code, shortCircuit: true };
}
