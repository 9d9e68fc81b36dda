import { Type } from 'typebox';
import type { AreaPlugin } from '../http/app.js';
import { ErrorBody } from '../http/errors.js';
import { roles } from '../auth/roles.js';
import { GatewayError } from '../core/errors.js';
import { SilenceInput, SilenceView } from './schema.js';
import { createSilence, deleteSilence, getSilence, listSilences, silenceView } from './silences.js';

const IdParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,19}$', description: 'Silence id.' }) });
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

/** Silences (`/api/v1/silences`): maintenance windows during which matching warnings are recorded but not sent. */
export const silenceRoutes: AreaPlugin = async (app, { services }) => {
  const { db, clock, audit } = services;

  app.get('/', {
    config: roles('ops', 'district', 'viewer'),
    schema: {
      tags: ['silences'],
      summary: 'List silences, newest first (cursor on id)',
      querystring: Type.Object({
        all: Type.Boolean({ default: false, description: 'Also expired and deleted ones; default: pending and active only.' }),
        cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,19}$' })),
        limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
      }),
      response: { 200: Type.Object({ silences: Type.Array(SilenceView), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errors },
    },
  }, async (req) => {
    const now = clock.now();
    const rows = await listSilences(db, { all: req.query.all, limit: req.query.limit, ...(req.query.cursor !== undefined ? { cursor: req.query.cursor } : {}) }, now);
    const last = rows[rows.length - 1];
    return { silences: rows.map((s) => silenceView(s, now)), nextCursor: rows.length === req.query.limit && last ? String(last.id) : null };
  });

  app.get('/:id', {
    config: roles('ops', 'district', 'viewer'),
    schema: { tags: ['silences'], summary: 'One silence', params: IdParams, response: { 200: SilenceView, ...errors } },
  }, async (req) => {
    const s = await getSilence(db, req.params.id);
    if (!s) throw new GatewayError('GW_ERR_NOT_FOUND', `silence ${req.params.id} does not exist`);
    return silenceView(s, clock.now());
  });

  app.post('/', {
    config: roles('ops'),
    schema: { tags: ['silences'], summary: 'Create a silence (the caller is its author; a reason is required)', body: SilenceInput, response: { 201: SilenceView, ...errors } },
  }, async (req, reply) => {
    const now = clock.now();
    const view = await db.transaction(async (tx) => {
      const s = silenceView(await createSilence(tx, req.body, req.principal.name, now), now);
      await audit.record(tx, req, { action: 'silence.create', target: { type: 'silence', id: s.id }, after: s });
      return s;
    });
    return reply.code(201).send(view);
  });

  app.delete('/:id', {
    config: roles('ops'),
    schema: { tags: ['silences'], summary: 'Expire a silence now (it stays listed with all=true)', params: IdParams, response: { 200: SilenceView, ...errors } },
  }, async (req) => {
    const now = clock.now();
    return db.transaction(async (tx) => {
      const before = await getSilence(tx, req.params.id, { forUpdate: true });
      if (!before) throw new GatewayError('GW_ERR_NOT_FOUND', `silence ${req.params.id} does not exist`);
      const after = await deleteSilence(tx, req.params.id, req.principal.name, now);
      if (!after) return silenceView(before, now); // deleted already: nothing changes
      const view = silenceView(after, now);
      await audit.record(tx, req, { action: 'silence.delete', target: { type: 'silence', id: view.id }, before: silenceView(before, now), after: view });
      return view;
    });
  });
};
