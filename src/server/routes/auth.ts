import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';
import { readQr, readToken, type Signer } from '../signing.js';

/** The resident a request's bearer token names, or a 401. */
export function residentOf(request: FastifyRequest, signer: Signer): number {
  const header = request.headers.authorization;
  if (header === undefined || header === '') throw new ApiError('TOKEN_MISSING', 'send Authorization: Bearer <token> from POST /api/v1/session');
  if (!header.startsWith('Bearer ') || header.length > 300) throw new ApiError('TOKEN_INVALID', 'the Authorization header is not a bearer token');
  const claims = readToken(signer, header.slice(7));
  if (claims === undefined) throw new ApiError('TOKEN_INVALID', 'the token was not issued by this server or was altered');
  if (claims.expiresAt * 1000 < Date.now()) throw new ApiError('TOKEN_EXPIRED', 'the session expired: sign in again');
  return claims.residentId;
}

/** The resident a scanned QR payload names, or a 400 when forged, altered or expired. */
export function residentOfQr(payload: string, signer: Signer): { residentId: number; version: number } {
  const claims = readQr(signer, payload);
  if (claims === undefined) throw new ApiError('QR_INVALID', 'the QR code was not issued by this server or was altered');
  if (claims.expiresAt * 1000 < Date.now()) throw new ApiError('QR_EXPIRED', 'the QR code expired: refresh it in the app');
  return { residentId: claims.residentId, version: claims.version };
}
