/**
 * JSON schemas for request bodies. Strict: unknown fields are refused, types are not coerced,
 * strings are bounded, and free text may not hold control characters (Postgres refuses NUL).
 */
const text = (max: number) => ({ type: 'string', minLength: 1, maxLength: max, pattern: '^[^\\u0000-\\u001f\\u007f]+$' }) as const;

export const tubeId = { type: 'string', pattern: '^[A-Za-z0-9-]{4,40}$' } as const;
export const idNumber = { type: 'string', minLength: 1, maxLength: 32 } as const;
export const qr = { type: 'string', minLength: 1, maxLength: 256 } as const;
export const site = text(64);
export const tableNo = { type: 'integer', minimum: 1, maximum: 100_000 } as const;

export function body<P extends Record<string, unknown>>(properties: P) {
  return {
    type: 'object',
    additionalProperties: false,
    required: Object.keys(properties),
    properties,
  } as const;
}

export const sessionBody = body({ idNumber, phone: { type: 'string', pattern: '^1[0-9]{10}$' } });
export const scanBody = body({ tube: tubeId, site, table: tableNo, qr });
export const manualBody = body({ tube: tubeId, site, table: tableNo, idNumber });
export const labBody = body({ tube: tubeId, result: { type: 'string', enum: ['negative', 'positive'] }, lab: text(64) });
export const verifyBody = body({
  qr,
  checkpoint: text(64),
  kind: { type: 'string', enum: ['metro', 'hospital', 'shop', 'checkpoint'] },
});

export interface SessionBody { idNumber: string; phone: string }
export interface ScanBody { tube: string; site: string; table: number; qr: string }
export interface ManualBody { tube: string; site: string; table: number; idNumber: string }
export interface LabBody { tube: string; result: 'negative' | 'positive'; lab: string }
export interface VerifyBody { qr: string; checkpoint: string; kind: 'metro' | 'hospital' | 'shop' | 'checkpoint' }
