import { createIdentityGenerator, type IdentityGenerator } from '../../sim/identity/generator.js';
import type { StaffRole } from '../../src/server/staff.js';
import { startStack, type Stack, type StackOptions } from '../../src/stack/stack.js';
import { staffIssuer } from '../../src/stack/staff.js';

/**
 * A real stack for a test file: embedded Postgres, redis-server, Toxiproxy and the reference
 * server as a child process (built from dist/: `npm test` compiles first). Start it in
 * beforeAll and stop it in afterAll.
 */
export interface TestStack {
  readonly stack: Stack;
  readonly people: IdentityGenerator;
  readonly residents: number;
  /** One request; the body is sent as JSON unless it is a string (sent as is). */
  request(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
  /** Signs resident `index` in and returns a bearer token. */
  signIn(index: number): Promise<string>;
  /** A staff credential this stack's server accepts (a sampler's names the lab its site sends to). */
  staff(role: StaffRole, scope: string, lab?: string): string;
  /** The server's Prometheus text, from the primary's 127.0.0.1 listener (all workers). */
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly token?: string;
  readonly headers?: Record<string, string>;
  /** How long to wait for the answer before the request rejects (20 s unless given). */
  readonly timeoutMs?: number;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly json: any;
  readonly text: string;
}

export async function startTestStack(options: Partial<StackOptions> = {}): Promise<TestStack> {
  const residents = options.residents ?? 5_000;
  const seed = options.seed ?? 1234;
  const stack = await startStack({ profile: 'hardened', ...options, residents, seed });
  const people = createIdentityGenerator({ seed, population: residents });
  const request = async (method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(new URL(path, stack.url), {
      method,
      headers,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 20_000),
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, json, text };
  };
  return {
    stack,
    people,
    residents,
    request,
    async signIn(index) {
      const who = people.identity(index);
      const res = await request('POST', '/api/v1/session', { body: { idNumber: who.idNumber, phone: who.phone } });
      if (res.status !== 201) throw new Error(`sign-in of resident ${index} failed: ${res.status} ${res.text}`);
      return res.json.token as string;
    },
    staff: staffIssuer(stack.server.config),
    async metrics() {
      if (stack.metricsUrl === undefined) throw new Error('the stack serves no metrics');
      return (await fetch(stack.metricsUrl, { signal: AbortSignal.timeout(20_000) })).text();
    },
    stop: () => stack.stop(),
  };
}
