import { Type } from 'typebox';
import type { AreaPlugin } from '../http/app.js';
import { ErrorBody } from '../http/errors.js';
import { roles } from '../auth/roles.js';
import { GatewayError } from '../core/errors.js';
import { getMessage, listMessages, retryMessage } from './queries.js';
import { Delivery, DeliveryQuery, DeliveryWithAttempts } from './schema.js';
import type { Outbox } from './types.js';

const IdParams = Type.Object({ id: Type.String() });
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

/**
 * The deliveries API (mounted at `/api/v1/deliveries`): every outbox message, its attempts,
 * and a way to send one again. `outbox` (optional) is poked after a re-send so it goes at once.
 */
export function outboxRoutes(opts: { outbox?: Pick<Outbox, 'poke'> } = {}): AreaPlugin {
  return async (app, { services }) => {
    const { db, clock, audit } = services;

    app.get('/', {
      config: roles('ops'),
      schema: { tags: ['deliveries'], summary: 'Outbox messages, newest first (cursor on id)', querystring: DeliveryQuery, response: { 200: Type.Object({ deliveries: Type.Array(Delivery), next: Type.Union([Type.String(), Type.Null()]) }), ...errors } },
    }, async (req) => {
      const q = req.query;
      if (q.subjectId !== undefined && q.subjectType === undefined) throw new GatewayError('GW_ERR_VALIDATION', 'subjectId needs subjectType', [{ field: '/subjectId', message: 'only with subjectType' }]);
      const deliveries = await listMessages(db, {
        limit: q.limit,
        ...(q.state !== undefined ? { state: q.state } : {}),
        ...(q.channel !== undefined ? { channel: q.channel } : {}),
        ...(q.subjectType !== undefined ? { subject: { type: q.subjectType, ...(q.subjectId !== undefined ? { id: q.subjectId } : {}) } } : {}),
        ...(q.after !== undefined ? { after: q.after } : {}),
      });
      return { deliveries, next: deliveries.length === q.limit ? (deliveries[deliveries.length - 1]?.id ?? null) : null };
    });

    app.get('/:id', {
      config: roles('ops'),
      schema: { tags: ['deliveries'], summary: 'One outbox message with every attempt', params: IdParams, response: { 200: DeliveryWithAttempts, ...errors } },
    }, async (req) => {
      const found = await getMessage(db, req.params.id);
      if (!found) throw new GatewayError('GW_ERR_NOT_FOUND', `delivery "${req.params.id}" does not exist`);
      return found;
    });

    app.post('/:id/retry', {
      config: roles('ops'),
      schema: {
        tags: ['deliveries'],
        summary: 'Send a failed or given-up message again (or a pending one now)',
        description: 'The message goes back to pending, due now, with a fresh maximum age; a delivered message is refused (409).',
        params: IdParams,
        response: { 200: Delivery, ...errors },
      },
    }, async (req) => {
      const out = await db.transaction(async (tx) => {
        const before = await getMessage(tx, req.params.id);
        const r = await retryMessage(tx, req.params.id, clock.now());
        if (r.outcome === 'queued') {
          await audit.record(tx, req, { action: 'delivery.retry', target: { type: 'delivery', id: r.delivery.id }, before: before ? stateOf(before) : undefined, after: stateOf(r.delivery) });
        }
        return r;
      });
      if (out.outcome === 'not_found') throw new GatewayError('GW_ERR_NOT_FOUND', `delivery "${req.params.id}" does not exist`);
      if (out.outcome === 'delivered') throw new GatewayError('GW_ERR_CONFLICT', `delivery "${req.params.id}" was already delivered; it is not sent twice`);
      opts.outbox?.poke();
      return out.delivery;
    });
  };
}

/** What the audit keeps of a delivery: its state, not its payload (which may hold contacts). */
function stateOf(d: Delivery): Record<string, unknown> {
  return { state: d.state, attempts: d.attempts, channel: d.channel, nextAttemptAt: d.nextAttemptAt, lastError: d.lastError };
}
