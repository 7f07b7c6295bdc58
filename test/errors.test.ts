import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ExitCode } from '../src/error-codes.js';
import { CodestormError, invalidFields, invalidInput } from '../src/errors.js';

/** The harness's error catalogue (src/error-codes.ts), held to its own rules. */
const ROOT = path.resolve(import.meta.dirname, '..');
const sources = ['src', 'sim'].flatMap((d) =>
  readdirSync(path.join(ROOT, d), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name)),
);
const harnessSources = sources.filter((f) => !f.includes(`${path.sep}src${path.sep}server${path.sep}`) && !f.endsWith('error-codes.ts'));
const text = harnessSources.map((f) => readFileSync(f, 'utf8')).join('\n');

describe('the error catalogue', () => {
  const codes = Object.keys(ERROR_CODES);

  it('names every code SUBJECT_STATE, one style', () => {
    const style = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_(?:INVALID|UNREADABLE|UNSUPPORTED|TOO_LARGE|NOT_FOUND|NOT_READY|UNREACHABLE|FAILED|CLOSED|DEADLINE)$|^INTERRUPTED$/;
    expect(codes.filter((c) => !style.test(c))).toEqual([]);
  });

  it('has no code nobody throws', () => {
    expect(codes.filter((c) => !text.includes(`'${c}'`))).toEqual([]);
  });

  it('gives each code one exit code, from the catalogue, whatever the call site', () => {
    for (const code of codes) {
      const exit = ERROR_CODES[code as keyof typeof ERROR_CODES].exit;
      expect([ExitCode.invalidInput, ExitCode.harnessFailed]).toContain(exit);
      expect(new CodestormError(code as keyof typeof ERROR_CODES, 'x').exitCode).toBe(exit);
    }
    expect(invalidInput('FLAG_INVALID', 'x').exitCode).toBe(2);
    expect(invalidFields('SCENARIO_INVALID', [{ path: 'load.rate', message: 'expected a number' }]).message).toBe('load.rate: expected a number');
  });

  it('describes every code for whoever meets it', () => {
    for (const code of codes) expect(ERROR_CODES[code as keyof typeof ERROR_CODES].means.length, code).toBeGreaterThan(10);
  });

  it('sets process.exitCode in one place: the CLI entry (the watchdog, a process of its own, has its own)', () => {
    const setters = sources.filter((f) => /process\.exitCode\s*=/.test(readFileSync(f, 'utf8'))).map((f) => path.relative(ROOT, f));
    expect(setters.sort()).toEqual(['src/cli/main.ts', 'src/stack/watchdog-main.ts']);
  });
});
