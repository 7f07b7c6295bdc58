import { errorMessage } from '../errors.js';
import type { ToxicAttributes, ToxicType } from '../stack/toxic-attributes.js';
import type { ToxiproxyControl } from '../stack/toxiproxy-control.js';
import type { networkFault } from './schema.js';
import type { ActiveFault, FaultKind } from './types.js';
import type { z } from 'zod';

/**
 * Network trouble on a Toxiproxy link: a toxic (latency, timeout, reset_peer, bandwidth,
 * slow_close, limit_data, slicer) or `down`, the proxy disabled (not a toxic: new connections
 * are refused and open ones cut). Toxicity is drawn once per connection by Toxiproxy, so on a
 * pooled link it is the share of connections the toxic sits on, not of requests.
 *
 * Undo removes the toxic (or enables the proxy). Toxiproxy's control API can stall under load:
 * every call has a deadline, and an undo that fails falls back to POST /reset, which removes
 * every toxic and enables every proxy. A begin whose call got no answer may still take effect
 * later, so it is undone the same way before the failure is reported.
 */
type Spec = z.output<typeof networkFault>;

/** Attributes each toxic gets unless the scenario says otherwise (Toxiproxy's names and units). */
export const TOXIC_DEFAULTS: { readonly [T in ToxicType]: ToxicAttributes[T] } = {
  latency: { latency: 1_000, jitter: 0 },
  timeout: { timeout: 0 },
  reset_peer: { timeout: 0 },
  bandwidth: { rate: 100 },
  slow_close: { delay: 1_000 },
  limit_data: { bytes: 1_000 },
  slicer: { average_size: 64, size_variation: 32, delay: 10 },
};

export const network: FaultKind<Spec> = {
  kind: 'network',
  needs: () => 'toxiproxy',
  target: (spec) => `link ${spec.link}`,
  async begin(spec, controllers, random): Promise<ActiveFault> {
    const toxiproxy = controllers.toxiproxy!;
    if (spec.toxic === 'down') {
      const undo = (): Promise<Record<string, unknown>> =>
        withReset(toxiproxy, () => toxiproxy.setEnabled(spec.link, true).then(() => ({ link: spec.link, enabled: true })));
      await orUndo(toxiproxy.setEnabled(spec.link, false), undo);
      return { details: { link: spec.link, toxic: 'down' }, undo };
    }
    // Unique on its link while it is on: the fault's own generator (forked by the fault's name),
    // not a counter shared by every run in the process.
    const name = `codestorm-${spec.toxic}-${random.int(0x1_0000_0000).toString(16).padStart(8, '0')}`;
    const toxic = {
      name,
      type: spec.toxic,
      stream: spec.stream ?? 'downstream',
      toxicity: spec.toxicity ?? 1,
      // The scenario schema has checked the names against the toxic's (toxic-attributes.ts).
      attributes: { ...TOXIC_DEFAULTS[spec.toxic], ...spec.attributes } as ToxicAttributes[typeof spec.toxic],
    };
    const undo = (): Promise<Record<string, unknown>> =>
      withReset(toxiproxy, () => toxiproxy.removeToxic(spec.link, name).then(() => ({ link: spec.link, removed: name })));
    await orUndo(toxiproxy.addToxic(spec.link, toxic), undo);
    return {
      details: { link: spec.link, toxic: toxic.type, name, stream: toxic.stream, toxicity: toxic.toxicity, attributes: toxic.attributes },
      undo,
    };
  },
};

/** A begin that hit its deadline may yet land: undo it (best effort) before reporting the failure. */
async function orUndo(begin: Promise<unknown>, undo: () => Promise<unknown>): Promise<void> {
  try {
    await begin;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'TOXIPROXY_DEADLINE') await undo().catch(() => undefined);
    throw err;
  }
}

async function withReset(toxiproxy: ToxiproxyControl, undo: () => Promise<Record<string, unknown>>): Promise<Record<string, unknown>> {
  try {
    return await undo();
  } catch (err) {
    // The control API stalled or the proxy is gone: reset everything rather than leave a fault.
    await toxiproxy.reset();
    return { reset: true, because: errorMessage(err) };
  }
}
