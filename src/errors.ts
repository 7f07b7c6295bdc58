/**
 * Errors that cross a module boundary carry a stable code, an exit code and, where it helps, a
 * hint. Only the CLI's main turns them into process.exitCode (see src/cli/main.ts).
 */
export const ExitCode = {
  ok: 0,
  harnessFailed: 1,
  invalidInput: 2,
  thresholdsFailed: 99,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface CodestormErrorOptions {
  exitCode?: ExitCode;
  hint?: string;
  cause?: unknown;
}

export class CodestormError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: CodestormErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CodestormError';
    this.code = code;
    this.exitCode = options.exitCode ?? ExitCode.harnessFailed;
    this.hint = options.hint;
  }
}

/** Bad input from the user: a flag, a scenario field, an environment variable. Exit code 2. */
export function invalidInput(code: string, message: string, hint?: string): CodestormError {
  return new CodestormError(code, message, {
    exitCode: ExitCode.invalidInput,
    ...(hint === undefined ? {} : { hint }),
  });
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
