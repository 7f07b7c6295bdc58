import { describe, expect, it } from 'vitest';
import { compileScenario, fieldPath, parseScenario } from '../../src/scenario/load.js';

/** The example scenario, exactly as written there. */
const PING = `name: constant-ping
seed: 7
target: http://127.0.0.1:8080
load:
  executor: constant-arrival-rate
  rate: 500          # arrivals per second
  duration: 10s
journeys:
  - name: ping
    weight: 1
    steps:
      - name: get-thing
        request: { method: GET, url: "/thing?id={{ faker.string.uuid }}" }
thresholds:
  http_req_duration: ["p(95)<500"]
  http_req_failed: ["rate<0.01"]
`;

function problems(text: string): string[] {
  try {
    parseScenario(text, 'scenarios/x.yaml');
  } catch (err) {
    expect(err).toMatchObject({ code: 'SCENARIO_INVALID', exitCode: 2 });
    return (err as Error).message.split('\n');
  }
  throw new Error('expected the scenario to be refused');
}

describe('scenario files', () => {
  it('reads the example from the issue, frozen, with defaults filled in', () => {
    const s = parseScenario(PING, 'ping.yaml');
    expect(s.name).toBe('constant-ping');
    expect(s.seed).toBe(7);
    expect(s.load).toEqual({ executor: 'constant-arrival-rate', rate: 500, duration: '10s' });
    expect(s.journeys[0]?.steps?.[0]?.request).toEqual({ method: 'GET', url: '/thing?id={{ faker.string.uuid }}' });
    expect(s.thresholds).toEqual({ http_req_duration: ['p(95)<500'], http_req_failed: ['rate<0.01'] });
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(s.journeys[0]?.steps?.[0]?.request)).toBe(true);
  });

  it('reports every problem at once, each naming the file, its line and the field', () => {
    const bad = PING.replace('seed: 7', 'seed: seven')
      .replace('weight: 1', 'weight: -1\n    colour: blue')
      .replace('method: GET', 'method: FETCH')
      .replace('target: http://127.0.0.1:8080', 'target: ftp://example');
    const lines = problems(bad);
    expect(lines).toHaveLength(5);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^scenarios\/x\.yaml:2: seed: /),
        expect.stringMatching(/^scenarios\/x\.yaml:3: target: expected "reference" or an http:\/\/ URL/),
        expect.stringMatching(/^scenarios\/x\.yaml:10: journeys\[0\]\.weight: /),
        expect.stringMatching(/^scenarios\/x\.yaml:11: journeys\[0\]\.colour: unknown field$/),
        expect.stringMatching(/^scenarios\/x\.yaml:14: journeys\[0\]\.steps\[0\]\.request\.method: /),
      ]),
    );
  });

  it('refuses unknown keys at the top level too', () => {
    expect(problems(`${PING}extra: 1\n`)).toEqual(['scenarios/x.yaml:17: extra: unknown field']);
  });

  it('refuses YAML that does not parse, with its line', () => {
    const lines = problems('name: x\nload: [unclosed\n');
    expect(lines[0]).toMatch(/^scenarios\/x\.yaml:\d+: /);
  });

  it('refuses a duplicated key rather than keeping the last one', () => {
    expect(problems(PING.replace('seed: 7', 'seed: 7\nseed: 8'))[0]).toMatch(/^scenarios\/x\.yaml:3: /);
  });

  it('does not change what it was given', () => {
    const text = PING;
    parseScenario(text, 'a.yaml');
    expect(text).toBe(PING);
  });

  it('names fields as people write them', () => {
    expect(fieldPath(['journeys', 0, 'steps', 12, 'request', 'url'])).toBe('journeys[0].steps[12].request.url');
    expect(fieldPath([])).toBe('');
  });
});

