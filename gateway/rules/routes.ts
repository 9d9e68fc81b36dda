import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import { parseDocument } from 'yaml';
import type { AreaPlugin } from '../http/app.js';
import { ErrorBody } from '../http/errors.js';
import { roles } from '../auth/roles.js';
import { GatewayError } from '../core/errors.js';
import { componentLogger } from '../core/log.js';
import type { Audit } from '../audit/audit.js';
import type { DeviceContext, VersionedRule } from '../../rules/engine/types.js';
import type { RuleStore, RuleWriteHook, Author } from './store.js';
import type { RulesRuntime } from './runtime.js';
import { runBacktest } from './backtest.js';
import { BacktestJobs } from './backtest-jobs.js';
import { ActiveRuleJson, BacktestJobJson, BacktestRequest, ChangeJson, ImportResultJson, RuleVersionJson, ValidateResultJson, WriteBody } from './routes-schema.js';

export interface RuleRoutesOptions {
  store: RuleStore;
  /** Told after every activation change (hot apply); absent when no runtime runs (tests, tools). */
  runtime?: Pick<RulesRuntime, 'apply'>;
  /** Every known device, for backtests (the registry's `all()`). */
  devices: () => Iterable<DeviceContext>;
  jobs?: BacktestJobs;
}

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const IdParams = Type.Object({ id: Type.String() });
const VersionParams = Type.Object({ id: Type.String(), version: Type.Integer({ minimum: 1 }) });
const ReasonBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500, description: 'Why: kept in the activation log.' }) });
const yamlTypes = ['application/yaml', 'application/x-yaml', 'text/yaml'];

