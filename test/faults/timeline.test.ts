import { describe, expect, it } from 'vitest';
import { CodestormError } from '../../src/errors.js';
import { faultSchema, type FaultSpec } from '../../src/faults/schema.js';
import { checkControllers, keepSettings, planFaults, Timeline } from '../../src/faults/timeline.js';
import type { Controllers } from '../../src/faults/types.js';
import { compileScenario } from '../../src/scenario/load.js';
import { createRandom } from '../../src/engine/random.js';
import { Teardown } from '../../src/stack/teardown.js';
import { faultClock } from '../../sim/clock.js';
import { ToxiproxyControl } from '../../src/stack/toxiproxy-control.js';
import { waitFor } from '../helpers/wait.js';

/** The timeline's arithmetic and its refusals, without a stack. */
const spec = (raw: Record<string, unknown>): FaultSpec => faultSchema.parse(raw);

describe('planFaults', () => {
  it('places a time of day on the city clock and scales offsets and durations by its compression', () => {
    const clock = faultClock({ start: 8 * 3600 + 45 * 60, end: 10 * 3600 + 15 * 60, compress: 40 });
    const [crash, later] = planFaults(
      [
        spec({ kind: 'process', action: 'kill', at: '09:20', duration: '10m' }),
        spec({ kind: 'cache-corruption', mode: 'flush', at: '+40m', duration: '1m', name: 'flush' }),
      ],
      clock,
    );
    expect(crash).toMatchObject({ name: 'process-0', target: 'server workers (all)', startMs: 52_500, endMs: 67_500 });
    expect(later).toMatchObject({ name: 'flush', startMs: 60_000, endMs: 61_500 });
  });

  it('takes offsets in real time without a city clock', () => {
    const [f] = planFaults([spec({ kind: 'network', link: 'redis', toxic: 'timeout', at: '+2s', duration: '500ms' })], undefined);
    expect(f).toMatchObject({ startMs: 2_000, endMs: 2_500, target: 'link redis' });
  });
});

describe('keepSettings', () => {
  it('takes a --set setting out of every restartWith, says which, and leaves the rest', () => {
    const planned = planFaults(
      [
        spec({ kind: 'process', action: 'kill', at: '+1s', duration: '1s', name: 'restore', restartWith: { maxInFlight: 512, coalesce: true } }),
        spec({ kind: 'process', action: 'kill', at: '+3s', duration: '1s', name: 'again', restartWith: { maxInFlight: 256 } }),
        spec({ kind: 'process', action: 'kill', at: '+5s', duration: '1s', name: 'plain' }),
      ],
      undefined,
    );
    const { faults, notes } = keepSettings(planned, { maxInFlight: 0 });
    expect(faults.map((f) => (f.spec.kind === 'process' ? f.spec.restartWith : 'not a process fault'))).toEqual([{ coalesce: true }, undefined, undefined]);
    expect(faults.map((f) => [f.name, f.startMs])).toEqual([['restore', 1_000], ['again', 3_000], ['plain', 5_000]]);
    expect(notes).toEqual([
      'codestorm: fault restore: restarts without its restartWith maxInFlight: --set holds for the whole run',
      'codestorm: fault again: restarts without its restartWith maxInFlight: --set holds for the whole run',
    ]);
    expect(keepSettings(planned, {})).toEqual({ faults: planned, notes: [] });
  });
});

