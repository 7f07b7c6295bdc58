/**
 * Every error the API returns has a stable code and an HTTP status; the body is always
 * {"error":{"code","message"}}. test/server/errors.test.ts checks this list.
 */
export const API_ERRORS = {
  BAD_REQUEST: 400,
  INVALID_JSON: 400,
  ID_NUMBER_INVALID: 400,
  TOKEN_MISSING: 401,
  TOKEN_INVALID: 401,
  TOKEN_EXPIRED: 401,
  CREDENTIALS_REJECTED: 401,
  AUTH_REQUIRED: 401,
  AUTH_INVALID: 401,
  FORBIDDEN_ROLE: 403,
  FORBIDDEN_SCOPE: 403,
  QR_INVALID: 400,
  QR_EXPIRED: 400,
  RESIDENT_NOT_FOUND: 404,
  TUBE_NOT_FOUND: 404,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  TUBE_FULL: 409,
  TUBE_CLOSED: 409,
  RESULT_EXISTS: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  SIGN_IN_LIMITED: 429,
  HEADERS_TOO_LARGE: 431,
  OVERLOADED: 503,
  DEADLINE_EXCEEDED: 503,
  DEPENDENCY_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly statusCode: number;
  /** Seconds, for 503s and 429s: the client should come back after this long. */
  readonly retryAfterS: number | undefined;

  constructor(code: ApiErrorCode, message: string, retryAfterS?: number) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.statusCode = API_ERRORS[code];
    this.retryAfterS = retryAfterS;
  }
}

export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}
