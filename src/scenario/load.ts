import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { z } from 'zod';
import { invalidInput } from '../errors.js';
import { scenarioSchema, type Scenario } from './schema.js';

/**
 * Reading a scenario file: YAML in, a validated, frozen Scenario out. Every problem is
 * collected and reported together, one line each, naming the file, the field and the line:
 *   scenarios/ping.yaml:7: load.rate: expected a number, got string
 * Validation never changes its input.
 */
export interface Problem {
  readonly path: string;
  readonly message: string;
  readonly line: number | undefined;
}

export async function loadScenario(file: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw invalidInput('SCENARIO_UNREADABLE', `${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? String(err)})`}`);
  }
  return parseScenario(text, file);
}

export function parseScenario(text: string, file: string): Scenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => `${file}:${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`);
    throw invalidInput('SCENARIO_INVALID', problems.join('\n'));
  }
  const raw: unknown = doc.toJS();
  const result = scenarioSchema.safeParse(raw);
  if (!result.success) {
    const lineOf = (path: readonly PropertyKey[]): number | undefined => {
      const node = nodeAt(doc.contents, path);
      return node?.range === undefined || node.range === null ? undefined : lines.linePos(node.range[0]).line;
    };
    throw invalidInput('SCENARIO_INVALID', formatProblems(file, problemsOf(result.error, lineOf)));
  }
  return deepFreeze(result.data);
}

export function problemsOf(error: z.ZodError, lineOf: (path: readonly PropertyKey[]) => number | undefined = () => undefined): Problem[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: fieldPath([...issue.path, key]),
        message: 'unknown field',
        line: lineOf([...issue.path, key]) ?? lineOf(issue.path),
      }));
    }
    return [{ path: fieldPath(issue.path), message: issue.message, line: lineOf(issue.path) }];
  });
}

export function formatProblems(file: string, problems: readonly Problem[]): string {
  return problems
    .map((p) => `${file}${p.line === undefined ? '' : `:${p.line}`}: ${p.path === '' ? '(top level)' : p.path}: ${p.message}`)
    .join('\n');
}

/** ["journeys", 0, "steps", 1, "name"] → "journeys[0].steps[1].name" */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out === '' ? String(key) : `${out}.${String(key)}`), '');
}

function nodeAt(root: unknown, path: readonly PropertyKey[]): Node | undefined {
  let node = root as Node | undefined;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && item.key.value === key);
      node = (pair?.value ?? pair?.key) as Node | undefined;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key] as Node | undefined;
    } else {
      return node;
    }
  }
  return node;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
