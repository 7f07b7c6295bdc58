import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { z } from 'zod';
import { validateExecutor, type ExecutorConfig } from '../engine/executors/index.js';
import type { MetricDeclarations } from '../engine/journey.js';
import { loadDeclarations } from '../engine/metric-declarations.js';
import { parseThresholds, type CustomMetricsInScope, type ThresholdSet } from '../engine/thresholds.js';
import { CodestormError, fieldProblemsOf, invalidFields, invalidInput, type FieldProblem } from '../errors.js';
import { compiled } from '../package-root.js';
import { recompress } from '../../sim/city/recompress.js';
import { cityModel, faultClockOf, type CityModel } from '../../sim/plan.js';
import { realMsAt, type ScenarioClock } from '../faults/timeline.js';
import { parseSlo, type Slo } from '../analyze/slo.js';
import { scenarioSchema, type Scenario } from './schema.js';

/** A scenario with the parts the engine runs already parsed: its executor and thresholds. */
export interface LoadedScenario {
  readonly file: string;
  readonly text: string;
  readonly scenario: Scenario;
  readonly load: ExecutorConfig;
  readonly thresholds: ThresholdSet;
  /** A city scenario's model: its curves made `load`; its journeys run from sim/journeys. */
  readonly city?: CityModel;
  /** What failing means for the analysis (the scenario's `slo`, or the default). */
  readonly slo: Slo;
  /** The journey module the workers load (absolute path): a city's simulator, or `module`. */
  readonly module?: string;
  /** The custom metrics its journeys declare, which thresholds and the SLO may name. */
  readonly metrics: MetricDeclarations;
  /** With `compress`: what the rewrite changed, "field old → new" each (sim/city/recompress.ts). */
  readonly compressed?: readonly string[];
}

export interface LoadOptions {
  /**
   * The custom-metric declarations, when they are known without importing the module: a run
   * directory's metrics.ndjson holds them (`codestorm report`, `compare`). `from` names them in messages.
   */
  readonly metrics?: MetricDeclarations;
  readonly metricsFrom?: string;
  /** `--compress N`: the city clock replayed at N, the load of each real second held (sim/city/recompress.ts). */
  readonly compress?: number;
}

/** Where a scenario's journeys come from, if from a module: the path, and the field that says so. */
export function journeyModuleOf(raw: unknown, file: string): { readonly file: string; readonly field: 'city' | 'module' } | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r['module'] === 'string' && r['module'] !== '') return { file: path.resolve(path.dirname(file), r['module']), field: 'module' };
  if (r['city'] !== undefined) return { file: compiled('sim/journeys/index.js'), field: 'city' };
  return undefined;
}

/**
 * Reading a scenario file: YAML in, a validated, frozen Scenario out. Every problem is
 * collected and reported together, one line each, naming the file, the field and the line:
 *   scenarios/ping.yaml:7: load.rate: expected a number, got string
 * Validation never changes its input.
 */
export interface Problem extends FieldProblem {
  readonly line: number | undefined;
}

