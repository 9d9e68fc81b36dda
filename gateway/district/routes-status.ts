import { Type, type Static } from 'typebox';
import type { Queryable } from '../storage/db.js';
import { chinaTime } from '../events/store.js';
import { districtChannelName, type DistrictLinkStatus } from './types.js';

/** `GET /api/v1/district/status`: the link (H-link's DistrictLink.status) and the district messages in the outbox. */

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const EndpointName = Type.Enum(['primary', 'backup']);

export const LinkStatusSchema = Type.Object(
  {
    configured: Type.Boolean({ description: 'district.primaryUrl is set.' }),
    active: Type.Union([EndpointName, Type.Null()], { description: 'The endpoint new deliveries go to.' }),
    endpoints: Type.Array(Type.Object({
      name: EndpointName,
      url: Type.String({ description: 'The base URL without credentials.' }),
      healthy: Type.Boolean(),
      consecutiveFailures: Type.Integer({ minimum: 0 }),
      lastOkAt: Nullable(Type.String()),
      lastFailureAt: Nullable(Type.String()),
      lastError: Nullable(Type.String()),
    })),
    switchedAt: Nullable(Type.String({ description: 'When the active endpoint last changed.' })),
    switchReason: Nullable(Type.String()),
  },
);
// The link's interface (types.ts) and this schema must not drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const linkInStep: Same<Static<typeof LinkStatusSchema>, DistrictLinkStatus> = true;
void linkInStep;

const Count = Type.Integer({ minimum: 0 });

export const MessageCounts = Type.Object({
  pending: Count,
  delivered: Count,
  failed: Count,
  given_up: Type.Integer({ minimum: 0, description: 'Older than district.maxAgeMs without a success: kept, visible and re-sendable (POST /api/v1/deliveries/{id}/retry).' }),
  oldestPendingAt: Type.Union([Type.String(), Type.Null()], { description: 'When the oldest message still waiting was queued (+08:00).' }),
  oldestPendingAgeMs: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
}, { description: 'District messages (outbox channel `district`) by delivery state.' });
export type MessageCounts = Static<typeof MessageCounts>;

export const DistrictStatus = Type.Object({ link: LinkStatusSchema, messages: MessageCounts });

export async function districtMessageCounts(q: Queryable, nowMs: number): Promise<MessageCounts> {
  const r = await q.query<{ state: string; n: string; oldest: string | null }>(
    `SELECT state, count(*)::text AS n, min(created_at_ms)::text AS oldest FROM outbox WHERE channel = $1 GROUP BY state`,
    [districtChannelName],
  );
  const n = (state: string) => Number(r.rows.find((x) => x.state === state)?.n ?? 0);
  const oldest = r.rows.find((x) => x.state === 'pending')?.oldest;
  const oldestMs = oldest === null || oldest === undefined ? null : Number(oldest);
  return {
    pending: n('pending'), delivered: n('delivered'), failed: n('failed'), given_up: n('given_up'),
    oldestPendingAt: oldestMs === null ? null : chinaTime(oldestMs),
    oldestPendingAgeMs: oldestMs === null ? null : Math.max(0, nowMs - oldestMs),
  };
}
