import { randomBytes } from 'node:crypto';
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { AreaPlugin } from '../http/app.js';
import { ErrorBody } from '../http/errors.js';
import { roles, type Principal } from '../auth/roles.js';
import { GatewayError } from '../core/errors.js';
import { chinaTime } from '../events/store.js';
import type { EventFeed, NewEvent } from '../events/types.js';
import { getMessage, listMessages } from '../outbox/queries.js';
import { Delivery, DeliveryStateSchema } from '../outbox/schema.js';
import type { Outbox } from '../outbox/types.js';
import type { Queryable } from '../storage/db.js';
import { Subscription, SubscriptionCreated, SubscriptionInput, SubscriptionPatch, SubscriptionQuery, subscriptionChannelName, type SubscriptionPayload } from './schema.js';
import { getSubscription, insertSubscription, listSubscriptions, updateSubscription, type StoredSubscription, type SubscriptionChange } from './store.js';
import { checkSubscriptionUrl } from './url.js';

export interface SubscriptionRouteOptions {
  feed: EventFeed;
  outbox: Pick<Outbox, 'enqueue' | 'poke'>;
}

const IdParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,18}$', description: 'Subscription id.' }) });
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const managers = roles('ops', 'district');

/**
 * Subscriptions (`/api/v1/subscriptions`, docs/subscriptions.md): webhooks for the district
 * centre. A district caller sees and manages only the subscriptions it created; ops and admin
 * see all. Every change emits `subscription.changed` (so every process's matcher reloads, in
 * feed order) and is audited; the secret is never in an answer or the audit log.
 */
