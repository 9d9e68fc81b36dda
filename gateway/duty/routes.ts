import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { AreaPlugin } from '../http/app.js';
import { ErrorBody } from '../http/errors.js';
import { roles } from '../auth/roles.js';
import { GatewayError } from '../core/errors.js';
import type { Queryable } from '../storage/db.js';
import type { DutyService } from './callouts.js';
import { loadCallout, readLog, toStatusBody } from './callout-store.js';
import { onDuty } from './calendar.js';
import { maskContact, maskName, seesContacts } from './mask.js';
import { getPlan, listPlans, putPlan, resetPlan } from './plans.js';
import { createShift, deleteShift, getShift, listShifts, replaceShift, whoIsOnDuty } from './roster.js';
import { compactBlock } from './match.js';
import { BlockPrefix, CallPlan, CallPlanBody, CalloutLogEntry, CalloutStatusBody, Shift, ShiftInput, Unit, UnitBody, UnitInput } from './schema.js';
import { createUnit, deleteUnit, getUnit, listUnits, replaceUnit } from './units.js';

const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const WarningParams = Type.Object({ warningId: Type.String({ minLength: 1, maxLength: 200 }) });
const CategoryParams = Type.Object({ category: Type.String({ maxLength: 64 }) });
const BlockQuery = BlockPrefix;
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const readers = roles('ops', 'district', 'viewer');
const writers = roles('ops');
const tags = ['duty'];
const DAY = 86_400_000;

