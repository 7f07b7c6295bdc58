import { existsSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { ManagedChild, type Placement } from './child.js';
import { compiled } from '../package-root.js';
import type { Ledger } from './ledger.js';
import type { Teardown } from './teardown.js';
import { CONFIG_ENV, type ServerConfig } from '../server/config.js';
import { CodestormError } from '../errors.js';

/**
 * The reference server as a child process: a cluster primary and its workers. The primary
 * reports each event as a JSON line on stdout; this keeps the workers' pids current so that a
 * fault can kill one, and re-emits the events for the run's events.ndjson.
 */
export interface ServerEvent {
  readonly event: string;
  readonly time: string;
  readonly worker?: number;
  readonly pid?: number;
  readonly code?: number | null;
  readonly signal?: string | null;
  readonly url?: string;
}

export class ReferenceServer extends EventEmitter<{ event: [ServerEvent] }> {
  readonly url: string;
  readonly metricsUrl: string | undefined;
  readonly child: ManagedChild;
  readonly #workers = new Map<number, number>();

  readonly #ledger: Ledger | undefined;

  private constructor(readonly config: ServerConfig, child: ManagedChild, ledger: Ledger | undefined) {
    super();
    this.child = child;
    this.#ledger = ledger;
    this.url = `http://${config.host}:${config.port}`;
    this.metricsUrl = config.metricsPort > 0 ? `http://127.0.0.1:${config.metricsPort}/metrics` : undefined;
  }

  static async start(config: ServerConfig, teardown: Teardown, ledger?: Ledger, placement?: Placement): Promise<ReferenceServer> {
    const entry = compiled('src/server/primary.js');
    if (!existsSync(entry)) {
      throw new CodestormError('BUILD_NOT_FOUND', `the reference server is not built (${entry} is missing)`, {
        hint: 'run `npm run build` (npm ci does it for you)',
      });
    }
    let onEvent: (line: string) => void = () => {};
    // CODESTORM_SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") reaches the
    // primary and, through cluster's execArgv, every worker: for profiling the server.
    const nodeArgs = (process.env['CODESTORM_SERVER_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
    const child = new ManagedChild(process.execPath, [...nodeArgs, entry], {
      name: 'reference server',
      env: { ...process.env, [CONFIG_ENV]: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      ledger,
      placement,
      onLine: (line, stream) => {
        if (stream === 'stdout' && line.startsWith('{')) onEvent(line);
      },
    });
    const server = new ReferenceServer(config, child, ledger);
    onEvent = (line) => server.#onEvent(line);
    teardown.add('stop reference server', () => child.stop('SIGTERM', 8_000).then(() => undefined));
    await child.waitForLine(/"event":"ready"/, 30_000);
    return server;
  }

  /** Pids of the workers now running, by cluster worker id. */
  get workers(): ReadonlyMap<number, number> {
    return this.#workers;
  }

  /** Asks the primary for one more worker (after a fault killed one with respawn off). */
  forkWorker(): void {
    this.child.process.send?.({ command: 'fork' });
  }

  /** Dead workers stay dead until release(): a crash that lasts. */
  holdRespawn(): void {
    this.child.process.send?.({ command: 'hold' });
  }

  /**
   * Respawning resumes, and the primary starts workers until it has its configured number; with
   * `resilience`, those workers and any started after them run with these settings changed.
   */
  releaseRespawn(resilience?: Readonly<Record<string, number | boolean | string>>): void {
    this.child.process.send?.(resilience === undefined ? { command: 'release' } : { command: 'release', resilience });
  }

  #onEvent(line: string): void {
    let event: ServerEvent;
    try {
      event = JSON.parse(line) as ServerEvent;
    } catch {
      return;
    }
    // The primary's events name themselves; a worker's log line (pino's JSON, on the same
    // stdout) is not an event, and stays in the child's recent output only.
    if (typeof event !== 'object' || event === null || typeof event.event !== 'string') return;
    if (event.event === 'worker-listening' && event.worker !== undefined && event.pid !== undefined) {
      this.#workers.set(event.worker, event.pid);
      // Recorded on their own: a worker a fault stopped outlives the primary if we are killed.
      this.#ledger?.addProcess(`server worker ${event.worker}`, event.pid, 'SIGTERM');
    }
    if (event.event === 'worker-exit' && event.worker !== undefined) {
      const pid = this.#workers.get(event.worker) ?? event.pid;
      if (pid !== undefined) this.#ledger?.removeProcess(pid);
      this.#workers.delete(event.worker);
    }
    this.emit('event', event);
  }
}
