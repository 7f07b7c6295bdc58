import { createCanvas } from '@napi-rs/canvas';
import { Chart, registerables, type ChartConfiguration, type Plugin } from 'chart.js';
import annotationPlugin from 'chartjs-plugin-annotation';
import type { ChartSpec } from './charts.js';

/**
 * charts/*.png: the report's chart definitions drawn by Chart.js itself on @napi-rs/canvas
 * (Skia), on a white background, so a CI step summary or an issue can show them as images.
 */
const whiteBackground: Plugin = {
  id: 'codestorm-white-background',
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.globalCompositeOperation = 'destination-over';
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

let registered = false;

export const PNG_SIZE = { width: 1120, height: 320 } as const;

export function renderPng(spec: ChartSpec): Buffer {
  if (!registered) {
    Chart.register(...registerables, annotationPlugin, whiteBackground);
    registered = true;
  }
  const canvas = createCanvas(PNG_SIZE.width, PNG_SIZE.height);
  const config = spec.config as unknown as ChartConfiguration;
  const chart = new Chart(canvas.getContext('2d') as unknown as ConstructorParameters<typeof Chart>[0], {
    ...config,
    options: { ...config.options, devicePixelRatio: 1, responsive: false, animation: false },
  });
  try {
    return canvas.toBuffer('image/png');
  } finally {
    chart.destroy();
  }
}
