import type { MetricDeclarations } from '../../src/engine/journey.js';

/**
 * What the morning meant for people, as custom metrics beside the HTTP ones (k6's kinds). Each
 * is recorded where the person's journey decides it.
 */
export const metrics: MetricDeclarations = {
  people_sampled: { type: 'counter', description: 'people swabbed and bound to a tube (method: scan, or the ID number typed by hand)' },
  last_sampled_at: { type: 'gauge', unit: 'clock', description: 'the city time of the last person sampled' },
  code_shown: { type: 'rate', description: 'share of code opens that ended with a code on the screen' },
  codes_not_loaded: { type: 'counter', description: 'code opens that ended with no code to show (the app gave up, or the session was refused)' },
  reinstalls: { type: 'counter', description: 'residents who re-installed the app and signed in again (the re-install storm)' },
  turned_away: { type: 'counter', description: 'people turned away at a gate because no code could be shown or checked (gate: hospital, metro, shop)' },
};