/** Units, roster, call plans and 叫应 callouts (`/api/v1/duty`, docs/duty.md). Contacts are masked for roles other than ops. */
export function dutyRoutes(duty: DutyService): AreaPlugin {
  return async (app, { services }) => {
    const { db, clock, audit } = services;
    /** A write and its audit row in one transaction; the audit target type is the action's area. */
    const write = <T>(req: FastifyRequest, action: string, fn: (tx: Queryable) => Promise<Change<T>>): Promise<T> =>
      db.transaction(async (tx) => {
        const c = await fn(tx);
        await audit.record(tx, req, { action, target: { type: action.split('.')[0] ?? action, id: c.id }, before: c.before, after: c.after });
        return c.out;
      });
    const maskUnit = (u: Unit, req: FastifyRequest): Unit => ({ ...u, contacts: u.contacts.map((c) => maskContact(c, req.principal)) });
    const maskShift = (s: Shift, req: FastifyRequest): Shift => {
      const m = (list: Shift['people']['head']) => list.map((p) => maskContact(p, req.principal));
      return { ...s, people: { duty_officer: m(s.people.duty_officer), leader_on_duty: m(s.people.leader_on_duty), head: m(s.people.head) } };
    };

    // ——— Units (联动单位) ———
    app.get('/units', {
      config: readers,
      schema: { tags, summary: 'Disposal units; with block and kind, those answering for them (most specific first)', querystring: Type.Object({ block: Type.Optional(BlockQuery), kind: Type.Optional(Type.String()), tier: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3)])) }), response: { 200: Type.Object({ units: Type.Array(Unit) }), ...errors } },
    }, async (req) => {
      const { block, ...rest } = req.query;
      return { units: (await listUnits(db, clock.now(), { ...rest, ...(block !== undefined ? { block: compactBlock(block) } : {}) })).map((u) => maskUnit(u, req)) };
    });

    app.post('/units', {
      config: writers,
      schema: { tags, summary: 'Register a unit; without a calendar it gets its tier’s default', body: UnitInput, response: { 201: Unit, ...errors } },
    }, async (req, reply) => reply.code(201).send(await write(req, 'duty_unit.create', async (tx) => created(await createUnit(tx, withBlocks(req.body), clock.now())))));

    app.get('/units/:id', {
      config: readers,
      schema: { tags, summary: 'One unit, with whether it is on duty now', params: IdParams, response: { 200: Unit, ...errors } },
    }, async (req) => maskUnit(found(await getUnit(db, req.params.id, clock.now()), `unit "${req.params.id}"`), req));

    app.put('/units/:id', {
      config: writers,
      schema: { tags, summary: 'Replace a unit', params: IdParams, body: UnitBody, response: { 200: Unit, ...errors } },
    }, async (req) => write(req, 'duty_unit.update', async (tx) => replaced(await replaceUnit(tx, req.params.id, withBlocks(req.body), clock.now()))));

    app.delete('/units/:id', {
      config: writers,
      schema: { tags, summary: 'Remove a unit', params: IdParams, response: { 204: Type.Null(), ...errors } },
    }, async (req, reply) => {
      await write(req, 'duty_unit.delete', async (tx) => deleted(await deleteUnit(tx, req.params.id, clock.now())));
      return reply.code(204).send(null);
    });

    // ——— Roster (值班表) ———
    app.get('/shifts', {
      config: readers,
      schema: { tags, summary: 'Shifts overlapping a time range (default: from a day ago to a week ahead)', querystring: Type.Object({ from: Type.Optional(Type.String({ format: 'date-time' })), to: Type.Optional(Type.String({ format: 'date-time' })), limit: Type.Integer({ minimum: 1, maximum: 1000, default: 200 }) }), response: { 200: Type.Object({ shifts: Type.Array(Shift) }), ...errors } },
    }, async (req) => {
      const now = clock.now();
      const from = req.query.from !== undefined ? Date.parse(req.query.from) : now - DAY;
      const to = req.query.to !== undefined ? Date.parse(req.query.to) : now + 7 * DAY;
      if (from >= to) throw new GatewayError('GW_ERR_VALIDATION', '`from` must be before `to`', [{ field: '/from', message: 'must be before to' }]);
      return { shifts: (await listShifts(db, from, to, req.query.limit)).map((s) => maskShift(s, req)) };
    });

    app.post('/shifts', {
      config: writers,
      schema: { tags, summary: 'Add a shift: two duty officers and a leader on duty at least', body: ShiftInput, response: { 201: Shift, ...errors } },
    }, async (req, reply) => reply.code(201).send(await write(req, 'duty_shift.create', async (tx) => created(await createShift(tx, withBlocks(req.body), clock.now())))));

    app.get('/shifts/:id', {
      config: readers,
      schema: { tags, summary: 'One shift', params: IdParams, response: { 200: Shift, ...errors } },
    }, async (req) => maskShift(found(await getShift(db, req.params.id), `shift "${req.params.id}"`), req));

    app.put('/shifts/:id', {
      config: writers,
      schema: { tags, summary: 'Replace a shift', params: IdParams, body: ShiftInput, response: { 200: Shift, ...errors } },
    }, async (req) => write(req, 'duty_shift.update', async (tx) => replaced(await replaceShift(tx, req.params.id, withBlocks(req.body), clock.now()))));

    app.delete('/shifts/:id', {
      config: writers,
      schema: { tags, summary: 'Remove a shift', params: IdParams, response: { 204: Type.Null(), ...errors } },
    }, async (req, reply) => {
      await write(req, 'duty_shift.delete', async (tx) => deleted(await deleteShift(tx, req.params.id)));
      return reply.code(204).send(null);
    });

    app.get('/on-duty', {
      config: readers,
      schema: {
        tags,
        summary: 'Who is on duty for a block and device kind at a time (default now), and the units answering for it',
        querystring: Type.Object({ block: BlockQuery, kind: Type.Optional(Type.String()), at: Type.Optional(Type.String({ format: 'date-time' })) }),
        response: {
          200: Type.Object({
            at: Type.String(),
            shift: Type.Union([Shift, Type.Null()]),
            matchedPrefix: Type.Union([Type.String({ description: "'' for the default shift (no blocks)." }), Type.Null()]),
            units: Type.Array(Type.Object({ ...Unit.properties, onDutyAt: Type.Boolean() })),
          }),
          ...errors,
        },
      },
    }, async (req) => {
      const atMs = req.query.at !== undefined ? Date.parse(req.query.at) : clock.now();
      const block = compactBlock(req.query.block);
      const found = await whoIsOnDuty(db, block, req.query.kind ?? null, atMs);
      const units = await listUnits(db, clock.now(), { block, ...(req.query.kind !== undefined ? { kind: req.query.kind } : {}) });
      return {
        at: new Date(atMs).toISOString(),
        shift: found ? maskShift(found.shift, req) : null,
        matchedPrefix: found ? found.matchedPrefix : null,
        units: units.map((u) => ({ ...maskUnit(u, req), onDutyAt: onDuty(u, atMs) })),
      };
    });

    // ——— Call plans (叫应方案) ———
    app.get('/call-plans', {
      config: readers,
      schema: { tags, summary: 'The call plan in force for every warning category', response: { 200: Type.Object({ plans: Type.Array(CallPlan) }), ...errors } },
    }, async () => ({ plans: await listPlans(db) }));

    app.get('/call-plans/:category', {
      config: readers,
      schema: { tags, summary: 'The call plan of one category', params: CategoryParams, response: { 200: CallPlan, ...errors } },
    }, async (req) => getPlan(db, req.params.category));

    app.put('/call-plans/:category', {
      config: writers,
      schema: { tags, summary: 'Replace the call plan of a category (running callouts keep theirs)', params: CategoryParams, body: CallPlanBody, response: { 200: CallPlan, ...errors } },
    }, async (req) => write(req, 'duty_call_plan.update', async (tx) => {
      checkChannels(req.body, (name) => duty.hasChannel(name));
      const before = await getPlan(tx, req.params.category);
      const after = await putPlan(tx, req.params.category, req.body, clock.now());
      return { id: req.params.category, before, after, out: after };
    }));

    app.delete('/call-plans/:category', {
      config: writers,
      schema: { tags, summary: 'Back to the built-in plan of a category', params: CategoryParams, response: { 200: CallPlan, ...errors } },
    }, async (req) => write(req, 'duty_call_plan.reset', async (tx) => {
      const before = await getPlan(tx, req.params.category);
      await resetPlan(tx, req.params.category);
      const after = await getPlan(tx, req.params.category);
      return { id: req.params.category, before, after, out: after };
    }));

    // ——— Callouts (叫应) ———
    const statusFor = async (q: Queryable, req: FastifyRequest, warningId: string): Promise<CalloutStatusBody | null> => {
      const c = await loadCallout(q, warningId);
      if (!c) return null;
      const body = toStatusBody(c);
      return { ...body, person: body.person ? maskContact(body.person, req.principal) : null };
    };

    app.get('/callouts/:warningId', {
      config: readers,
      schema: { tags, summary: 'The 叫应 callout of a warning: state, step, who is being called', params: WarningParams, response: { 200: CalloutStatusBody, ...errors } },
    }, async (req) => {
      const s = await statusFor(db, req, req.params.warningId);
      if (!s) throw new GatewayError('GW_ERR_NOT_FOUND', `warning "${req.params.warningId}" has no callout`);
      return s;
    });

    app.get('/callouts/:warningId/log', {
      config: readers,
      schema: { tags, summary: 'Every call, reminder, escalation and acknowledgement of a warning, oldest first', params: WarningParams, response: { 200: Type.Object({ entries: Type.Array(CalloutLogEntry) }), ...errors } },
    }, async (req) => {
      const see = seesContacts(req.principal);
      const entries = await readLog(db, req.params.warningId);
      return { entries: entries.map((e) => (see || e.personName === null ? e : { ...e, personName: maskName(e.personName) })) };
    });

    app.post('/callouts/:warningId/acknowledge', {
      config: roles('platform', 'ops'),
      schema: {
        tags,
        summary: 'Acknowledge a callout (the phone / SMS gateway callback, or ops by hand)',
        description: 'Repeating it is harmless: `acknowledged` is false when the callout was already closed.',
        params: WarningParams,
        body: Type.Object({ personId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), note: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ acknowledged: Type.Boolean(), status: CalloutStatusBody }), ...errors },
      },
    }, async (req) => {
      const out = await duty.acknowledgeNow(req.params.warningId, { actor: req.principal.name, personId: req.body.personId ?? null, note: req.body.note ?? null }, clock.now());
      const status = await statusFor(db, req, req.params.warningId);
      if (!status) throw new GatewayError('GW_ERR_NOT_FOUND', `warning "${req.params.warningId}" has no callout`);
      return { acknowledged: out.acknowledged, status };
    });
  };
}

