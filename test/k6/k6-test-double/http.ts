import { currentTags, recording } from './recorder.js';

/** k6/http, the part an exported script calls: asyncRequest and expectedStatuses. */
interface ExpectedStatuses {
  readonly expected: readonly (number | { min: number; max: number })[];
}

export function expectedStatuses(...expected: (number | { min: number; max: number })[]): ExpectedStatuses {
  return { expected };
}

function isExpected(callback: ExpectedStatuses | undefined, status: number): boolean {
  if (callback === undefined) return status >= 200 && status < 400;
  return callback.expected.some((e) => (typeof e === 'number' ? e === status : status >= e.min && status <= e.max));
}

function timeoutMs(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const m = /^(\d+)(ms|s)$/.exec(value);
    if (m !== null) return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
  }
  return 60_000;
}

export async function asyncRequest(method: string, url: string, body: string | ArrayBuffer | null, params: Record<string, unknown> = {}) {
  const tags = { ...currentTags(), ...((params['tags'] as Record<string, string> | undefined) ?? {}), method };
  const headers = (params['headers'] as Record<string, string> | undefined) ?? {};
  let status = 0;
  let text: string | null = null;
  let error = '';
  let errorCode = 0;
  const responseHeaders: Record<string, string> = {};
  try {
    const response = await fetch(url, { method, headers, ...(body === null ? {} : { body }), signal: AbortSignal.timeout(timeoutMs(params['timeout'])) });
    status = response.status;
    response.headers.forEach((v, k) => (responseHeaders[k] = v));
    const read = await response.text();
    text = params['responseType'] === 'none' ? null : read;
  } catch (err) {
    error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    errorCode = error.includes('Timeout') ? 1050 : 1000;
    if (errorCode === 1050) error = 'request timeout';
  }
  const failed = status === 0 || !isExpected(params['responseCallback'] as ExpectedStatuses | undefined, status);
  recording.requests.push({ method, url, status, failed, tags: { ...tags, status: String(status) } });
  return { status, body: text, headers: responseHeaders, error, error_code: errorCode };
}

export default { asyncRequest, expectedStatuses };