describe('checkControllers', () => {
  const faults = planFaults(
    [
      spec({ kind: 'network', link: 'postgres', toxic: 'latency', at: '+1s', duration: '1s' }),
      spec({ kind: 'db-stall', mode: 'lock', table: 'tubes', at: '+1s', duration: '1s' }),
      spec({ kind: 'process', action: 'kill', at: '+1s', duration: '1s' }),
    ],
    undefined,
  );

  it('refuses, before anything starts, every fault with nothing to act through, one line each', () => {
    let err: unknown;
    try {
      checkControllers(faults, { databaseUrl: 'postgres://x' }, 'x.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CodestormError);
    expect((err as CodestormError).exitCode).toBe(2);
    expect((err as CodestormError).message.split('\n')).toEqual([
      'x.yaml: faults[0] (network-0): no toxiproxy to act through: set TOXIPROXY_URL to the Toxiproxy API in front of the target',
      'x.yaml: faults[2] (process-2): no server to act through: process faults need the reference stack (target: reference)',
    ]);
  });

  it('passes when every controller is there', () => {
    const all: Controllers = { toxiproxy: new ToxiproxyControl('http://127.0.0.1:1'), databaseUrl: 'postgres://x', redisUrl: 'redis://x' };
    expect(() => checkControllers(faults.slice(0, 2), all, 'x.yaml')).not.toThrow();
  });
});

describe('the timeline', () => {
  it('a fault that cannot begin is reported and the rest of the run goes on', async () => {
    const events: { name: string; fields: Record<string, unknown> }[] = [];
    const teardown = new Teardown();
    const timeline = new Timeline({
      faults: planFaults([spec({ kind: 'network', link: 'postgres', toxic: 'latency', at: '+0s', duration: '1s' })], undefined),
      // Nothing listens there: the control call fails.
      controllers: { toxiproxy: new ToxiproxyControl('http://127.0.0.1:9', 500) },
      random: createRandom(1),
      teardown,
      event: (name, fields) => events.push({ name, fields }),
      say: () => {},
    });
    timeline.start(performance.now());
    await waitFor('the fault to be reported', () => (events.length > 0 ? true : undefined));
    await timeline.stop();
    await teardown.run();
    expect(events.map((e) => e.name)).toEqual(['fault-failed']);
    expect(timeline.outcomes()).toEqual([{ name: 'network-0', kind: 'network', target: 'link postgres', startS: null, endS: null, failed: expect.any(String) }]);
  });
});

describe('scenario faults', () => {
  const base = 'name: f\ntarget: http://127.0.0.1:9\nload: { executor: constant-arrival-rate, rate: 1, duration: 1s }\njourneys:\n  - { name: j, steps: [ { name: s, request: { url: "/" } } ] }\n';
  const problems = (faults: string): string[] => {
    try {
      compileScenario(`${base}faults:\n${faults}`, 'f.yaml');
      return [];
    } catch (err) {
      return (err as Error).message.split('\n');
    }
  };

  it('are checked field by field, naming the file, line and field', () => {
    expect(problems('  - { kind: network, link: postgres, toxic: lag, at: "+1s", duration: 1s }\n')).toEqual([expect.stringMatching(/^f\.yaml:7: faults\[0\]\.toxic: /)]);
    expect(problems('  - { kind: db-stall, mode: lock, at: "+1s", duration: 1s }\n')).toEqual([expect.stringMatching(/^f\.yaml:7: faults\[0\]\.table: missing: a lock needs the table/)]);
    expect(problems('  - { kind: process, action: kill, at: "09:00", duration: 1s }\n')).toEqual([expect.stringMatching(/faults\[0\]\.at: a time of day needs a city clock/)]);
    expect(problems('  - { kind: process, action: kill, at: "+1s", duration: 1s, signal: 9 }\n')).toEqual([expect.stringMatching(/faults\[0\]\.signal: unknown field/)]);
    expect(problems('  - { kind: quake, at: "+1s", duration: 1s }\n')).toEqual([expect.stringMatching(/faults\[0\]\.kind: /)]);
    expect(problems('  - { kind: process, action: kill, at: "+1s", duration: 1s, name: x }\n  - { kind: process, action: stop, at: "+1s", duration: 1s, name: x }\n')).toEqual([
      expect.stringMatching(/faults\[1\]\.name: "x" names two faults/),
    ]);
  });

  it("take restartWith on a kill only, each key a setting of the reference server with a value of its kind", () => {
    const kill = (restartWith: string, action = 'kill') => problems(`  - { kind: process, action: ${action}, at: "+1s", duration: 1s, restartWith: ${restartWith} }\n`);
    expect(kill('{ maxInFlight: 512, coalesce: true }')).toEqual([]);
    expect(kill('{ maxInflight: 512 }')).toEqual([expect.stringMatching(/^f\.yaml:7: faults\[0\]\.restartWith\.maxInflight: unknown setting "maxInflight"; settings: dbPoolSize, .*maxInFlight/)]);
    expect(kill('{ maxInFlight: -1, coalesce: "yes", missBatch: 1.5 }')).toEqual([
      expect.stringMatching(/faults\[0\]\.restartWith\.maxInFlight: expected a whole number >= 0, got -1$/),
      expect.stringMatching(/faults\[0\]\.restartWith\.coalesce: expected true or false, got "yes"$/),
      expect.stringMatching(/faults\[0\]\.restartWith\.missBatch: expected a whole number >= 0, got 1\.5$/),
    ]);
    expect(kill('{ maxInFlight: 512 }', 'stop')).toEqual([expect.stringMatching(/faults\[0\]\.restartWith: only a kill restarts workers: use action: kill$/)]);
  });
});
