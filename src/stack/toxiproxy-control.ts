import { Proxy as ProxyHandle, Toxiproxy } from 'toxiproxy-node-client';
import { CodestormError, errorMessage } from '../errors.js';
import { TOXIPROXY_NAME, type ToxicAttributes, type ToxicType } from './toxic-attributes.js';

/**
 * Toxiproxy's control API through toxiproxy-node-client (4.1.0, the client of record), wrapped
 * only for what it lacks:
 * - a deadline on every call: under load the API stalls (Toxiproxy #412, #558) and the package
 *   has no timeout or AbortSignal;
 * - errors that carry the HTTP status and the server's body (the package says only "Request
 *   failed with status code N");
 * - typed toxic attributes (toxic-attributes.ts), and names checked before they go into a path
 *   (the package does not encode them);
 * - getVersion(), which reads the JSON the server sends as if it were text.
 *
 * What the deadline guarantees: the caller stops waiting, and the request's socket is aborted.
 * It cannot guarantee that Toxiproxy did not act on a request it had already read: a change
 * whose call hit the deadline may still happen. So an undo that fails falls back to /reset, and
 * a fault whose begin hit the deadline is taken off again (src/faults/network.ts).
 */
export interface ProxyConfig {
  readonly name: string;
  readonly listen: string;
  readonly upstream: string;
  readonly enabled?: boolean;
}

export interface ToxicState<T extends ToxicType = ToxicType> {
  readonly name: string;
  readonly type: T;
  readonly stream: 'upstream' | 'downstream';
  readonly toxicity: number;
  readonly attributes: ToxicAttributes[T];
}

export type ToxicSpec<T extends ToxicType = ToxicType> = Omit<ToxicState<T>, 'toxicity'> & { readonly toxicity?: number };

export interface ProxyState extends Required<ProxyConfig> {
  readonly toxics: readonly ToxicState[];
}

/** A failed control call: `status` and `body` are the server's answer (undefined if none came). */
export class ToxiproxyCallError extends CodestormError {
  constructor(
    code: 'TOXIPROXY_FAILED' | 'TOXIPROXY_UNREACHABLE' | 'TOXIPROXY_DEADLINE',
    message: string,
    readonly status: number | undefined,
    readonly body: string | undefined,
    cause?: unknown,
  ) {
    super(code, message, cause === undefined ? {} : { cause });
  }
}

export const DEFAULT_DEADLINE_MS = 5_000;

export class ToxiproxyControl {
  constructor(
    readonly apiUrl: string,
    readonly deadlineMs = DEFAULT_DEADLINE_MS,
  ) {}