interface Change<T> {
  id: string;
  before?: unknown;
  after?: unknown;
  out: T;
}

const created = <T extends { id: string }>(after: T): Change<T> => ({ id: after.id, after, out: after });
const replaced = <T extends { id: string }>(c: { before: unknown; after: T }): Change<T> => ({ id: c.after.id, before: c.before, after: c.after, out: c.after });
const deleted = <T extends { id: string }>(before: T): Change<null> => ({ id: before.id, before, out: null });

/** A plan naming a channel that is not configured would call nobody: refused, every such name listed. */
function checkChannels(plan: CallPlanBody, known: (name: string) => boolean): void {
  const details = plan.steps.flatMap((step, i) =>
    step.channels.flatMap((name, j) => (known(name) ? [] : [{ field: `/steps/${i}/channels/${j}`, message: `no notifier "${name}" is configured (config notifiers; built in: sse, mqtt)` }])),
  );
  const first = details[0];
  if (first) throw new GatewayError('GW_ERR_VALIDATION', `call plan is invalid at ${first.field}: ${first.message}${details.length > 1 ? ` (and ${details.length - 1} more)` : ''}`, details);
}

/** Block prefixes as stored: digits only. */
function withBlocks<T extends { blocks: string[] }>(body: T): T {
  return { ...body, blocks: body.blocks.map(compactBlock) };
}

function found<T>(x: T | null, what: string): T {
  if (x === null) throw new GatewayError('GW_ERR_NOT_FOUND', `${what} does not exist`);
  return x;
}
