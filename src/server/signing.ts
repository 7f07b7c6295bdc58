import { createHmac, timingSafeEqual } from 'node:crypto';
import { Memo } from './memo.js';

/**
 * Compact signed strings: session tokens and QR payloads. Format `kind.field.field….mac`, the
 * MAC an HMAC-SHA256 of everything before it, truncated to 128 bits and base64url-encoded.
 * Stateless on purpose: a checkpoint can verify a QR without a database read.
 */
const MAC_BYTES = 16;
/** Exactly what mac() prints: 16 bytes in unpadded base64url. Node's base64url decoder is
 *  lenient (it skips stray characters and ignores the last character's spare bits), so the
 *  MAC is compared as the text we would have printed, never as decoded bytes. */
const MAC_TEXT = /^[A-Za-z0-9_-]{22}$/;
/** How long a check is remembered, at least (a model choice: a spinner's taps come seconds
 *  apart, a resident's next visit hours later). */
export const MEMO_AGE_MS = 60_000;

export class Signer {
  readonly #key: Buffer;
  /** A client shows the same token on every request: its MAC is checked once and remembered.
   *  Only strings that verified are kept, so a forged one always pays for its check; one is
   *  checked again a minute or two after its last check. */
  readonly #verified = new Memo<string, readonly string[]>(100_000, MEMO_AGE_MS);

  constructor(secretHex: string) {
    this.#key = Buffer.from(secretHex, 'hex');
    if (this.#key.length < 16) throw new Error('server secret must be at least 16 bytes of hex');
  }

  mac(text: string): string {
    return createHmac('sha256', this.#key).update(text).digest().subarray(0, MAC_BYTES).toString('base64url');
  }

  sign(fields: readonly (string | number)[]): string {
    const body = fields.join('.');
    return `${body}.${this.mac(body)}`;
  }

  /** The fields of a signed string, or undefined when it was forged, altered or malformed. */
  verify(signed: string, kind: string, fieldCount: number): readonly string[] | undefined {
    const fields = this.#verified.get(signed) ?? this.#check(signed);
    if (fields === undefined || fields.length !== fieldCount || fields[0] !== kind) return undefined;
    return fields;
  }

  #check(signed: string): readonly string[] | undefined {
    const cut = signed.lastIndexOf('.');
    if (cut <= 0) return undefined;
    const body = signed.slice(0, cut);
    const given = signed.slice(cut + 1);
    if (!MAC_TEXT.test(given)) return undefined;
    if (!timingSafeEqual(Buffer.from(given, 'latin1'), Buffer.from(this.mac(body), 'latin1'))) return undefined;
    const fields = Object.freeze(body.split('.'));
    this.#verified.set(signed, fields);
    return fields;
  }
}

export interface SessionClaims {
  readonly residentId: number;
  readonly expiresAt: number;
}

export interface QrClaims {
  readonly residentId: number;
  readonly colour: string;
  readonly version: number;
  readonly expiresAt: number;
}

const naturalNumber = (text: string | undefined): number | undefined => {
  if (text === undefined || !/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
};

export function issueToken(signer: Signer, residentId: number, expiresAt: number): string {
  return signer.sign(['t1', residentId, expiresAt]);
}

export function readToken(signer: Signer, token: string): SessionClaims | undefined {
  const fields = signer.verify(token, 't1', 3);
  const residentId = naturalNumber(fields?.[1]);
  const expiresAt = naturalNumber(fields?.[2]);
  if (residentId === undefined || expiresAt === undefined) return undefined;
  return { residentId, expiresAt };
}

export function issueQr(signer: Signer, claims: QrClaims): string {
  return signer.sign(['q1', claims.residentId, claims.colour, claims.version, claims.expiresAt]);
}

export function readQr(signer: Signer, payload: string): QrClaims | undefined {
  const fields = signer.verify(payload, 'q1', 5);
  const residentId = naturalNumber(fields?.[1]);
  const version = naturalNumber(fields?.[3]);
  const expiresAt = naturalNumber(fields?.[4]);
  const colour = fields?.[2];
  if (residentId === undefined || version === undefined || expiresAt === undefined || colour === undefined) {
    return undefined;
  }
  return { residentId, colour, version, expiresAt };
}

/** A QR payload as issued: its memo key (colour, version, expiry), the signed string, its expiry. */
export interface IssuedQr {
  readonly key: string;
  readonly payload: string;
  readonly expiresAt: number;
}

/**
 * Issues QR payloads. Expiry is rounded up to a step, so that within a step a resident's QR is
 * the same string and is signed once: a spinner refreshed twenty times a second costs one HMAC.
 * The step is never longer than the TTL (nor shorter than 1 s), so a QR lives at most its TTL
 * plus a step.
 */
export class QrIssuer {
  static readonly STEP_S = 10;
  readonly #issued = new Memo<number, IssuedQr>(100_000, QrIssuer.STEP_S * 1000);

  constructor(
    private readonly signer: Signer,
    private readonly ttlS: number,
  ) {}

  issue(residentId: number, colour: string, version: number, nowMs: number): IssuedQr {
    const step = Math.max(1, Math.min(QrIssuer.STEP_S, this.ttlS));
    const expiresAt = Math.ceil((nowMs / 1000 + this.ttlS) / step) * step;
    const key = `${colour}.${version}.${expiresAt}`;
    const known = this.#issued.get(residentId);
    if (known !== undefined && known.key === key) return known;
    const issued = { key, payload: issueQr(this.signer, { residentId, colour, version, expiresAt }), expiresAt };
    this.#issued.set(residentId, issued);
    return issued;
  }
}