export async function loadScenario(file: string, options: LoadOptions = {}): Promise<LoadedScenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw invalidInput('SCENARIO_UNREADABLE', `${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? String(err)})`}`);
  }
  const loaded = await compileFrom(text, file, options);
  if (options.compress === undefined) return loaded;
  // The file as written is checked first, so that a problem's line is the line in that file.
  const { text: rewritten, changes } = recompress(loaded.text, file, options.compress);
  return Object.freeze({ ...(await compileFrom(rewritten, file, options)), compressed: Object.freeze(changes) });
}

async function compileFrom(text: string, file: string, options: LoadOptions): Promise<LoadedScenario> {
  if (options.metrics !== undefined) return compileScenario(text, file, options);
  // The journey module's declarations are needed to check thresholds on custom metrics: the
  // module is imported here (as the workers will), and its problems join the scenario's.
  const module = journeyModuleOf(parseYaml(text, file).doc.toJS(), file);
  if (module === undefined) return compileScenario(text, file);
  try {
    return compileScenario(text, file, { metrics: await loadDeclarations(module.file) });
  } catch (err) {
    if (!(err instanceof CodestormError) || err.exitCode !== 2 || (err.code !== 'JOURNEY_MODULE_INVALID' && err.code !== 'METRICS_DECLARATION_INVALID')) throw err;
    return compileScenario(text, file, { moduleProblems: err.message.split('\n') });
  }
}

/**
 * Parses and checks everything the engine will need, reporting all problems together. `metrics`:
 * the journey module's declarations (loadScenario imports the module for them); `moduleProblems`:
 * why the module could not give them.
 */
export function compileScenario(text: string, file: string, options: LoadOptions & { readonly moduleProblems?: readonly string[] } = {}): LoadedScenario {
  const { doc, lines } = parseYaml(text, file);
  const lineOf = lineFinder(doc, lines);
  const raw = doc.toJS() as Record<string, unknown> | null;
  const problems: Problem[] = [];
  const module = journeyModuleOf(raw, file);
  for (const message of options.moduleProblems ?? []) problems.push({ path: module?.field ?? 'module', message, line: lineOf([module?.field ?? 'module']) });
  const metrics = options.metrics ?? {};
  const from = options.metricsFrom ?? (module === undefined ? '' : module.field === 'city' ? 'sim/journeys' : shortPath(module.file));
  const unavailable = (options.moduleProblems ?? []).length > 0;
  const custom: CustomMetricsInScope | undefined = options.metrics === undefined && module === undefined ? undefined : { metrics, from, ...(unavailable ? { unavailable } : {}) };
  const result = scenarioSchema.safeParse(raw);
  if (!result.success) problems.push(...problemsOf(result.error, lineOf));
  // The executor and the thresholds check their own fields: their problems join the list.
  const isCity = raw !== null && typeof raw === 'object' && raw['city'] !== undefined;
  const hasLoad = raw !== null && typeof raw === 'object' && raw['load'] !== undefined;
  const load = isCity && !hasLoad ? undefined : collect(problems, lineOf, () => validateExecutor(raw?.['load'], 'load'));
  const thresholds = collect(problems, lineOf, () => parseThresholds(raw?.['thresholds'] ?? {}, 'thresholds', custom));
  const parsedSlo = collect(problems, lineOf, () => parseSlo(raw?.['slo'], 'slo', custom));
  const slo = parsedSlo === undefined || !result.success ? parsedSlo : collect(problems, lineOf, () => withGoodputWindows(parsedSlo, faultClockOf(result.data)));
  const city = isCity && result.success && result.data.city !== undefined && (!hasLoad || load !== undefined) ? collect(problems, lineOf, () => cityModel(result.data.city!, result.data.journeys, load)) : undefined;
  const runs = city?.load ?? load;
  if (problems.length > 0 || !result.success || runs === undefined || thresholds === undefined || slo === undefined) {
    throw invalidInput('SCENARIO_INVALID', formatProblems(file, problems));
  }
  const scenario = deepFreeze(result.data);
  return Object.freeze({
    file,
    text,
    scenario,
    load: runs,
    thresholds,
    slo,
    metrics,
    ...(city === undefined ? {} : { city }),
    ...(module === undefined ? {} : { module: module.file }),
  });
}

/** The SLO with its goodput windows placed on the run's clock: real seconds from the start. */
function withGoodputWindows(slo: Slo, clock: ScenarioClock | undefined): Slo {
  if (slo.goodput === undefined) return slo;
  const problems: FieldProblem[] = [];
  const windows = slo.goodput.windows.map((w) => {
    const at = `slo.goodput.windows.${w.name}`;
    const seconds = (key: 'from' | 'to'): number => {
      try {
        return realMsAt(w[key], clock, `${at}.${key}`, 'SLO_INVALID') / 1000;
      } catch (err) {
        if (!(err instanceof CodestormError)) throw err;
        problems.push(...fieldProblemsOf(err));
        return 0;
      }
    };
    const before = problems.length;
    const startS = seconds('from');
    const endS = seconds('to');
    if (problems.length === before && endS <= startS) problems.push({ path: `${at}.to`, message: `expected a time after from (${w.from}), got ${w.to}` });
    return { ...w, startS, endS };
  });
  if (problems.length > 0) throw invalidFields('SLO_INVALID', problems);
  return { ...slo, goodput: { ...slo.goodput, windows } };
}

/** Relative to the working directory when under it, else absolute. */
function shortPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

function collect<T>(problems: Problem[], lineOf: (path: readonly PropertyKey[]) => number | undefined, check: () => T): T | undefined {
  try {
    return check();
  } catch (err) {
    if (!(err instanceof CodestormError) || err.exitCode !== 2) throw err;
    for (const problem of fieldProblemsOf(err)) {
      const path = parsePath(problem.path);
      problems.push({ ...problem, line: lineOf(path) ?? lineOf(path.slice(0, -1)) ?? lineOf(path.slice(0, 1)) });
    }
    return undefined;
  }
}

/** "load.stages[1].target" → ["load", "stages", 1, "target"]; a threshold key keeps its tag filter, `http_req_duration{name:code}`. */
function parsePath(text: string): PropertyKey[] {
  return [...text.matchAll(/([^.[\]{]+(?:\{[^}]*\})?)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : (m[1] ?? '')));
}

export function parseScenario(text: string, file: string): Scenario {
  return compileScenario(text, file).scenario;
}

function parseYaml(text: string, file: string) {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => `${file}:${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`);
    throw invalidInput('SCENARIO_INVALID', problems.join('\n'));
  }
  return { doc, lines };
}

function lineFinder(doc: ReturnType<typeof parseDocument>, lines: LineCounter) {
  return (path: readonly PropertyKey[]): number | undefined => {
    const node = nodeAt(doc.contents, path);
    return node?.range === undefined || node.range === null ? undefined : lines.linePos(node.range[0]).line;
  };
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
    // A missing field has no line of its own: the nearest enclosing one that exists is named.
    let line: number | undefined;
    for (let n = issue.path.length; n >= 0 && line === undefined; n--) line = lineOf(issue.path.slice(0, n));
    return [{ path: fieldPath(issue.path), message: issue.message, line }];
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
