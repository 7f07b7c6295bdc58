/**
 * What a journey module is written against (`import type { JourneyFactory } from 'codestorm'`):
 * the context each arrival gets, the journeys a module exports and the custom metrics it
 * declares. Types only; codestorm itself is run from its command line.
 */
export type {
  CustomMetrics,
  Journey,
  JourneyContext,
  JourneyFactory,
  JourneyModule,
  MetricDeclaration,
  MetricDeclarations,
  MetricKind,
  MetricTags,
  MetricUnit,
  RequestOptions,
  StepResponse,
  WeightedJourney,
  WorkerIdentity,
} from '../engine/journey.js';
export type { RequestSpec } from '../engine/http/request-head.js';
export type { Outcome } from '../engine/http/outcome.js';
export type { Random } from '../engine/random.js';
