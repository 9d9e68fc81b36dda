import type { Clock } from '../../gateway/core/clock.js';
import { signatureHeader, timestampHeader } from '../../gateway/outbox/signature.js';
import type { IncomingRequest, Reply, RequestHandler } from './endpoint.js';
import type { DeliveryStore } from './store.js';
import type { EndpointName } from './types.js';
import { signatureValid } from './verify.js';
import { Refusal, checkHeaders, matchRoute, parseDelivery } from './wire.js';

export interface ReceiverOptions {
  secret: string;
  toleranceMs: number;
  maxBodyBytes: number;
  maxPictureBytes: number;
  keepBodies: boolean;
  strict: boolean;
  clock: Clock;
  store: DeliveryStore;
  /** The health answer's mode name, per endpoint. */
  modeOf(endpoint: EndpointName): string;
}

function refuse(r: Refusal): Reply {
  return { status: r.status, body: { ok: false, code: r.code, error: r.message } };
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The platform behind both links: health, then route → headers → signature → body → store.
 * Synchronous and allocation-light: it runs for every delivery of the benchmark.
 */
export function deliveryReceiver(o: ReceiverOptions): RequestHandler {
  const c = o.store.counters;
  return {
    limit: (path) => (path.endsWith('/pictures') ? o.maxPictureBytes : o.maxBodyBytes),
    received: () => void c.received++,
    failedByMode: () => void c.failedByMode++,
    tooLarge: () => void c.rejected.other++,
    handle(req: IncomingRequest, endpoint: EndpointName): Reply {
      if (req.path === '/health' && (req.method === 'GET' || req.method === 'HEAD')) {
        return { status: 200, body: { ok: true, endpoint, mode: o.modeOf(endpoint) } };
      }
      const route = req.method === 'POST' ? matchRoute(req.path) : null;
      if (!route) {
        if (req.method === 'POST') c.rejected.other++;
        return refuse(new Refusal(404, 'not_found', `no such district endpoint: ${req.method} ${req.path}`));
      }
      const head = checkHeaders(route, req.headers);
      if (head instanceof Refusal) {
        c.rejected.other++;
        return refuse(head);
      }
      if (o.secret !== '') {
        const ok = signatureValid({
          secret: o.secret, timestamp: one(req.headers[timestampHeader]), signature: one(req.headers[signatureHeader]),
          raw: req.raw, binary: route.binary, nowMs: o.clock.now(), toleranceMs: o.toleranceMs,
        });
        if (!ok) {
          c.rejected.signature++;
          return refuse(new Refusal(401, 'signature', 'X-CityOps-Signature does not match the body and timestamp (or the timestamp is outside the allowed window)'));
        }
      }
      const parsed = parseDelivery(route, req.path, head.key, head.format, req.raw, req.headers, o.strict);
      if (parsed instanceof Refusal) {
        c.rejected.other++;
        return refuse(parsed);
      }
      const ack = o.store.accept({ ...parsed, endpoint, ...(o.keepBodies ? {} : { body: null }) });
      return { status: 200, body: ack.districtCaseNo !== null ? { ok: true, duplicate: ack.duplicate, districtCaseNo: ack.districtCaseNo } : { ok: true, duplicate: ack.duplicate } };
    },
  };
}
