import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { main } from '../../src/cli/main.js';
import { exportK6, type ExportResult } from '../../src/k6/export.js';
import { rampArrivals } from '../../src/k6/stages.js';
import { loadScenario } from '../../src/scenario/load.js';
import { captureIO } from '../helpers/io.js';
import { arrivalTimes } from './k6-test-double/runner.js';

const run = promisify(execFile);
const SCENARIOS = (await readdir('scenarios')).filter((f) => f.endsWith('.yaml')).map((f) => path.join('scenarios', f));
const TSC = path.resolve('node_modules/.bin/tsc');

let dir: string;
const exported = new Map<string, { result: ExportResult; out: string }>();

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'codestorm-k6-'));
  for (const file of SCENARIOS) {
    const out = path.join(dir, path.basename(file, '.yaml'));
    exported.set(file, { result: await exportK6(await loadScenario(file), { outDir: out, parallelism: 4 }), out });
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Which bundled module each line of an esbuild bundle belongs to (its `// path` comments). */
function moduleOfLine(script: string): (line: number) => string {
  const starts: { line: number; module: string }[] = [];
  script.split('\n').forEach((text, i) => {
    const m = /^\/\/ ((?:node_modules|dist|src|sim|test)\/\S+\.[jt]s)$/.exec(text);
    if (m !== null) starts.push({ line: i + 1, module: m[1]! });
  });
  return (line) => [...starts].reverse().find((s) => s.line <= line)?.module ?? '(preamble)';
}

describe('codestorm export k6: every shipped scenario', () => {
  it.each(SCENARIOS)('%s: exports script.js, testrun.yaml and README.md, the script under a ConfigMap\'s 1 MiB', async (file) => {
    const { result, out } = exported.get(file)!;
    expect((await readdir(out)).sort()).toEqual(['README.md', 'script.js', 'testrun.yaml']);
    expect(result.scriptBytes).toBeLessThan(1024 * 1024);
    const script = await readFile(path.join(out, 'script.js'), 'utf8');
    expect(script).not.toMatch(/from\s+["']node:/);
    expect(script).toMatch(/^import http from "k6\/http";$/m);
    const names = /^export \{([^}]*)\};?$/m.exec(script)?.[1]?.split(',').map((n) => n.trim()).filter((n) => n !== '') ?? [];
    expect(names.sort()).toEqual(['options', ...result.load.execs.map((e) => e.exec)].sort());
  });

  it.each(SCENARIOS)('%s: script.js type-checks against @types/k6 with tsc (codestorm\'s code in it without an error)', async (file) => {
    const { out } = exported.get(file)!;
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022'],
        allowJs: true, checkJs: true, noEmit: true, strict: false, skipLibCheck: true,
        types: ['k6'], typeRoots: [path.resolve('node_modules/@types')],
      },
      files: ['script.js'],
    };
    await writeFile(path.join(out, 'tsconfig.json'), JSON.stringify(tsconfig));
    const output = await run(TSC, ['-p', path.join(out, 'tsconfig.json')], { cwd: out }).then(
      (r) => r.stdout,
      (err: { stdout?: string }) => err.stdout ?? String(err),
    );
    await rm(path.join(out, 'tsconfig.json'));
    const script = await readFile(path.join(out, 'script.js'), 'utf8');
    const moduleOf = moduleOfLine(script);
    const errors = output.split('\n').flatMap((l) => {
      const m = /^script\.js\((\d+),\d+\): error (TS\d+): (.*)$/.exec(l);
      return m === null ? [] : [{ line: Number(m[1]), code: m[2]!, message: m[3]!, module: moduleOf(Number(m[1])) }];
    });
    // Every k6 module the script imports resolves to @types/k6.
    expect(errors.filter((e) => e.code === 'TS2307')).toEqual([]);
    // The entry (the k6-facing code), the adapter, the journeys and the engine code bundled with
    // them type-check; faker's bundled JavaScript is not written for checkJs (esbuild's enums,
    // guarded uses of Buffer), and is the only place an error may sit.
    expect(errors.filter((e) => !e.module.startsWith('node_modules/@faker-js/'))).toEqual([]);
    expect(output).not.toMatch(/error TS(?!\d)/);
  });

  it.each(SCENARIOS)('%s: a city curve\'s stages start, per stream and in all, within 1 % of `plan --json`\'s arrivals', async (file) => {
    const { result } = exported.get(file)!;
    const io = captureIO();
    expect(await main(['plan', file, '--json'], io)).toBe(0);
    const plan = JSON.parse(io.out()) as { city: { clock: unknown; streams: { journey: string; scaled: { arrivals: number } }[]; totals: { scaled: { arrivals: number } } } | null };
    if (plan.city === null || plan.city.clock === null) {
      // An explicit executor maps one to one: one k6 scenario, no stages of ours to check.
      expect(Object.keys(result.load.scenarios)).toHaveLength(1);
      return;
    }
    let total = 0;
    for (const stream of plan.city.streams) {
      const scenario = Object.values(result.load.scenarios).find((s) => s.tags['journey'] === stream.journey);
      if (stream.scaled.arrivals === 0) {
        expect(scenario).toBeUndefined();
        continue;
      }
      expect(scenario, stream.journey).toBeDefined();
      const s = scenario as unknown as { startRate: number; timeUnit: string; stages: { duration: string; target: number }[] };
      // What the stages integrate to, and what an open-model runner starts from them (the test double's arrival times).
      const area = rampArrivals(s);
      const started = arrivalTimes(s).length;
      expect(Math.abs(area - stream.scaled.arrivals) / stream.scaled.arrivals, `${stream.journey}: ${area} vs ${stream.scaled.arrivals}`).toBeLessThanOrEqual(0.01);
      // A count is whole: 67.1 planned arrivals cannot be started closer than 67 or 68.
      expect(Math.abs(started - stream.scaled.arrivals), `${stream.journey}: ${started} started vs ${stream.scaled.arrivals}`).toBeLessThanOrEqual(Math.max(0.01 * stream.scaled.arrivals, 1));
      total += area;
    }
    expect(Math.abs(total - plan.city.totals.scaled.arrivals) / plan.city.totals.scaled.arrivals).toBeLessThanOrEqual(0.01);
  });

  it.each(SCENARIOS)('%s: the TestRun has every field the k6-operator\'s CRD requires', async (file) => {
    const { out, result } = exported.get(file)!;
    const run = parse(await readFile(path.join(out, 'testrun.yaml'), 'utf8')) as Record<string, any>;
    expect(run['apiVersion']).toBe('k6.io/v1alpha1');
    expect(run['kind']).toBe('TestRun');
    expect(run['metadata']['name']).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    const spec = run['spec'];
    expect(spec.parallelism).toBe(4);
    expect(spec.script.configMap.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(spec.script.configMap.file).toBe('script.js');
    expect(spec.cleanup).toBe('post');
    expect(typeof spec.arguments).toBe('string');
    expect(spec.arguments).toMatch(/--out json=/);
    expect(spec.runner.image).toMatch(/k6/);
    expect(spec.runner.env).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'TARGET' })]));
    // The ConfigMap the README tells you to create is the one the TestRun reads.
    expect(result.configMapCommand).toBe(`kubectl create configmap ${spec.script.configMap.name} --from-file=script.js=script.js`);
    const readme = await readFile(path.join(out, 'README.md'), 'utf8');
    expect(readme).toContain(result.configMapCommand);
    expect(readme).toContain('No real k6 ran');
    expect(readme).toContain('codestorm report --from-k6');
  });

  it('xian-2022-01-04: the faults are not exported, and the export says so', () => {
    const { result } = exported.get('scenarios/xian-2022-01-04.yaml')!;
    expect(result.notes.join('\n')).toMatch(/2 fault\(s\) not exported/);
  });

  it('xian-2022-01-04: its city\'s gracefulStop is every k6 scenario\'s', () => {
    const { result } = exported.get('scenarios/xian-2022-01-04.yaml')!;
    const scenarios = Object.values(result.load.scenarios);
    expect(scenarios.length).toBeGreaterThan(1);
    for (const s of scenarios) expect(s['gracefulStop']).toBe('5s');
  });
});

