import type { z } from 'zod';
import { invalidFields, type FieldProblem } from '../../errors.js';

/**
 * Reading one executor's raw config against its schema: the result frozen, or every problem
 * thrown as one invalid-input error whose problems stay structured, each naming its field
 * (`load.stages[1].target: expected a number >= 0, got -5`). The input is never mutated.
 */
export const INVALID_EXECUTOR = 'EXECUTOR_CONFIG_INVALID';

type Issue = z.core.$ZodIssue;

export function readConfig<Config>(schema: z.ZodType<Config>, raw: unknown, where: string): Config {
  const result = schema.safeParse(raw);
  if (result.success) return deepFreeze(result.data);
  const problems = readingOrder(result.error.issues).flatMap((issue) => problemsOf(issue, where));
  const count = problems.length;
  throw invalidFields(INVALID_EXECUTOR, problems, count === 1 ? {} : { header: `${count} problems in ${where || 'executor config'}:` });
}

/** The dotted path of a field under `where`: `load` + ["stages", 1, "target"] → `load.stages[1].target`. */
export function pathOf(where: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out === '' ? String(key) : `${out}.${String(key)}`), where);
}

/**
 * Problems in the order the fields are read: unknown fields, the executor's name, each field in
 * turn (a stage's unknown fields before its own), the rules across fields, and `spacing` last.
 * Zod gives an object's unknown keys after its fields, and the rules after `spacing`.
 */
function readingOrder(issues: readonly Issue[]): Issue[] {
  const rank = (issue: Issue): number => {
    if (issue.path.length === 0 && issue.code === 'unrecognized_keys') return 0;
    if (issue.path[0] === 'executor') return 1;
    return issue.path[0] === 'spacing' ? 3 : 2;
  };
  const ordered: Issue[] = [];
  for (const issue of [...issues].sort((a, b) => rank(a) - rank(b))) {
    const nested = issue.code === 'unrecognized_keys' && issue.path.length > 0;
    const at = nested ? ordered.findIndex((o) => issue.path.every((key, i) => o.path[i] === key)) : -1;
    if (at === -1) ordered.push(issue);
    else ordered.splice(at, 0, issue);
  }
  return ordered;
}

/** One problem per unknown key; the config as a whole, when it is not an object, as `(config)` if unnamed. */
function problemsOf(issue: Issue, where: string): FieldProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: pathOf(where, [...issue.path, key]), message: issue.message }));
  }
  return [{ path: pathOf(where, issue.path) || '(config)', message: issue.message }];
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
