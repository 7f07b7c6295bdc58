import { createIdentityGenerator } from './identity/generator.js';

/**
 * One resident's morning, walked through every endpoint of the reference server once: sign in,
 * show the code, be sampled (by scan, and a neighbour by typed ID number), the tube comes back
 * positive, the code turns yellow, a metro gate sees it. Used by `npm run demo` and as a smoke
 * check; each step says what it expected and what it got.
 */
export interface CheckStep {
  readonly name: string;
  readonly ok: boolean;
  readonly status: number;
  readonly ms: number;
  readonly detail: string;
}

interface Population {
  readonly seed: number;
  readonly residents: number;
}

export async function selfCheck(baseUrl: string, population: Population, report: (step: CheckStep) => void = () => {}): Promise<CheckStep[]> {
  const people = createIdentityGenerator({ seed: population.seed, population: population.residents });
  const alice = people.identity(0);
  const neighbour = people.identity(Math.min(1, population.residents - 1));
  const tube = `SELF-${Date.now().toString(36).toUpperCase()}`;
  const steps: CheckStep[] = [];
  let token = '';
  let qr = '';

  const step = async (
    name: string,
    method: string,
    path: string,
    body: unknown,
    expect: (status: number, json: Record<string, unknown>) => string | undefined,
  ): Promise<Record<string, unknown>> => {
    const started = performance.now();
    let status = 0;
    let json: Record<string, unknown> = {};
    let problem: string | undefined;
    try {
      const response = await fetch(new URL(path, baseUrl), {
        method,
        signal: AbortSignal.timeout(10_000),
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token === '' ? {} : { authorization: `Bearer ${token}` }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      status = response.status;
      json = (await response.json()) as Record<string, unknown>;
      problem = expect(status, json);
    } catch (err) {
      problem = err instanceof Error ? err.message : String(err);
    }
    const result: CheckStep = {
      name,
      ok: problem === undefined,
      status,
      ms: Math.round(performance.now() - started),
      detail: problem ?? summarise(json),
    };
    steps.push(result);
    report(result);
    return json;
  };

  await step('ready', 'GET', '/readyz', undefined, (s) => (s === 200 ? undefined : `expected 200, got ${s}`));
  const session = await step('sign in', 'POST', '/api/v1/session', { idNumber: alice.idNumber, phone: alice.phone }, (s, j) =>
    s === 201 && typeof j['token'] === 'string' ? undefined : `expected 201 with a token, got ${s}`,
  );
  token = typeof session['token'] === 'string' ? session['token'] : '';
  const code = await step('show my code', 'GET', '/api/v1/code', undefined, (s, j) =>
    s === 200 && j['colour'] === 'green' ? undefined : `expected 200 green, got ${s} ${String(j['colour'])}`,
  );
  qr = String((code['qr'] as { payload?: string } | undefined)?.payload ?? '');
  await step('sampled by scan', 'POST', '/api/v1/samples/scan', { tube, site: 'self-check site', table: 1, qr }, (s) =>
    s === 201 ? undefined : `expected 201, got ${s}`,
  );
  await step('neighbour sampled by typed ID', 'POST', '/api/v1/samples/manual', { tube, site: 'self-check site', table: 1, idNumber: neighbour.idNumber }, (s) =>
    s === 201 || s === 200 ? undefined : `expected 201, got ${s}`,
  );
  await step('lab reports the tube positive', 'POST', '/api/v1/lab/results', { tube, result: 'positive', lab: 'self-check lab' }, (s, j) =>
    s === 200 && Number(j['codesChanged']) >= 1 ? undefined : `expected 200 with changed codes, got ${s}`,
  );
  await step('my code turned yellow', 'GET', '/api/v1/code', undefined, (s, j) =>
    s === 200 && j['colour'] === 'yellow' ? undefined : `expected yellow, got ${s} ${String(j['colour'])}`,
  );
  await step('metro gate sees yellow on the old QR', 'POST', '/api/v1/checkpoints/verify', { qr, checkpoint: 'metro line 2', kind: 'metro' }, (s, j) =>
    s === 200 && j['colour'] === 'yellow' && j['outdatedQr'] === true ? undefined : `expected yellow and outdatedQr, got ${s} ${String(j['colour'])}`,
  );
  const forged = qr.replace(/\.(green|yellow|red)\./, '.red.') === qr ? `${qr}x` : qr.replace(/\.(green|yellow|red)\./, '.red.');
  await step('a forged QR is refused', 'POST', '/api/v1/checkpoints/verify', { qr: forged, checkpoint: 'hospital gate', kind: 'hospital' }, (s, j) =>
    s === 400 && (j['error'] as { code?: string } | undefined)?.code === 'QR_INVALID' ? undefined : `expected 400 QR_INVALID, got ${s}`,
  );
  return steps;
}

function summarise(json: Record<string, unknown>): string {
  const { qr: _qr, token: _token, ...rest } = json;
  return JSON.stringify(rest).slice(0, 120);
}
