import type { CurvePoint } from './types.js';

/** About this many points of the load curve are printed, whatever the run's length. */
export const CURVE_POINTS = 120;

/** The curve at every `step` real seconds from 0 to `durationS`, the end included. */
export function curvePoints(durationS: number, step: number, at: (tS: number) => CurvePoint): CurvePoint[] {
  const points: CurvePoint[] = [];
  for (let k = 0; k * step <= durationS + 1e-9; k++) points.push(at(Math.min(durationS, k * step)));
  return points;
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