/** Rule versions, activation and backtests (`/api/v1/rules`); docs/rules.md "Versions and backtests". */
export function ruleRoutes(opts: RuleRoutesOptions): AreaPlugin {
  return async (app, { services }) => {
    const { store } = opts;
    const jobs = opts.jobs ?? new BacktestJobs({ clock: services.clock, logger: componentLogger(services.logger, 'backtest') });
    const hook = (req: FastifyRequest): RuleWriteHook => auditWrite(services.audit, req);
    const by = (req: FastifyRequest, reason: string): Author => ({ name: req.principal.name, reason });
    const applied = async () => {
      await opts.runtime?.apply();
    };

    // Rule sets may come as YAML (the format rule files are written in).
    app.addContentTypeParser(yamlTypes, { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, parseYaml(String(body)));
      } catch (e) {
        done(e as Error, undefined);
      }
    });

    app.get('/', {
      config: roles('ops', 'viewer'),
      schema: { tags: ['rules'], summary: 'The active rule set: each running rule with its version', response: { 200: Type.Object({ rules: Type.Array(ActiveRuleJson) }), ...errors } },
    }, async () => ({ rules: await store.listActive() }));

    app.put('/', {
      config: roles('ops'),
      schema: {
        tags: ['rules'],
        summary: 'Replace the whole active set (JSON or YAML `{ rules: [...] }`)',
        description: 'Changed rules get a new version; every rule in the set is activated; active rules not in it are deactivated. An invalid set changes nothing: every problem is listed with its path.',
        querystring: Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }),
        body: Type.Unknown(),
        response: { 200: ImportResultJson, ...errors },
      },
    }, async (req) => {
      const { set, reason } = splitReason(req.body, req.query.reason);
      const out = await store.importSet(set, by(req, reason), { onWrite: hook(req) });
      if (out.activated.length + out.deactivated.length > 0) await applied();
      return out;
    });

    app.post('/validate', {
      config: roles('ops', 'viewer'),
      schema: { tags: ['rules'], summary: 'Dry run: check a rule set (JSON or YAML) without storing it', body: Type.Unknown(), response: { 200: ValidateResultJson, ...errors } },
    }, async (req) => {
      const { set } = splitReason(req.body, 'dry run');
      const res = store.check(set);
      return res.ok ? { ok: true, rules: res.rules.length, errors: [] } : { ok: false, rules: 0, errors: res.errors };
    });

    app.post('/', {
      config: roles('ops'),
      schema: { tags: ['rules'], summary: 'Create a rule (version 1); `activate: true` runs it at once', body: WriteBody, response: { 201: RuleVersionJson, ...errors } },
    }, async (req, reply) => {
      const v = await store.create(req.body.rule, by(req, req.body.reason), { activate: req.body.activate, onWrite: hook(req) });
      if (req.body.activate) await applied();
      return reply.code(201).send(v);
    });

    app.post('/backtests', {
      config: roles('ops'),
      schema: {
        tags: ['rules'],
        summary: 'Backtest rule(s) over stored readings',
        description: 'Runs in the background (202 with the job); `?wait=true` waits for the result (small ranges). The candidate is inline `rules` or a stored `ruleId` (+ `version`, default the latest); it is compared with the active versions of the same rules.',
        querystring: Type.Object({ wait: Type.Boolean({ default: false }) }),
        body: BacktestRequest,
        response: { 200: BacktestJobJson, 202: BacktestJobJson, ...errors },
      },
    }, async (req, reply) => {
      const b = req.body;
      const fromMs = Date.parse(b.from);
      const toMs = Date.parse(b.to);
      if (!(toMs > fromMs)) throw new GatewayError('GW_ERR_VALIDATION', '`to` must be after `from`', [{ field: '/to', message: 'must be after from' }]);
      const candidate = await candidates(store, b);
      const compare = b.compare ? await activeOf(store, candidate) : undefined;
      const request = { rules: candidate.map((c) => ({ ruleId: c.rule.id, version: c.version })), from: b.from, to: b.to, devices: b.devices ?? [], blocks: b.blocks ?? [] };
      const job = jobs.submit(request, (onProgress) =>
        runBacktest({ db: services.db, devices: opts.devices(), rules: candidate, ...(compare ? { compare } : {}), fromMs, toMs, ...(b.devices ? { deviceIds: b.devices } : {}), ...(b.blocks ? { blocks: b.blocks } : {}), onProgress }),
      );
      if (!req.query.wait) return reply.code(202).send(job);
      return reply.code(200).send((await jobs.wait(job.id)) ?? job);
    });

    app.get('/backtests/:id', {
      config: roles('ops', 'viewer'),
      schema: { tags: ['rules'], summary: 'A backtest job: status, progress, result', params: IdParams, response: { 200: BacktestJobJson, ...errors } },
    }, async (req) => {
      const job = jobs.get(req.params.id);
      if (!job) throw new GatewayError('GW_ERR_NOT_FOUND', `no backtest "${req.params.id}" (jobs are kept in memory and the newest 20 finished ones only)`);
      return job;
    });

    app.get('/:id', {
      config: roles('ops', 'viewer'),
      schema: {
        tags: ['rules'],
        summary: 'One rule: its latest version and the active one',
        params: IdParams,
        response: { 200: Type.Object({ ruleId: Type.String(), latest: RuleVersionJson, active: Type.Union([ActiveRuleJson, Type.Null()]) }), ...errors },
      },
    }, async (req) => {
      const latest = await store.latest(req.params.id);
      if (!latest) throw new GatewayError('GW_ERR_NOT_FOUND', `rule "${req.params.id}" does not exist`);
      return { ruleId: req.params.id, latest, active: (await store.getActive(req.params.id)) ?? null };
    });

    app.put('/:id', {
      config: roles('ops'),
      schema: { tags: ['rules'], summary: 'Update a rule: a new version (none when the body equals the latest); `activate: true` runs it at once', params: IdParams, body: WriteBody, response: { 200: RuleVersionJson, ...errors } },
    }, async (req) => {
      const out = await store.update(req.params.id, req.body.rule, by(req, req.body.reason), { activate: req.body.activate, onWrite: hook(req) });
      if (req.body.activate) await applied();
      return out.version;
    });

    app.get('/:id/versions', {
      config: roles('ops', 'viewer'),
      schema: { tags: ['rules'], summary: 'Every version of a rule, oldest first', params: IdParams, response: { 200: Type.Object({ versions: Type.Array(RuleVersionJson) }), ...errors } },
    }, async (req) => ({ versions: await store.listVersions(req.params.id) }));

    app.get('/:id/versions/:version', {
      config: roles('ops', 'viewer'),
      schema: { tags: ['rules'], summary: 'One version of a rule', params: VersionParams, response: { 200: RuleVersionJson, ...errors } },
    }, async (req) => store.getVersion(req.params.id, req.params.version));

    app.get('/:id/diff', {
      config: roles('ops', 'viewer'),
      schema: {
        tags: ['rules'],
        summary: 'What changed between two versions (JSON-pointer paths)',
        params: IdParams,
        querystring: Type.Object({ from: Type.Integer({ minimum: 1 }), to: Type.Integer({ minimum: 1 }) }),
        response: { 200: Type.Object({ ruleId: Type.String(), from: Type.Integer(), to: Type.Integer(), changes: Type.Array(ChangeJson) }), ...errors },
      },
    }, async (req) => ({ ruleId: req.params.id, from: req.query.from, to: req.query.to, changes: await store.diff(req.params.id, req.query.from, req.query.to) }));

    app.get('/:id/activations', {
      config: roles('ops', 'viewer'),
      schema: {
        tags: ['rules'],
        summary: 'The activation log of a rule, oldest first',
        params: IdParams,
        response: { 200: Type.Object({ activations: Type.Array(Type.Object({ version: Type.Union([Type.Integer(), Type.Null()]), action: Type.String(), atMs: Type.Integer(), actor: Type.String(), reason: Type.String() })) }), ...errors },
      },
    }, async (req) => ({ activations: await store.activations(req.params.id) }));

    app.post('/:id/activate', {
      config: roles('ops'),
      schema: { tags: ['rules'], summary: 'Run this version of the rule', params: IdParams, body: Type.Object({ version: Type.Integer({ minimum: 1 }), reason: ReasonBody.properties.reason }), response: { 200: ActiveRuleJson, ...errors } },
    }, async (req) => {
      const a = await store.activate(req.params.id, req.body.version, by(req, req.body.reason), { onWrite: hook(req) });
      await applied();
      return a;
    });

    app.post('/:id/rollback', {
      config: roles('ops'),
      schema: { tags: ['rules'], summary: 'Back to the version that was active before the current one', params: IdParams, body: ReasonBody, response: { 200: ActiveRuleJson, ...errors } },
    }, async (req) => {
      const a = await store.rollback(req.params.id, by(req, req.body.reason), { onWrite: hook(req) });
      await applied();
      return a;
    });

    app.post('/:id/deactivate', {
      config: roles('ops'),
      schema: { tags: ['rules'], summary: 'Stop running the rule (its versions stay)', params: IdParams, body: ReasonBody, response: { 204: Type.Null(), ...errors } },
    }, async (req, reply) => {
      await store.deactivate(req.params.id, by(req, req.body.reason), { onWrite: hook(req) });
      await applied();
      return reply.code(204).send(null);
    });
  };
}

