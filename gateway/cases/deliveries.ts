import { Type, type Static } from 'typebox';
import type { Queryable } from '../storage/db.js';
import { getMessage, listMessages } from '../outbox/queries.js';
import { Delivery, DeliveryAttempt, type DeliveryWithAttempts } from '../outbox/schema.js';
import type { CaseView } from './types.js';

/**
 * Delivery state of a case (issue 5 §3: per case and endpoint): every outbox message about the
 * case and about its warning, oldest first, with each attempt. District attempts say which
 * endpoint (primary / backup) they went to, where the outbox records it.
 */
export const CaseAttempt = Type.Object({
  ...DeliveryAttempt.properties,
  endpoint: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'District deliveries: the endpoint tried (primary or backup).' })),
});

export const CaseDelivery = Type.Object({
  ...Delivery.properties,
  about: Type.Enum(['case', 'warning'], { description: 'A message about the case itself or about its warning.' }),
  attemptLog: Type.Array(CaseAttempt, { description: 'Every call to the channel, oldest first.' }),
});
export type CaseDelivery = Static<typeof CaseDelivery>;

const Counts = Type.Record(Type.String(), Type.Integer({ minimum: 0 }));
export const CaseDeliveries = Type.Object({
  deliveries: Type.Array(CaseDelivery),
  summary: Type.Object({
    total: Type.Integer({ minimum: 0 }),
    byState: Counts,
    byChannel: Counts,
    deliveredByEndpoint: Type.Record(Type.String(), Type.Integer({ minimum: 0 }), { description: 'Successful attempts per district endpoint.' }),
  }),
});
export type CaseDeliveries = Static<typeof CaseDeliveries>;

/** A case file holds every message, but not without bound. */
const maxPerSubject = 1000;

async function withAttempts(q: Queryable, subject: { type: 'case' | 'warning'; id: string }): Promise<CaseDelivery[]> {
  const list = await listMessages(q, { subject, limit: maxPerSubject });
  const out: CaseDelivery[] = [];
  for (const m of list.reverse()) {
    const full: DeliveryWithAttempts | null = await getMessage(q, m.id);
    if (full) out.push({ ...full, about: subject.type });
  }
  return out;
}

export async function caseDeliveries(q: Queryable, c: CaseView): Promise<CaseDeliveries> {
  const deliveries = [...(await withAttempts(q, { type: 'case', id: c.id })), ...(c.warningId !== null ? await withAttempts(q, { type: 'warning', id: c.warningId }) : [])]
    .sort((a, b) => Number(a.id) - Number(b.id));
  const count = (m: Record<string, number>, k: string) => void (m[k] = (m[k] ?? 0) + 1);
  const byState: Record<string, number> = {};
  const byChannel: Record<string, number> = {};
  const deliveredByEndpoint: Record<string, number> = {};
  for (const d of deliveries) {
    count(byState, d.state);
    count(byChannel, d.channel);
    for (const a of d.attemptLog) if (a.ok && typeof a.endpoint === 'string') count(deliveredByEndpoint, a.endpoint);
  }
  return { deliveries, summary: { total: deliveries.length, byState, byChannel, deliveredByEndpoint } };
}
