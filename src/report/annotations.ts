import type { Analysis, FaultWindow } from '../analyze/analyze.js';

/**
 * What the marks are drawn from: an analysis, or (the live dashboard) the faults so far, the
 * breaking point once found, and how many seconds the chart has (a fault still on reaches its end).
 */
export interface Marks {
  readonly faults: readonly FaultWindow[];
  readonly breakingPoint: Analysis['breakingPoint'];
  readonly series: { readonly length: number };
}

/** What every time chart shows over its lines: the fault windows shaded, the breaking point marked (chartjs-plugin-annotation). */
export function annotationsOf(analysis: Marks): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  analysis.faults.forEach((f, i) => {
    if (f.startS === null) return;
    out[`fault${i}`] = {
      type: 'box',
      xMin: Math.floor(f.startS),
      xMax: Math.ceil(f.endS ?? analysis.series.length - 1),
      backgroundColor: 'rgba(255, 99, 71, 0.12)',
      borderWidth: 0,
      // Labels of faults that start together are stacked, not drawn over each other.
      label: { display: true, content: f.name, position: { x: 'start', y: 'start' }, yAdjust: 4 + 14 * i, font: { size: 10 }, color: '#a33' },
    };
  });
  const bp = analysis.breakingPoint;
  if (bp !== null) {
    out['breakingPoint'] = {
      type: 'line',
      xMin: bp.atS,
      xMax: bp.atS,
      borderColor: '#d62728',
      borderWidth: 2,
      borderDash: [6, 4],
      label: { display: true, content: `breaking point ${bp.atS} s`, position: 'center', backgroundColor: '#d62728', font: { size: 10 } },
    };
  }
  return out;
}
