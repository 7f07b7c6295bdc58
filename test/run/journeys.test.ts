import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OVERLOAD_IN_FLIGHT_LIMIT, socketBudget } from '../../src/analyze/overload.js';
import { cityConnections } from '../../src/run/journeys.js';
import { loadScenario } from '../../src/scenario/load.js';

const scenario = (name: string): string => path.join(import.meta.dirname, '..', '..', 'scenarios', name);

/** A city's sockets (src/run/journeys.ts): a phone each, up to what one process may hold open. */
describe('city connections', () => {
  it('give each person mid-journey a socket, up to the socket budget shared by the workers', async () => {
    const xian = await loadScenario(scenario('xian-2022-01-04.yaml'));
    const people = xian.load.executor === 'constant-vus' || xian.load.executor === 'ramping-vus' ? 0 : xian.load.maxInFlight;
    // The morning lets more people be mid-journey than the generator has sockets: they wait for one.
    expect(people).toBeGreaterThan(OVERLOAD_IN_FLIGHT_LIMIT);
    expect(cityConnections(xian, 1, 20_000)).toEqual({ connections: OVERLOAD_IN_FLIGHT_LIMIT });
    expect(cityConnections(xian, 2, 20_000)).toEqual({ connections: OVERLOAD_IN_FLIGHT_LIMIT / 2 });
    expect(cityConnections(xian, 1, 4_096)).toEqual({ connections: 3_072 });
    // Under the budget, a connection per person mid-journey.
    const ramp = await loadScenario(scenario('capacity-ramp.yaml'));
    expect(cityConnections(ramp, 2, 20_000)).toEqual({ connections: 500 });
  });

  it('budget three quarters of the open-file limit, at most 15,000 and at least one', () => {
    expect(socketBudget(undefined)).toBe(15_000);
    expect(socketBudget(1_000_000)).toBe(15_000);
    expect(socketBudget(1_024)).toBe(768);
    expect(socketBudget(1)).toBe(1);
  });
});
