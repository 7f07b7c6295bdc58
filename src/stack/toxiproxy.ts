import { ManagedChild, type Placement } from './child.js';
import { freePort, waitForPort } from './ports.js';
import type { Ledger } from './ledger.js';
import type { Teardown } from './teardown.js';
import { ToxiproxyControl } from './toxiproxy-control.js';
import { buildToxiproxy, findToxiproxy, toxiproxyInstallCommand } from './tools.js';
import { CodestormError } from '../errors.js';

export interface ToxiproxyHandle {
  readonly apiUrl: string;
  readonly client: ToxiproxyControl;
  readonly child: ManagedChild | undefined;
}

/** toxiproxy-server from PATH or our cache; built with Go when neither has it. */
export async function resolveToxiproxyBinary(say: (line: string) => void): Promise<string> {
  const found = (await findToxiproxy()) ?? (await buildToxiproxy(say));
  if (found === undefined) {
    throw new CodestormError('TOXIPROXY_NOT_FOUND', 'toxiproxy-server is not on PATH and Go is not installed to build it', {
      hint: `install Go and run \`${toxiproxyInstallCommand()}\`, put toxiproxy-server on PATH, or set TOXIPROXY_URL to a running Toxiproxy`,
    });
  }
  return found.path;
}

export async function startToxiproxy(teardown: Teardown, say: (line: string) => void, ledger?: Ledger, placement?: Placement): Promise<ToxiproxyHandle> {
  const binary = await resolveToxiproxyBinary(say);
  const port = await freePort();
  const child = new ManagedChild(binary, ['-host', '127.0.0.1', '-port', String(port)], { name: 'toxiproxy-server', ledger, placement });
  teardown.add('stop toxiproxy-server', () => child.stop('SIGTERM').then(() => undefined));
  await Promise.race([
    waitForPort(port, { what: 'toxiproxy-server', timeoutMs: 15_000 }),
    child.exited.then(() => {
      throw child.failure('exited at start-up');
    }),
  ]);
  const apiUrl = `http://127.0.0.1:${port}`;
  return { apiUrl, client: new ToxiproxyControl(apiUrl), child };
}

export function connectToxiproxy(apiUrl: string): ToxiproxyHandle {
  return { apiUrl, client: new ToxiproxyControl(apiUrl), child: undefined };
}

/** Puts a proxy in front of `upstream` on a free loopback port and removes it on teardown. */
export async function addLink(
  toxiproxy: ToxiproxyHandle,
  teardown: Teardown,
  name: string,
  upstream: string,
): Promise<{ host: string; port: number }> {
  // A proxy of that name may be left over from a crashed run against the same Toxiproxy.
  await toxiproxy.client.deleteProxy(name).catch(() => undefined);
  const port = await freePort();
  await toxiproxy.client.createProxy({ name, listen: `127.0.0.1:${port}`, upstream, enabled: true });
  teardown.add(`remove toxiproxy link ${name}`, () => toxiproxy.client.deleteProxy(name).catch(() => undefined));
  return { host: '127.0.0.1', port };
}
