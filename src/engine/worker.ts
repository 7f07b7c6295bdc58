import { parentPort, workerData } from 'node:worker_threads';
import { WorkerRun } from './worker-run.js';
import type { FromWorker, ToWorker, WorkerPlan } from './worker-plan.js';

/**
 * The entry of one worker thread of the load engine: it wires the thread's port to a WorkerRun
 * (src/engine/worker-run.ts), which runs this worker's share of the load.
 */
if (parentPort !== null) {
  const port = parentPort;
  const send = (message: FromWorker): void => port.postMessage(message);
  let stopped = false;
  let run: WorkerRun | undefined;
  port.on('message', (message: ToWorker) => {
    if (message.type === 'begin') {
      if (!stopped) run?.begin(message.startEpochMs);
      return;
    }
    stopped = true;
    run?.stop();
  });
  // Loading journeys (a module, faker) takes hundreds of milliseconds; the clock starts only
  // once every worker has, or the first arrivals would all go at once, late.
  WorkerRun.create(workerData as WorkerPlan, send).then(
    (created) => {
      run = created;
      if (stopped) created.stop();
      else send({ type: 'ready' });
    },
    (err: unknown) => send({ type: 'failed', message: err instanceof Error ? err.message : String(err) }),
  );
}
