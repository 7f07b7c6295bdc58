import { CodestormError, errorMessage } from '../errors.js';

/**
 * A thin client for Toxiproxy's HTTP API. Every call has a timeout: under load the control API
 * can stall (its own handlers give up after 25 s), and a harness must never hang on it.
 */
export interface ProxyConfig {
  readonly name: string;
  readonly listen: string;
  readonly upstream: string;
  readonly enabled?: boolean;
}

export interface Proxy extends Required<ProxyConfig> {
  readonly toxics: readonly Toxic[];
}

export interface Toxic {
  readonly name: string;
  readonly type: string;
  readonly stream: 'upstream' | 'downstream';
  readonly toxicity: number;
  readonly attributes: Readonly<Record<string, number>>;
}

export class ToxiproxyClient {
  constructor(
    readonly apiUrl: string,
    private readonly timeoutMs = 5_000,
  ) {}

  version(): Promise<string> {
    return this.#call('GET', '/version').then((body) => (typeof body === 'string' ? body : JSON.stringify(body)));
  }

  createProxy(config: ProxyConfig): Promise<Proxy> {
    return this.#call('POST', '/proxies', { enabled: true, ...config }) as Promise<Proxy>;
  }

  getProxy(name: string): Promise<Proxy> {
    return this.#call('GET', `/proxies/${encodeURIComponent(name)}`) as Promise<Proxy>;
  }

  setEnabled(name: string, enabled: boolean): Promise<Proxy> {
    return this.#call('POST', `/proxies/${encodeURIComponent(name)}`, { enabled }) as Promise<Proxy>;
  }

  deleteProxy(name: string): Promise<void> {
    return this.#call('DELETE', `/proxies/${encodeURIComponent(name)}`).then(() => undefined);
  }

  addToxic(proxy: string, toxic: Omit<Toxic, 'toxicity'> & { toxicity?: number }): Promise<Toxic> {
    return this.#call('POST', `/proxies/${encodeURIComponent(proxy)}/toxics`, toxic) as Promise<Toxic>;
  }

  removeToxic(proxy: string, toxic: string): Promise<void> {
    return this.#call('DELETE', `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(toxic)}`).then(
      () => undefined,
    );
  }

  /** Enables every proxy and removes every toxic. */
  reset(): Promise<void> {
    return this.#call('POST', '/reset').then(() => undefined);
  }

  async #call(method: string, route: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(new URL(route, this.apiUrl), {
        method,
        signal: AbortSignal.timeout(this.timeoutMs),
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
    } catch (err) {
      throw new CodestormError('TOXIPROXY_UNREACHABLE', `Toxiproxy ${method} ${route} failed: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    const text = await response.text();
    if (!response.ok) {
      throw new CodestormError(
        'TOXIPROXY_ERROR',
        `Toxiproxy ${method} ${route} answered ${response.status}: ${text.trim()}`,
      );
    }
    if (text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
}
