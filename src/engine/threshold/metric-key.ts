import type { MetricUnit } from '../journey.js';
import { unitOf } from '../metric-declarations.js';
import { METRIC_TYPES, type CustomMetricsInScope, type MetricName, type MetricType, type Tags } from './types.js';

/** A threshold's metric key, `metric{k:v,...}`, resolved: what it names and filters by. */
export interface Target {
  readonly metric: string;
  readonly type: MetricType;
  readonly custom: boolean;
  /** How values read: 'ms' for http_req_duration. Not kept on the Threshold. */
  readonly unit: MetricUnit;
  readonly tags: Tags;
}

/** `metric{k:v,...}`; returns undefined (after reporting) when the key is unusable. */
export function parseMetricKey(key: string, custom: CustomMetricsInScope | undefined, report: (problem: string) => void): Target | undefined {
  const open = key.indexOf('{');
  const nameEnd = key.search(/[{}]/);
  const name = (nameEnd === -1 ? key : key.slice(0, nameEnd)).trim();
  let ok = true;
  let tags: [string, string][] = [];
  let type: MetricType | undefined;
  let unit: MetricUnit = '';
  const declared = custom !== undefined && Object.hasOwn(custom.metrics, name) ? custom.metrics[name] : undefined;
  if (name === '') {
    report('missing metric name');
    ok = false;
  } else if (Object.hasOwn(METRIC_TYPES, name)) {
    type = METRIC_TYPES[name as MetricName];
    unit = name === 'http_req_duration' ? 'ms' : 'count';
  } else if (declared !== undefined) {
    type = declared.type;
    unit = unitOf(declared);
  } else {
    const names = custom === undefined ? [] : Object.keys(custom.metrics);
    const theirs =
      custom === undefined
        ? ''
        : names.length === 0
          ? `; ${custom.from} declares no custom metrics`
          : `, or a custom metric ${custom.from} declares: ${names.join(', ')}`;
    report(`unknown metric "${name}" (expected ${Object.keys(METRIC_TYPES).join(', ')}${theirs})`);
    ok = false;
  }
  if (open === -1) {
    if (key.includes('}')) {
      report(`unexpected "}" in "${key}" (a tag filter reads metric{key:value,...})`);
      ok = false;
    }
  } else {
    const filter = parseTagFilter(key.slice(open).trim(), report);
    if (filter === undefined) ok = false;
    else tags = filter;
  }
  if (!ok || type === undefined) return undefined;
  return Object.freeze({ metric: name, type, custom: declared !== undefined, unit, tags: Object.freeze(Object.fromEntries(tags)) });
}

function parseTagFilter(text: string, report: (problem: string) => void): [string, string][] | undefined {
  if (!text.endsWith('}')) {
    report(`tag filter "${text}" is not closed with "}"`);
    return undefined;
  }
  const inner = text.slice(1, -1);
  if (/[{}]/.test(inner)) {
    report(`unexpected brace in tag filter "${text}"`);
    return undefined;
  }
  if (inner.trim() === '') {
    report(`empty tag filter "${text}" (leave out the braces to select every sample)`);
    return undefined;
  }
  const pairs: [string, string][] = [];
  const seen = new Set<string>();
  let ok = true;
  for (const part of inner.split(',')) {
    const colon = part.indexOf(':');
    const k = (colon === -1 ? part : part.slice(0, colon)).trim();
    const v = colon === -1 ? '' : part.slice(colon + 1).trim();
    if (colon === -1 || k === '' || v === '') {
      report(`tag filter entry "${part.trim()}" in "${text}" is not key:value`);
      ok = false;
    } else if (seen.has(k)) {
      report(`tag "${k}" appears twice in "${text}"`);
      ok = false;
    } else {
      seen.add(k);
      pairs.push([k, v]);
    }
  }
  return ok ? pairs : undefined;
}
