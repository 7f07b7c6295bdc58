/** The load engine's HTTP/1.1 client: see client.ts for the design, outcome.ts for the outcomes. */
export { Client, type ClientOptions, type ClientStats, type HttpResult, type RequestOptions } from './client.js';
export { OUTCOMES, outcomeOfErrorCode, outcomeOfStatus, type Outcome } from './outcome.js';
export type { RequestSpec } from './request-head.js';
export { NEED_MORE, PARSE_ERROR, ResponseParser } from './response-parser.js';
