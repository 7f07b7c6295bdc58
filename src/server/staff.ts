import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { ApiError } from './errors.js';
import { Memo } from './memo.js';
import type { Signer } from './signing.js';

/**
 * Staff credentials: signed tokens, in the same format and under the same per-stack key as
 * residents' sessions (signing.ts), so that checking one costs one remembered-MAC lookup and no
 * database read. A token names its holder's role, the one place it acts for, and an expiry:
 *
 *   s1.<role>.<scope>.<lab>.<expiresAt>.<mac>
 *
 * - `sampler`: scope is a sampling site; `lab` is the lab that site sends its tubes to (a
 *   site's routing is part of its credential: a tube is routed to that lab when it is opened).
 * - `lab`: scope is the lab; it may report only tubes routed to it. `lab` is `-`.
 * - `checkpoint`: scope is the checkpoint (a gate); it may only verify codes. `lab` is `-`.
 *
 * Names are `[A-Za-z0-9_-]`, at most 64 characters: they sit between the format's dots.
 */
export const STAFF_ROLES = ['sampler', 'lab', 'checkpoint'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export interface StaffClaims {
  readonly role: StaffRole;
  readonly scope: string;
  /** A sampler's lab; `-` for the other roles. */
  readonly lab: string;
  readonly expiresAt: number;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const NO_LAB = '-';

export function issueStaffToken(signer: Signer, claims: { role: StaffRole; scope: string; lab?: string; expiresAt: number }): string {
  const lab = claims.lab ?? NO_LAB;
  if (!NAME.test(claims.scope)) throw new Error(`a staff scope must match ${NAME}: "${claims.scope}"`);
  if (claims.role === 'sampler' ? !NAME.test(lab) : lab !== NO_LAB) throw new Error(`a ${claims.role} token's lab is "${lab}"`);
  return signer.sign(['s1', claims.role, claims.scope, lab, claims.expiresAt]);
}

export function readStaffToken(signer: Signer, token: string): StaffClaims | undefined {
  const fields = signer.verify(token, 's1', 5);
  if (fields === undefined) return undefined;
  const [, role, scope, lab, expires] = fields;
  if (!(STAFF_ROLES as readonly (string | undefined)[]).includes(role) || scope === undefined || lab === undefined) return undefined;
  if (expires === undefined || !/^\d{1,15}$/.test(expires)) return undefined;
  return { role: role as StaffRole, scope, lab, expiresAt: Number(expires) };
}

/**
 * Refusals, made once each: a flood of forged or missing credentials costs no allocation
 * beyond the answer (as the shedding errors in app.ts).
 */
export const REFUSED = Object.freeze({
  missing: new ApiError('AUTH_REQUIRED', 'staff endpoints need Authorization: Bearer <staff token>'),
  malformed: new ApiError('AUTH_REQUIRED', 'the Authorization header is not a bearer token'),
  invalid: new ApiError('AUTH_INVALID', 'the staff token was not issued by this server or was altered'),
  expired: new ApiError('AUTH_INVALID', 'the staff token expired'),
  role: Object.freeze({
    sampler: new ApiError('FORBIDDEN_ROLE', 'only a sampler may do this'),
    lab: new ApiError('FORBIDDEN_ROLE', 'only a lab may do this'),
    checkpoint: new ApiError('FORBIDDEN_ROLE', 'only a checkpoint may do this'),
  }),
  site: new ApiError('FORBIDDEN_SCOPE', "the sample is for another site than the sampler's token names"),
  tubeSite: new ApiError('FORBIDDEN_SCOPE', 'the tube was opened at another site'),
  lab: new ApiError('FORBIDDEN_SCOPE', "the result names another lab than the lab's token"),
  tubeLab: new ApiError('FORBIDDEN_SCOPE', 'the tube is routed to another lab'),
  checkpoint: new ApiError('FORBIDDEN_SCOPE', "the scan names another checkpoint than the checkpoint's token"),
});

/**
 * A route's onRequest hook: the request carries a staff token of `role`, or it is refused before
 * its body is read, before it takes a slot, and before anything touches the database.
 */
export function requireStaff(signer: Signer, role: StaffRole) {
  // A site, lab or gate sends the same token all day: its claims are read once.
  const known = new Memo<string, StaffClaims>(10_000);
  return (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const header = request.headers.authorization;
    if (header === undefined || header === '') return done(REFUSED.missing);
    if (!header.startsWith('Bearer ') || header.length > 300) return done(REFUSED.malformed);
    const token = header.slice(7);
    let claims = known.get(token);
    if (claims === undefined) {
      claims = readStaffToken(signer, token);
      if (claims === undefined) return done(REFUSED.invalid);
      known.set(token, claims);
    }
    if (claims.expiresAt * 1000 < Date.now()) return done(REFUSED.expired);
    if (claims.role !== role) return done(REFUSED.role[role]);
    request.staff = claims;
    done();
  };
}

/** The claims requireStaff put on the request (it runs first on every staff route). */
export function staffOf(request: FastifyRequest): StaffClaims {
  const claims = request.staff;
  if (claims === null) throw new Error(`${request.routeOptions.url ?? request.url} has no requireStaff hook`);
  return claims;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by requireStaff on staff routes; null elsewhere. */
    staff: StaffClaims | null;
  }
}
