/**
 * What became of one request, as the engine counts it. Every request ends in exactly one of
 * these; the client never throws for a network failure, it classifies it.
 *
 *   ok       2xx or 3xx
 *   4xx      client errors, except 429
 *   5xx      server errors, except 503
 *   shed     429 Too Many Requests or 503 Service Unavailable: the server refused the work
 *   timeout  no complete response within the request's timeout (waiting for a socket included)
 *   refused  the connection was refused (ECONNREFUSED)
 *   reset    ECONNRESET, EPIPE, or the socket closed before the response was complete
 *   other    anything else: a malformed response, an unknown socket error, a closed client
 *
 * The one list of outcomes: the engine counts by it, metrics.ndjson keys its counts and
 * histograms by it in this order (src/run-files/metrics.ts), the analysis reads them back by it.
 */
export const OUTCOMES = Object.freeze(['ok', '4xx', '5xx', 'shed', 'timeout', 'refused', 'reset', 'other'] as const);
export type Outcome = (typeof OUTCOMES)[number];

export function outcomeOfStatus(status: number): Outcome {
  if (status === 429 || status === 503) return 'shed';
  if (status >= 200 && status < 400) return 'ok';
  if (status >= 400 && status < 500) return '4xx';
  if (status >= 500 && status < 600) return '5xx';
  return 'other';
}

/** Classifies a socket error by its code (`err.code` of a Node system error). */
export function outcomeOfErrorCode(code: string | undefined): Outcome {
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return 'reset';
    case 'ETIMEDOUT':
      return 'timeout';
    default:
      return 'other';
  }
}