describe('codestorm export k6: bad input', () => {
  it('an unknown scenario file: one line naming it, exit 2', async () => {
    const io = captureIO();
    expect(await main(['export', 'k6', 'scenarios/no-such.yaml', '--out', path.join(dir, 'x')], io)).toBe(2);
    expect(io.err().trim().split('\n')).toHaveLength(1);
    expect(io.err()).toContain('scenarios/no-such.yaml');
  });

  it.each(['0', 'many', '-3', '1001'])('--parallelism %s: one line naming the flag, exit 2', async (value) => {
    const io = captureIO();
    expect(await main(['export', 'k6', 'scenarios/smoke.yaml', '--out', path.join(dir, 'x'), '--parallelism', value], io)).toBe(2);
    expect(io.err()).toMatch(/^codestorm: --parallelism: expected a whole number/);
    expect(io.err().trim().split('\n')).toHaveLength(1);
  });

  it('no --out: one line naming the flag, exit 2', async () => {
    const io = captureIO();
    expect(await main(['export', 'k6', 'scenarios/smoke.yaml'], io)).toBe(2);
    expect(io.err()).toMatch(/--out: missing/);
  });

  it('a script over 1 MiB cannot go in a ConfigMap: an error naming its size, exit 2', async () => {
    const big = path.join(dir, 'big');
    await rm(big, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(big));
    await writeFile(
      path.join(big, 'journeys.mjs'),
      `const PAYLOAD = ${JSON.stringify('x'.repeat(1_200_000))};\nexport function journeys() { return [{ name: 'big', weight: 1, run: async (ctx) => { await ctx.request('big', { method: 'POST', path: '/', body: PAYLOAD }); } }]; }\n`,
    );
    await writeFile(path.join(big, 'big.yaml'), 'name: big\ntarget: http://127.0.0.1:9\nload: { executor: constant-arrival-rate, rate: 1, duration: 1s }\nmodule: ./journeys.mjs\n');
    const io = captureIO();
    expect(await main(['export', 'k6', path.join(big, 'big.yaml'), '--out', path.join(big, 'out')], io)).toBe(2);
    expect(io.err()).toMatch(/the exported script\.js is \d,\d{3},\d{3} bytes, more than a ConfigMap holds \(1,048,576 bytes\)/);
  });
});
