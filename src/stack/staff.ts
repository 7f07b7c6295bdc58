import { issueStaffToken, type StaffRole } from '../server/staff.js';
import { Signer } from '../server/signing.js';
import type { ServerConfig } from '../server/config.js';

/**
 * Staff credentials for a running reference server, signed with its key as the server itself
 * would check them, valid as long as a session (tokenTtlS). The stack issues them as it issues
 * the residents' prior sessions (prepare.ts): the key never leaves the harness.
 */
export type IssueStaff = (role: StaffRole, scope: string, lab?: string) => string;

export function staffIssuer(config: Pick<ServerConfig, 'secret' | 'tokenTtlS'>, nowMs = Date.now()): IssueStaff {
  const signer = new Signer(config.secret);
  const expiresAt = Math.floor(nowMs / 1000) + config.tokenTtlS;
  return (role, scope, lab) => issueStaffToken(signer, { role, scope, ...(lab === undefined ? {} : { lab }), expiresAt });
}
