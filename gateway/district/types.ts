import type { Outbox } from '../outbox/types.js';

/**
 * The district link (DESIGN.md "District link", docs/district-link.md): everything we send the
 * district is an outbox message on the `district` channel whose payload says where it goes under
 * the endpoint's base URL and what it carries. The channel (channel.ts) picks the endpoint
 * (primary, or the backup while the primary is down), signs and POSTs it; the forwarder
 * (forwarder.ts) turns platform events into such messages.
 *
 * Wire contract (both directions, documented in docs/district-link.md):
 * - Headers out: Content-Type, Idempotency-Key (the outbox key), X-CityOps-Timestamp (Unix s),
 *   X-CityOps-Signature (`sha256=` HMAC-SHA256 over "{timestamp}.{body}" with district.secret),
 *   X-CityOps-Kind (the payload kind).
 * - Success is a 2xx whose body, when JSON, does not say otherwise (`ok: false`, `success: false`,
 *   non-zero `errcode`); a 404 or any other status is a failure. The district may answer
 *   `{ ok: true, districtCaseNo: "..." }` to a case: we store its number.
 * - Keys: `case:{id}:opened`, `case:{id}:report:{n}`, `warning:{warningId}:{eventId}`,
 *   `share:{dataset}:{periodStartMs}`. Order key per case (`case:{id}`) and per warning.
 */
export const districtChannelName = 'district';

export type DistrictKind = 'case' | 'case_report' | 'warning' | 'picture' | 'shared';

/** The outbox payload of a district message. */
export interface DistrictPayload extends Record<string, unknown> {
  kind: DistrictKind;
  /** Path under the endpoint base URL: `/cases`, `/cases/42/reports`, `/warnings`, `/shared/devices`. */
  path: string;
  contentType: 'application/json' | 'application/cap+xml';
  /** JSON bodies as an object; CAP as the XML text. */
  body: Record<string, unknown> | string;
  /** The case it belongs to (delivery state per case). */
  caseId?: string;
}

export type EndpointName = 'primary' | 'backup';

export interface EndpointHealth {
  name: EndpointName;
  /** The base URL without credentials. */
  url: string;
  healthy: boolean;
  consecutiveFailures: number;
  lastOkAt: string | null;
  lastFailureAt: string | null;
  lastError: string | null;
}

export interface DistrictLinkStatus {
  configured: boolean;
  /** The endpoint new deliveries go to. */
  active: EndpointName | null;
  endpoints: EndpointHealth[];
  /** When the active endpoint last changed, and why. */
  switchedAt: string | null;
  switchReason: string | null;
}

export interface DistrictLink {
  status(): DistrictLinkStatus;
  /** Registers the `district` channel on the outbox and starts probing. */
  attach(outbox: Outbox): void;
  stop(): Promise<void>;
}