export function subscriptionRoutes(opts: SubscriptionRouteOptions): AreaPlugin {
  const { feed, outbox } = opts;
  return async (app, { services }) => {
    const { db, clock, audit } = services;

    /** The subscription if the caller may see it; another district caller's is "not found". */
    async function owned(q: Queryable, req: FastifyRequest, id: string, forUpdate = false): Promise<StoredSubscription> {
      const found = await getSubscription(q, id, { forUpdate });
      if (!found || !mayManage(req.principal, found.owner)) throw new GatewayError('GW_ERR_NOT_FOUND', `subscription ${id} does not exist`);
      return found;
    }

    app.post('/', {
      config: managers,
      schema: {
        tags: ['subscriptions'],
        summary: 'Subscribe a URL to events (webhook)',
        description: 'Events after this one that pass the filter are POSTed, signed with the secret. Without a secret the gateway makes one and returns it in this answer only.',
        body: SubscriptionInput,
        response: { 201: SubscriptionCreated, ...errors },
      },
    }, async (req, reply) => {
      const url = checkSubscriptionUrl(req.body.url);
      const made = req.body.secret === undefined ? randomBytes(32).toString('hex') : undefined;
      const p = req.principal;
      const created = await feed.transaction(async (tx, emit) => {
        const nowMs = clock.now();
        const inserted = await insertSubscription(tx, { owner: ownerOf(p), ownerName: p.name, url, secret: req.body.secret ?? made ?? '', filter: req.body.filter ?? {}, description: req.body.description ?? '' }, nowMs);
        const event = await emit(changed(inserted.view.id, 'created'));
        const s = await updateSubscription(tx, inserted.view.id, { fromEventId: event.id }, nowMs);
        await audit.record(tx, req, { action: 'subscription.create', target: { type: 'subscription', id: s.view.id }, after: s.view });
        return s.view;
      });
      return reply.code(201).send({ subscription: created, ...(made !== undefined ? { secret: made } : {}) });
    });

    app.get('/', {
      config: managers,
      schema: { tags: ['subscriptions'], summary: 'List subscriptions (a district caller: its own), oldest first', querystring: SubscriptionQuery, response: { 200: Type.Object({ subscriptions: Type.Array(Subscription), next: Type.Union([Type.String(), Type.Null()]) }), ...errors } },
    }, async (req) => {
      const q = req.query;
      const mine = req.principal.role === 'district' ? { owner: ownerOf(req.principal) } : {};
      const subscriptions = await listSubscriptions(db, { ...mine, limit: q.limit, ...(q.enabled !== undefined ? { enabled: q.enabled } : {}), ...(q.after !== undefined ? { after: q.after } : {}) });
      return { subscriptions, next: subscriptions.length === q.limit ? (subscriptions.at(-1)?.id ?? null) : null };
    });

    app.get('/:id', {
      config: managers,
      schema: { tags: ['subscriptions'], summary: 'One subscription (never its secret)', params: IdParams, response: { 200: Subscription, ...errors } },
    }, async (req) => (await owned(db, req, req.params.id)).view);

    app.patch('/:id', {
      config: managers,
      schema: {
        tags: ['subscriptions'],
        summary: 'Change a subscription: url, filter, description, a new secret (rotation), enabled',
        description: 'A new filter applies from about the event of the change on; a new secret or url from the next delivery attempt.',
        params: IdParams,
        body: SubscriptionPatch,
        response: { 200: Subscription, ...errors },
      },
    }, async (req) => {
      const b = req.body;
      const change: SubscriptionChange = {
        ...(b.url !== undefined ? { url: checkSubscriptionUrl(b.url) } : {}),
        ...(b.secret !== undefined ? { secret: b.secret } : {}),
        ...(b.filter !== undefined ? { filter: b.filter } : {}),
        ...(b.description !== undefined ? { description: b.description } : {}),
        ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
      };
      return applyChange(req, req.params.id, change, b.enabled === false ? 'subscription.disable' : 'subscription.update');
    });

    app.delete('/:id', {
      config: managers,
      schema: {
        tags: ['subscriptions'],
        summary: 'Delete (disable) a subscription',
        description: 'Soft: it stays, disabled, with its deliveries. Nothing new is queued for it, and its pending deliveries fail (not sent) at their next attempt; PATCH enabled: true turns it back on.',
        params: IdParams,
        response: { 200: Subscription, ...errors },
      },
    }, async (req) => applyChange(req, req.params.id, { enabled: false }, 'subscription.disable'));

    app.post('/:id/test', {
      config: managers,
      schema: {
        tags: ['subscriptions'],
        summary: 'Send a test event (`subscription.test`) to the subscription now',
        description: 'Queued like any delivery (signed, retried); follow it in the answer or in /{id}/deliveries.',
        params: IdParams,
        response: { 202: Delivery, ...errors },
      },
    }, async (req, reply) => {
      const delivery = await feed.transaction(async (tx) => {
        const s = await owned(tx, req, req.params.id);
        if (!s.view.enabled) throw new GatewayError('GW_ERR_CONFLICT', `subscription ${s.view.id} is disabled: enable it before testing`);
        const nowMs = clock.now();
        const payload: SubscriptionPayload = {
          subscriptionId: s.view.id,
          event: { id: '0', type: 'subscription.test', at: chinaTime(nowMs), subject: { type: 'subscription', id: s.view.id }, blockCode: null, grade: null, exercise: true, data: { message: 'CityOps Gateway subscription test' } },
        };
        // No order key: a test goes at once, even behind a backlog.
        const queued = await outbox.enqueue(tx, { channel: subscriptionChannelName, key: `sub:${s.view.id}:test:${nowMs}:${randomBytes(4).toString('hex')}`, subject: { type: 'subscription', id: s.view.id }, payload });
        await audit.record(tx, req, { action: 'subscription.test', target: { type: 'subscription', id: s.view.id }, after: { delivery: queued.id } });
        return getMessage(tx, queued.id);
      });
      outbox.poke();
      if (!delivery) throw new GatewayError('GW_ERR_INTERNAL', 'the test delivery was queued but cannot be read back');
      const { attemptLog: _log, ...view } = delivery;
      return reply.code(202).send(view);
    });

    app.get('/:id/deliveries', {
      config: managers,
      schema: {
        tags: ['subscriptions'],
        summary: 'Delivery state of a subscription: its outbox messages, newest first',
        params: IdParams,
        querystring: Type.Object({
          state: Type.Optional(DeliveryStateSchema),
          after: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$', description: 'Cursor: `next` of the previous page.' })),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        }),
        response: { 200: Type.Object({ deliveries: Type.Array(Delivery), next: Type.Union([Type.String(), Type.Null()]) }), ...errors },
      },
    }, async (req) => {
      const s = await owned(db, req, req.params.id);
      const q = req.query;
      const deliveries = await listMessages(db, {
        subject: { type: 'subscription', id: s.view.id }, channel: subscriptionChannelName, limit: q.limit,
        ...(q.state !== undefined ? { state: q.state } : {}), ...(q.after !== undefined ? { after: q.after } : {}),
      });
      return { deliveries, next: deliveries.length === q.limit ? (deliveries.at(-1)?.id ?? null) : null };
    });

    async function applyChange(req: FastifyRequest, id: string, change: SubscriptionChange, action: string) {
      return feed.transaction(async (tx, emit) => {
        const before = await owned(tx, req, id, true);
        const after = await updateSubscription(tx, id, change, clock.now());
        await emit(changed(id, change.enabled === false ? 'disabled' : 'updated'));
        await audit.record(tx, req, { action, target: { type: 'subscription', id }, before: before.view, after: { ...after.view, ...(change.secret !== undefined ? { secretRotated: true } : {}) } });
        return after.view;
      });
    }
  };
}

/** Who owns what a principal creates: `user:{id}` or `apikey:{id}`. */
export function ownerOf(p: Principal): string {
  return `${p.kind}:${p.id}`;
}

function mayManage(p: Principal, owner: string): boolean {
  return p.role !== 'district' || ownerOf(p) === owner;
}

/** Announces a change to every process's matcher; ids only (the feed is readable by viewers). */
function changed(id: string, change: 'created' | 'updated' | 'disabled'): NewEvent {
  return { type: 'subscription.changed', subject: { type: 'subscription', id }, data: { subscriptionId: id, change } };
}
