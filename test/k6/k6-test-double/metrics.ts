import { currentTags, recording } from './recorder.js';

/** k6/metrics: each kind records its adds, with the iteration's scenario tags. */
class Metric {
  constructor(
    readonly name: string,
    readonly kind: string,
  ) {}

  add(value: number | boolean, tags?: Record<string, string>): void {
    recording.metrics.push({ metric: this.name, kind: this.kind, value: Number(value), tags: { ...currentTags(), ...tags } });
  }
}

export class Counter extends Metric {
  constructor(name: string) {
    super(name, 'counter');
  }
}
export class Gauge extends Metric {
  constructor(name: string) {
    super(name, 'gauge');
  }
}
export class Rate extends Metric {
  constructor(name: string) {
    super(name, 'rate');
  }
}
export class Trend extends Metric {
  constructor(name: string, readonly isTime = false) {
    super(name, 'trend');
  }
}