  version(): Promise<string> {
    return this.#call('GET /version', async (tp) => {
      const text = await tp.getVersion();
      try {
        const body = JSON.parse(text) as { version?: unknown };
        return typeof body.version === 'string' ? body.version : text;
      } catch {
        return text; // a server that answers plain text
      }
    });
  }

  createProxy(config: ProxyConfig): Promise<ProxyState> {
    return this.#call(`POST /proxies (${config.name})`, async (tp) => {
      checked(config.name);
      const proxy = await tp.createProxy({ enabled: true, ...config });
      return { ...proxy.toJson(), toxics: [] };
    });
  }

  /** The proxy with its toxics: the package's Proxy object keeps no toxics, so its HTTP client reads them. */
  getProxy(name: string): Promise<ProxyState> {
    return this.#call(`GET /proxies/${name}`, async (tp) => {
      const { data } = await tp.getApi().get<ProxyState>(`${tp.host}/proxies/${checked(name)}`);
      return { name: data.name, listen: data.listen, upstream: data.upstream, enabled: data.enabled, toxics: data.toxics };
    });
  }

  /** The package's update sends listen and upstream too, so the proxy is read first. */
  setEnabled(name: string, enabled: boolean): Promise<ProxyState> {
    return this.#call(`POST /proxies/${name} (enabled: ${enabled})`, async (tp) => {
      const proxy = await tp.get(checked(name));
      const updated = await proxy.update({ enabled, listen: proxy.listen, upstream: proxy.upstream });
      return { ...updated.toJson(), toxics: [] };
    });
  }

  deleteProxy(name: string): Promise<void> {
    return this.#call(`DELETE /proxies/${name}`, (tp) => handle(tp, name).remove());
  }

  addToxic<T extends ToxicType>(proxy: string, toxic: ToxicSpec<T>): Promise<ToxicState<T>> {
    return this.#call(`POST /proxies/${proxy}/toxics (${toxic.name})`, async (tp) => {
      checked(toxic.name);
      const added = await handle(tp, proxy).addToxic<ToxicAttributes[T]>({ toxicity: 1, ...toxic });
      return { name: added.name, type: added.type as T, stream: added.stream, toxicity: added.toxicity, attributes: added.attributes };
    });
  }

  /** By name, in one request: the package's Toxic object would need the toxic read first. */
  removeToxic(proxy: string, toxic: string): Promise<void> {
    return this.#call(`DELETE /proxies/${proxy}/toxics/${toxic}`, (tp) =>
      tp.getApi().delete(`${handle(tp, proxy).getPath()}/toxics/${checked(toxic)}`),
    );
  }

  /** Enables every proxy and removes every toxic. */
  reset(): Promise<void> {
    return this.#call('POST /reset', (tp) => tp.reset());
  }

  /**
   * One control call under one deadline. Each call gets its own Toxiproxy object whose HTTP
   * client fetches with this call's AbortSignal (the seam: 4.1.0 sends every request through
   * its HttpClient's doFetch, dist/HttpClient.js); test/stack/toxiproxy-control.test.ts fails if that seam goes away.
   */
  async #call<T>(what: string, run: (tp: Toxiproxy) => Promise<T>): Promise<T> {
    const signal = AbortSignal.timeout(this.deadlineMs);
    const tp = new Toxiproxy(this.apiUrl.replace(/\/+$/, ''));
    (tp.getApi() as unknown as FetchSeam).doFetch = (url, init) => fetchWithin(what, this.deadlineMs, url, { ...init, signal });
    try {
      return await run(tp);
    } catch (err) {
      if (err instanceof ToxiproxyCallError || (err instanceof CodestormError && err.code === 'TOXIPROXY_NAME_INVALID')) throw err;
      if (signal.aborted) throw deadline(what, this.deadlineMs, err);
      throw new ToxiproxyCallError('TOXIPROXY_FAILED', `Toxiproxy ${what} failed: ${errorMessage(err)}`, undefined, undefined, err);
    }
  }
}

interface FetchSeam {
  doFetch(url: string, init: RequestInit): Promise<Response>;
}

/** What the package's doFetch does (fetch, throw unless ok), keeping the status and the body. */
async function fetchWithin(what: string, ms: number, url: string, init: RequestInit & { signal: AbortSignal }): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    if (init.signal.aborted) throw deadline(what, ms, err);
    throw new ToxiproxyCallError('TOXIPROXY_UNREACHABLE', `Toxiproxy ${what}: ${errorMessage((err as { cause?: unknown }).cause ?? err)}`, undefined, undefined, err);
  }
  if (response.ok) return response;
  const body = (await response.text().catch(() => '')).trim();
  throw new ToxiproxyCallError('TOXIPROXY_FAILED', `Toxiproxy ${what} answered ${response.status}: ${body}`, response.status, body);
}

function deadline(what: string, ms: number, cause: unknown): ToxiproxyCallError {
  return new ToxiproxyCallError(
    'TOXIPROXY_DEADLINE',
    `Toxiproxy ${what}: no answer within ${ms} ms (the change may still happen)`,
    undefined,
    undefined,
    cause,
  );
}

/** A handle on proxy `name` for calls that need only its path (the package builds it from the name). */
function handle(tp: Toxiproxy, name: string): ProxyHandle {
  return new ProxyHandle(tp, { name: checked(name), listen: '', upstream: '', enabled: true, toxics: [] });
}

function checked(name: string): string {
  if (!TOXIPROXY_NAME.test(name)) {
    throw new CodestormError('TOXIPROXY_NAME_INVALID', `Toxiproxy name "${name}": expected letters, digits and . _ ~ - only`);
  }
  return name;
}