async function candidates(store: RuleStore, b: { rules?: unknown[]; ruleId?: string; version?: number }): Promise<VersionedRule[]> {
  if (b.rules) {
    const res = store.check({ rules: b.rules });
    if (!res.ok) throw new GatewayError('GW_ERR_VALIDATION', `the candidate rules are invalid: ${res.errors[0]?.path}: ${res.errors[0]?.problem}`, res.errors.map((e) => ({ field: e.path, message: e.problem })));
    // Version 0: a draft that is not stored.
    return res.rules.map((rule) => ({ rule, version: 0 }));
  }
  if (b.ruleId === undefined) throw new GatewayError('GW_ERR_VALIDATION', 'give the candidate as `rules` (inline) or `ruleId` (+ `version`)', [{ field: '/ruleId', message: 'is required without rules' }]);
  const v = b.version !== undefined ? await store.getVersion(b.ruleId, b.version) : await store.latest(b.ruleId);
  if (!v) throw new GatewayError('GW_ERR_NOT_FOUND', `rule "${b.ruleId}" does not exist`);
  return [{ rule: v.rule, version: v.version }];
}

/** The active versions of the same rules; none active: nothing to compare with. */
async function activeOf(store: RuleStore, rules: readonly VersionedRule[]): Promise<VersionedRule[] | undefined> {
  const ids = new Set(rules.map((r) => r.rule.id));
  const active = (await store.activeRules()).filter((r) => ids.has(r.rule.id));
  return active.length > 0 ? active : undefined;
}

/** A set body is `{ rules, reason? }`; the reason may come in the query instead (YAML bodies). */
function splitReason(body: unknown, queryReason: string | undefined): { set: unknown; reason: string } {
  let set = body;
  let reason = queryReason;
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && 'reason' in body) {
    const { reason: r, ...rest } = body as Record<string, unknown>;
    set = rest;
    if (typeof r === 'string' && r.length > 0) reason ??= r;
  }
  if (Array.isArray(set)) set = { rules: set };
  if (!reason) throw new GatewayError('GW_ERR_VALIDATION', 'say why: `reason` in the body or the query', [{ field: '/reason', message: 'is required' }]);
  return { set, reason };
}

function parseYaml(text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true });
  const err = doc.errors[0];
  if (err) {
    const at = err.linePos?.[0];
    throw new GatewayError('GW_ERR_VALIDATION', `YAML syntax error${at ? ` at line ${at.line}, column ${at.col}` : ''}: ${err.message.split('\n')[0] ?? ''}`, [
      { field: at ? `line ${at.line}:${at.col}` : '/', message: err.message.split('\n')[0] ?? 'syntax error' },
    ]);
  }
  return doc.toJS() as unknown;
}

function auditWrite(audit: Audit, req: FastifyRequest): RuleWriteHook {
  return async (tx, change) => {
    await audit.record(tx, req, { action: change.action, target: { type: 'rule', id: change.ruleId }, before: change.before ?? undefined, after: change.after ?? undefined });
  };
}
