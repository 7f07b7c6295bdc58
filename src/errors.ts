import { ERROR_CODES, ExitCode, type ErrorCode, type InvalidInputCode } from './error-codes.js';
/**
 * Errors that cross a module boundary carry a stable code, an exit code and, where it helps, a
 * hint. Only the CLI's main turns them into process.exitCode (see src/cli/main.ts).
 */
export { ExitCode } from './error-codes.js';
export type { ErrorCode, InvalidInputCode } from './error-codes.js';

export interface CodestormErrorOptions {
  hint?: string;
  cause?: unknown;
  /** What is wrong, field by field, when the error is about an input's fields. */
  problems?: readonly FieldProblem[];
}

/**
 * One thing wrong with an input: the field's path (`load.stages[1].target`, "" for the input as a
 * whole) and what is wrong with it. A scenario's problems add the file and the line
 * (src/scenario/load.ts); every validator reports in these.
 */
export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

/** "load.stages[1].target: expected a number >= 0, got -5" */
export function problemLine(problem: FieldProblem): string {
  return problem.path === '' ? problem.message : `${problem.path}: ${problem.message}`;
}

export class CodestormError extends Error {
  readonly code: ErrorCode;
  /** From the catalogue (src/error-codes.ts): one code, one exit code. */
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  /** Field by field, when the error is about an input's fields; otherwise empty. */
  readonly problems: readonly FieldProblem[];

  constructor(code: ErrorCode, message: string, options: CodestormErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CodestormError';
    this.code = code;
    this.exitCode = ERROR_CODES[code].exit;
    this.hint = options.hint;
    this.problems = options.problems ?? [];
  }
}

/** Bad input from the user: a flag, a scenario field, an environment variable. Exit code 2. */
export function invalidInput(code: InvalidInputCode, message: string, hint?: string): CodestormError {
  return new CodestormError(code, message, hint === undefined ? {} : { hint });
}

/**
 * Bad fields of an input, all of them at once (exit code 2): the message has a line per problem,
 * after `header` if given, and the problems stay structured for whoever collects them.
 */
export function invalidFields(code: InvalidInputCode, problems: readonly FieldProblem[], options: { header?: string; hint?: string } = {}): CodestormError {
  const lines = problems.map(problemLine).join('\n');
  return new CodestormError(code, options.header === undefined ? lines : `${options.header}\n${lines}`, {
    problems,
    ...(options.hint === undefined ? {} : { hint: options.hint }),
  });
}

/** An invalid-input error's problems: its structured ones, or its message as one problem of the whole input. */
export function fieldProblemsOf(err: CodestormError): readonly FieldProblem[] {
  return err.problems.length > 0 ? err.problems : [{ path: '', message: err.message }];
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
