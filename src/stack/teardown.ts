/**
 * A LIFO list of undo steps. Everything the harness starts or changes registers its undo here
 * the moment it exists, so that one call tears it all down on any exit path: a normal end, a
 * thrown error, a signal, or a child that died.
 */
export interface TeardownStep {
  readonly name: string;
  readonly run: () => Promise<void> | void;
}

export type TeardownReporter = (step: string, error: unknown) => void;

export class Teardown {
  readonly #steps: TeardownStep[] = [];
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(private readonly report: TeardownReporter = () => {}) {}

  /** True once run() was called: whatever is being set up should stop. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Registers an undo step; returns a function that runs it early and removes it. A step added
   * after run() was called (a start-up racing a Ctrl-C) runs at once, as part of that teardown.
   */
  add(name: string, run: () => Promise<void> | void): () => Promise<void> {
    const step: TeardownStep = { name, run };
    if (this.#closed) {
      const late = this.#runStep(step);
      this.#running = Promise.all([this.#running, late]).then(() => undefined);
      return () => late;
    }
    this.#steps.push(step);
    return async () => {
      const at = this.#steps.indexOf(step);
      if (at === -1) return;
      this.#steps.splice(at, 1);
      await this.#runStep(step);
    };
  }

  get size(): number {
    return this.#steps.length;
  }

  /** Runs every step, newest first. A failing step is reported and the rest still run. */
  run(): Promise<void> {
    this.#closed = true;
    this.#running ??= this.#runAll();
    return this.#running;
  }

  async #runAll(): Promise<void> {
    for (let step = this.#steps.pop(); step !== undefined; step = this.#steps.pop()) {
      await this.#runStep(step);
    }
  }

  async #runStep(step: TeardownStep): Promise<void> {
    try {
      await step.run();
    } catch (err) {
      this.report(step.name, err);
    }
  }
}
