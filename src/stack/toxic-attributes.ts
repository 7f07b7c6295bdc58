import type { Bandwidth, Latency, Slicer, Slowclose, Timeout } from 'toxiproxy-node-client';

/**
 * Each toxic's attributes, in Toxiproxy's names and units, typed per toxic. A leaf module: the
 * scenario schema checks names against it without loading the client. Toxiproxy ignores an
 * attribute it does not know, so a misspelt one would silently leave the toxic at its default.
 */
export interface ResetPeer {
  /** ms before the connection is reset; 0 resets at once. */
  readonly timeout: number;
}
export interface LimitData {
  /** Bytes let through before the connection is closed. */
  readonly bytes: number;
}

export interface ToxicAttributes {
  readonly latency: Latency;
  readonly timeout: Timeout;
  readonly reset_peer: ResetPeer;
  readonly bandwidth: Bandwidth;
  readonly slow_close: Slowclose;
  readonly limit_data: LimitData;
  readonly slicer: Slicer;
}

export type ToxicType = keyof ToxicAttributes;

/** The attribute names each toxic takes (Toxiproxy 2.12's toxics/*.go), for checking input. */
export const TOXIC_ATTRIBUTE_NAMES = {
  latency: ['latency', 'jitter'],
  timeout: ['timeout'],
  reset_peer: ['timeout'],
  bandwidth: ['rate'],
  slow_close: ['delay'],
  limit_data: ['bytes'],
  slicer: ['average_size', 'size_variation', 'delay'],
} as const satisfies { readonly [K in ToxicType]: readonly (keyof ToxicAttributes[K])[] };

/**
 * Proxy and toxic names go into the API's paths as they are (toxiproxy-node-client 4.1.0 does
 * not encode them, and Toxiproxy cannot route an encoded "/" anyway): only URL-safe names.
 */
export const TOXIPROXY_NAME = /^[A-Za-z0-9._~-]+$/;
