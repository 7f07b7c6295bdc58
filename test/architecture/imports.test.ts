import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The folders' import graph has no cycles: each folder of src/ (and sim/, as one) may import
 * only folders below it, so that any one can be read, tested and changed knowing only what it
 * imports. Read from the import lines themselves, type-only imports included.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** src/engine/http/client.ts → "engine"; src/errors.ts → "src"; sim/plan.ts → "sim". */
function folderOf(file: string): string {
  const [top, second, third] = path.relative(ROOT, file).split(path.sep);
  if (top === 'sim') return 'sim';
  return third === undefined ? 'src' : second!;
}

// Static imports and re-exports, bare imports, and dynamic import('…') of a relative path.
const IMPORT = /^\s*(?:import|export)\b[^'"]*?\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]|^\s*import\s+['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]/gm;

function folderGraph(files: readonly string[]): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  for (const file of files) {
    const from = folderOf(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const to = folderOf(path.resolve(path.dirname(file), (m[1] ?? m[2] ?? m[3])!));
      if (to === from) continue;
      const edges = graph.get(from) ?? new Map<string, string[]>();
      graph.set(from, edges);
      edges.set(to, [...(edges.get(to) ?? []), path.relative(ROOT, file)]);
    }
  }
  return graph;
}

/** Every cycle, as the folders along it (depth-first, each reported once from its smallest name). */
function cycles(graph: Map<string, Map<string, string[]>>): string[][] {
  const found: string[][] = [];
  const walk = (start: string, at: string, trail: string[]): void => {
    for (const next of graph.get(at)?.keys() ?? []) {
      if (next === start) found.push([...trail, start]);
      else if (next > start && !trail.includes(next)) walk(start, next, [...trail, next]);
    }
  };
  for (const start of [...graph.keys()].sort()) walk(start, start, [start]);
  return found;
}

describe('the import graph between folders', () => {
  const graph = folderGraph([...sources(path.join(ROOT, 'src')), ...sources(path.join(ROOT, 'sim'))]);

  it('is read from the sources (a check that the reader sees imports at all)', () => {
    expect(graph.get('cli')?.has('engine')).toBe(true);
    expect(graph.get('report')?.has('analyze')).toBe(true);
  });

  it('has no cycles', () => {
    const described = cycles(graph).map((c) =>
      c
        .slice(1)
        .map((to, i) => `${c[i]} → ${to} (${[...new Set(graph.get(c[i]!)!.get(to)!)].slice(0, 3).join(', ')})`)
        .join('; '),
    );
    expect(described).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    const g = new Map([
      ['a', new Map([['b', ['a.ts']]])],
      ['b', new Map([['c', ['b.ts']]])],
      ['c', new Map([['a', ['c.ts']]])],
    ]);
    expect(cycles(g)).toEqual([['a', 'b', 'c', 'a']]);
  });
});
