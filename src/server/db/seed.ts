import { once } from 'node:events';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { compiled } from '../../package-root.js';
import { createResidentIndexes, createTables } from './schema.js';

/**
 * Seeds N residents with deterministic identities, streamed into COPY in large chunks: the
 * generator and Postgres work side by side, and nothing the size of the city is held in memory.
 */
export interface SeedOptions {
  readonly databaseUrl: string;
  readonly residents: number;
  readonly seed: number;
  /** The city the residents are drawn from; defaults to `residents` (a whole, small city). */
  readonly population?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface SeedResult {
  readonly residents: number;
  readonly seconds: number;
  readonly copySeconds: number;
  readonly indexSeconds: number;
}


export async function seedResidents(options: SeedOptions): Promise<SeedResult> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: options.databaseUrl });
  // Postgres stopped under the seeding (a signal's teardown) fails the query in flight; unheard,
  // the connection's 'error' event would also end the process before the teardown is done.
  client.on('error', () => {});
  await client.connect();
  try {
    // Table and rows in one transaction, loaded FREEZE: Postgres can then skip WAL for them
    // (wal_level=minimal) and never revisit the rows to set hint bits.
    await client.query('BEGIN');
    await client.query('DROP TABLE IF EXISTS residents');
    await createTables(client);
    await copyResidents(client, { seed: options.seed, population: options.population ?? options.residents }, options.residents, options.onProgress);
    await client.query('COMMIT');
    const copied = performance.now();
    await createResidentIndexes(options.databaseUrl);
    await client.query('ANALYZE residents');
    const done = performance.now();
    return {
      residents: options.residents,
      seconds: (done - started) / 1000,
      copySeconds: (copied - started) / 1000,
      indexSeconds: (done - copied) / 1000,
    };
  } finally {
    await client.end();
  }
}

const ROWS_PER_CHUNK = 16_384;
/** Chunks asked of each worker ahead of the one being written. */
const AHEAD_PER_WORKER = 3;

async function copyResidents(
  client: pg.Client,
  options: { seed: number; population: number },
  count: number,
  onProgress: ((done: number, total: number) => void) | undefined,
): Promise<void> {
  const stream = client.query(copyFrom('COPY residents (id, id_digits, name, phone, compound) FROM STDIN WITH (FREEZE)'));
  const finished = once(stream, 'finish');
  const rows = new RowMakers(Math.min(2, Math.max(1, os.availableParallelism())), options);
  try {
    const chunks = Math.ceil(count / ROWS_PER_CHUNK);
    const pending: Promise<Buffer>[] = [];
    let asked = 0;
    let lastReport = 0;
    const ask = (): void => {
      const start = asked * ROWS_PER_CHUNK;
      pending.push(rows.make(asked, start, Math.min(count, start + ROWS_PER_CHUNK)));
      asked++;
    };
    while (asked < Math.min(chunks, rows.size * AHEAD_PER_WORKER)) ask();
    for (let written = 0; written < chunks; written++) {
      const chunk = await pending.shift()!;
      if (asked < chunks) ask();
      if (!stream.write(chunk)) await once(stream, 'drain');
      const done = Math.min(count, (written + 1) * ROWS_PER_CHUNK);
      if (onProgress !== undefined && done - lastReport >= 500_000) {
        lastReport = done;
        onProgress(done, count);
      }
    }
    stream.end();
    await finished;
  } finally {
    await rows.close();
  }
  onProgress?.(count, count);
}

/** Worker threads making row chunks; chunk k goes to worker k mod n, answers come in order. */
class RowMakers {
  readonly #workers: Worker[];
  readonly #waiting: ((chunk: Buffer) => void)[][];

  constructor(count: number, data: { seed: number; population: number }) {
    // Always the compiled file: a worker thread cannot load TypeScript (under vitest, say).
    const file = compiled('src/server/db/seed-rows.js');
    this.#workers = Array.from({ length: count }, () => new Worker(file, { workerData: data }));
    this.#waiting = this.#workers.map(() => []);
    this.#workers.forEach((worker, at) => {
      worker.on('message', (rows: { buffer: ArrayBuffer; length: number }) =>
        this.#waiting[at]!.shift()?.(Buffer.from(rows.buffer, 0, rows.length)),
      );
    });
  }

  get size(): number {
    return this.#workers.length;
  }

  make(chunk: number, start: number, end: number): Promise<Buffer> {
    const at = chunk % this.#workers.length;
    const worker = this.#workers[at]!;
    return new Promise((resolve, reject) => {
      worker.once('error', reject);
      this.#waiting[at]!.push((bytes) => {
        worker.off('error', reject);
        resolve(bytes);
      });
      worker.postMessage({ start, end });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