describe('scenario files: the executor and the thresholds join the same report', () => {
  it('lists the executor\'s and the thresholds\' problems with their lines, beside the schema\'s', () => {
    const bad = PING.replace('rate: 500          # arrivals per second', 'rate: -5\n  spcing: even')
      .replace('"p(95)<500"', '"p95<500"')
      .replace('name: constant-ping', 'name: constant ping');
    const lines = problems(bad);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^scenarios\/x\.yaml:1: name: /),
        expect.stringMatching(/^scenarios\/x\.yaml:6: load\.rate: /),
        expect.stringMatching(/^scenarios\/x\.yaml:7: load\.spcing: unknown field/),
        expect.stringMatching(/^scenarios\/x\.yaml:16: thresholds\.http_req_duration\[0\]: unknown aggregation "p95"/),
      ]),
    );
    expect(lines).toHaveLength(4);
  });

  it('an unknown executor is named with the ones there are', () => {
    const lines = problems(PING.replace('constant-arrival-rate', 'constant-arival-rate'));
    expect(lines).toEqual([expect.stringMatching(/^scenarios\/x\.yaml:5: load\.executor: expected one of constant-arrival-rate, .*got "constant-arival-rate"/)]);
  });

  it('gives the engine its executor and thresholds parsed', () => {
    const loaded = compileScenario(PING, 'ping.yaml');
    expect(loaded.load).toMatchObject({ executor: 'constant-arrival-rate', rate: 500, duration: 10_000 });
    expect(loaded.thresholds.map((t) => t.expr)).toEqual(['p(95)<500', 'rate<0.01']);
  });
});

describe('scenario files: journeys in a module, and thresholds on its custom metrics', () => {
  const MODULE = PING.replace(/journeys:\n(.*\n)*?thresholds:/, 'module: ./shop.js\nthresholds:');
  const SHOP = { metrics: { orders: { type: 'counter' as const, description: 'orders placed' } }, metricsFrom: 'shop.js' };

  it('takes a module instead of journeys, resolved from the scenario file, and its declared metrics in thresholds', () => {
    const loaded = compileScenario(`${MODULE}  "orders{shop:north}": ["count>10"]\n`, '/tmp/scenarios/x.yaml', SHOP);
    expect(loaded.module).toBe('/tmp/scenarios/shop.js');
    expect(loaded.scenario.journeys).toEqual([]);
    expect(loaded.metrics).toEqual(SHOP.metrics);
    expect(loaded.thresholds.map((t) => [t.key, t.type, t.custom])).toEqual([
      ['http_req_duration', 'trend', false],
      ['http_req_failed', 'rate', false],
      ['orders{shop:north}', 'counter', true],
    ]);
  });

  it('refuses neither or both of journeys and module, and a module beside a city', () => {
    expect(problems(MODULE.replace('module: ./shop.js\n', ''))).toEqual([expect.stringMatching(/^scenarios\/x\.yaml(:\d+)?: journeys: expected at least one journey \(or a module/)]);
    expect(problems(PING.replace('journeys:', 'module: ./shop.js\njourneys:'))).toEqual([expect.stringMatching(/^scenarios\/x\.yaml:8: module: give journeys or module, not both/)]);
    expect(problems(`${MODULE}city:\n  population: { scale: 0.001 }\n`)).toContainEqual(expect.stringMatching(/^scenarios\/x\.yaml:8: module: a city scenario runs the simulator's journeys/));
  });

  it('names an undeclared metric, with its line, under a tag filter too', () => {
    const lines = (() => {
      try {
        compileScenario(`${MODULE}  "order{shop:north}": ["count>10"]\n`, 'scenarios/x.yaml', SHOP);
      } catch (err) {
        return (err as Error).message.split('\n');
      }
      return [];
    })();
    expect(lines).toEqual(['scenarios/x.yaml:12: thresholds.order{shop:north}: unknown metric "order" (expected http_req_duration, http_req_failed, dropped_iterations, iterations, http_reqs, correctness_violations, checks, or a custom metric shop.js declares: orders)']);
  });

  it('a module that cannot be loaded is one problem, not one more for each threshold on its metrics', () => {
    let lines: string[] = [];
    try {
      compileScenario(`${MODULE}  orders: ["count>10"]\n  http_reqs: ["count>x"]\n`, 'scenarios/x.yaml', { moduleProblems: ['/tmp/shop.js: cannot load the journey module (no such file)'] });
    } catch (err) {
      lines = (err as Error).message.split('\n');
    }
    expect(lines).toEqual([
      'scenarios/x.yaml:8: module: /tmp/shop.js: cannot load the journey module (no such file)',
      'scenarios/x.yaml:13: thresholds.http_reqs[0]: bad value "x" (expected a number) in "count>x"',
    ]);
  });

  it('reports a tagged built-in threshold\'s problem with its line (it used to vanish)', () => {
    expect(problems(PING.replace('http_req_duration: ["p(95)<500"]', '"http_req_duration{name:get-thing}": ["p95<500"]'))).toEqual([
      'scenarios/x.yaml:15: thresholds.http_req_duration{name:get-thing}[0]: unknown aggregation "p95" (expected p(N), avg, med, min, max) in "p95<500"',
    ]);
  });
});
