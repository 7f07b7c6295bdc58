import type { Faker } from '@faker-js/faker';
import { invalidInput } from '../errors.js';

/**
 * `{{ }}` templates in declarative steps, compiled once, filled per iteration:
 *   {{ faker.string.uuid }}   a faker method with no arguments, from the worker's seeded faker
 *   {{ data.idNumber }}       a field of the arrival's data
 *   {{ vars.token }}          a value an earlier step of this iteration saved
 * Anything else between braces is an error when the scenario is loaded, not during the run.
 */
export type Part = string | { readonly source: 'faker' | 'data' | 'vars'; readonly path: readonly string[] };

export interface Template {
  readonly parts: readonly Part[];
  /** True when the template is only text: it can be used as is. */
  readonly constant: boolean;
}

export interface TemplateScope {
  readonly faker: Faker;
  readonly data: Readonly<Record<string, unknown>>;
  readonly vars: Readonly<Record<string, unknown>>;
}

const EXPRESSION = /\{\{\s*([^{}]*?)\s*\}\}/g;

export function compileTemplate(text: string, where: string, faker?: Faker): Template {
  const parts: Part[] = [];
  let at = 0;
  for (const match of text.matchAll(EXPRESSION)) {
    if (match.index > at) parts.push(text.slice(at, match.index));
    const path = (match[1] ?? '').split('.');
    const [source, ...rest] = path;
    if ((source !== 'faker' && source !== 'data' && source !== 'vars') || rest.length === 0 || rest.some((p) => !/^\w+$/.test(p))) {
      throw invalidInput('TEMPLATE_INVALID', `${where}: "{{ ${match[1] ?? ''} }}" is not a template this knows (faker.x.y, data.x or vars.x)`);
    }
    if (source === 'faker' && faker !== undefined && typeof resolve(faker, rest) !== 'function') {
      throw invalidInput('TEMPLATE_INVALID', `${where}: faker has no method ${rest.join('.')}`);
    }
    parts.push({ source, path: rest });
    at = match.index + match[0].length;
  }
  if (at < text.length) parts.push(text.slice(at));
  return { parts, constant: parts.every((p) => typeof p === 'string') };
}

export function fill(template: Template, scope: TemplateScope): string {
  if (template.constant) return (template.parts[0] as string | undefined) ?? '';
  let out = '';
  for (const part of template.parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    if (part.source === 'faker') {
      const method = resolve(scope.faker, part.path.slice(0, -1));
      const name = part.path[part.path.length - 1] ?? '';
      const fn = (method as Record<string, unknown> | undefined)?.[name];
      out += typeof fn === 'function' ? String((fn as () => unknown).call(method)) : '';
      continue;
    }
    const value = resolve(part.source === 'data' ? scope.data : scope.vars, part.path);
    out += value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return out;
}

/** Fills every string inside a JSON value (a request body): keys stay as written. */
export function compileJson(value: unknown, where: string, faker?: Faker): (scope: TemplateScope) => unknown {
  if (typeof value === 'string') {
    const template = compileTemplate(value, where, faker);
    return template.constant ? () => value : (scope) => fill(template, scope);
  }
  if (Array.isArray(value)) {
    const items = value.map((item, i) => compileJson(item, `${where}[${i}]`, faker));
    return (scope) => items.map((item) => item(scope));
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => [k, compileJson(v, `${where}.${k}`, faker)] as const);
    return (scope) => Object.fromEntries(entries.map(([k, v]) => [k, v(scope)]));
  }
  return () => value;
}

function resolve(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || value === undefined) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
