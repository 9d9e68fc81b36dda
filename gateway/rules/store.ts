import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import type { Db, Queryable } from '../storage/db.js';
import type { Rule } from '../../rules/schema.js';
import type { VersionedRule } from '../../rules/engine/types.js';
import { ruleHash } from '../../rules/engine/index.js';
import { validateRule, validateRuleSet, type RuleProblem, type RuleSetResult, type ValidateOptions } from '../../rules/validate.js';
import { jsonDiff, type Change } from './diff.js';

/** One immutable version of a rule (docs/rules.md "Versions"). */
export interface RuleVersion {
  ruleId: string;
  version: number;
  rule: Rule;
  hash: string;
  author: string;
  reason: string;
  createdAtMs: number;
  /** Against the previous version; empty for version 1. */
  diff: Change[];
}

export interface ActiveRule {
  ruleId: string;
  version: number;
  activatedAtMs: number;
  activatedBy: string;
  rule: Rule;
  hash: string;
}

export interface RuleActivation {
  ruleId: string;
  version: number | null;
  action: 'activate' | 'rollback' | 'deactivate';
  atMs: number;
  actor: string;
  reason: string;
}

/** Who asks for a change, and why (both recorded). */
export interface Author {
  name: string;
  reason: string;
}

/** Called inside the write's transaction (audit), so the record commits with the change. */
export type RuleWriteHook = (tx: Queryable, change: { action: string; ruleId: string; before: unknown; after: unknown }) => Promise<void>;

export interface ImportResult {
  created: Array<{ ruleId: string; version: number }>;
  unchanged: string[];
  activated: Array<{ ruleId: string; version: number }>;
  deactivated: string[];
}

export interface RuleStoreContext {
  db: Db;
  clock: Clock;
  /** Passed to validateRuleSet (adapters, notifier names). */
  validation?: ValidateOptions;
}

/** Versions, the active set and the activation log, in `rule_versions`, `rule_active` and `rule_activations`. */
export class RuleStore {
  constructor(private readonly ctx: RuleStoreContext) {}

  /** Checks a set (or one rule) without storing anything; every problem is listed. */
  check(input: unknown): RuleSetResult {
    return validateRuleSet(input, this.ctx.validation);
  }

  /** The running set, for the engine. */
  async activeRules(q: Queryable = this.ctx.db): Promise<VersionedRule[]> {
    return (await this.listActive(q)).map((a) => ({ rule: a.rule, version: a.version }));
  }

  async listActive(q: Queryable = this.ctx.db): Promise<ActiveRule[]> {
    const r = await q.query<ActiveRow>(
      `SELECT a.rule_id, a.version, a.activated_at_ms, a.activated_by, v.body, v.hash
         FROM rule_active a JOIN rule_versions v USING (rule_id, version) ORDER BY a.rule_id`,
    );
    return r.rows.map(toActive);
  }

  async getActive(ruleId: string, q: Queryable = this.ctx.db): Promise<ActiveRule | undefined> {
    const r = await q.query<ActiveRow>(
      `SELECT a.rule_id, a.version, a.activated_at_ms, a.activated_by, v.body, v.hash
         FROM rule_active a JOIN rule_versions v USING (rule_id, version) WHERE a.rule_id = $1`,
      [ruleId],
    );
    const row = r.rows[0];
    return row ? toActive(row) : undefined;
  }

  /** Rule ids with at least one version, with their latest and active version numbers. */
  async listRules(): Promise<Array<{ ruleId: string; latest: number; active: number | null }>> {
    const r = await this.ctx.db.query<{ rule_id: string; latest: number; active: number | null }>(
      `SELECT v.rule_id, max(v.version)::int AS latest, a.version AS active
         FROM rule_versions v LEFT JOIN rule_active a USING (rule_id) GROUP BY v.rule_id, a.version ORDER BY v.rule_id`,
    );
    return r.rows.map((x) => ({ ruleId: x.rule_id, latest: x.latest, active: x.active }));
  }

  async listVersions(ruleId: string): Promise<RuleVersion[]> {
    const r = await this.ctx.db.query<VersionRow>(`SELECT * FROM rule_versions WHERE rule_id = $1 ORDER BY version`, [ruleId]);
    if (r.rows.length === 0) throw notFound(ruleId);
    return r.rows.map(toVersion);
  }

  async getVersion(ruleId: string, version: number, q: Queryable = this.ctx.db): Promise<RuleVersion> {
    const r = await q.query<VersionRow>(`SELECT * FROM rule_versions WHERE rule_id = $1 AND version = $2`, [ruleId, version]);
    const row = r.rows[0];
    if (!row) throw new GatewayError('GW_ERR_NOT_FOUND', `rule "${ruleId}" has no version ${version}`);
    return toVersion(row);
  }

  async latest(ruleId: string, q: Queryable = this.ctx.db): Promise<RuleVersion | undefined> {
    const r = await q.query<VersionRow>(`SELECT * FROM rule_versions WHERE rule_id = $1 ORDER BY version DESC LIMIT 1`, [ruleId]);
    const row = r.rows[0];
    return row ? toVersion(row) : undefined;
  }

  async activations(ruleId: string): Promise<RuleActivation[]> {
    const r = await this.ctx.db.query<ActivationRow>(`SELECT * FROM rule_activations WHERE rule_id = $1 ORDER BY id`, [ruleId]);
    return r.rows.map(toActivation);
  }

  /** The change from one version to another of the same rule. */
  async diff(ruleId: string, from: number, to: number): Promise<Change[]> {
    const [a, b] = await Promise.all([this.getVersion(ruleId, from), this.getVersion(ruleId, to)]);
    return jsonDiff(a.rule, b.rule);
  }

  /** Version 1 of a new rule. GW_ERR_CONFLICT when the id has versions already. */
  async create(input: unknown, by: Author, opts: { activate?: boolean; onWrite?: RuleWriteHook } = {}): Promise<RuleVersion> {
    const rule = this.validOne(input);
    return this.ctx.db.transaction(async (tx) => {
      await lockRule(tx, rule.id);
      if (await this.latest(rule.id, tx)) throw new GatewayError('GW_ERR_CONFLICT', `rule "${rule.id}" exists; update it to make a new version`, [{ field: '/id', message: 'already exists' }]);
      const v = await this.insertVersion(tx, rule, undefined, by);
      await opts.onWrite?.(tx, { action: 'rule.create', ruleId: rule.id, before: null, after: v });
      if (opts.activate) await this.activateIn(tx, rule.id, v.version, by, 'activate', opts.onWrite);
      return v;
    });
  }

  /**
   * A new version of an existing rule. A body identical to the latest version makes no new
   * version (the latest is returned, `created: false`).
   */
  async update(ruleId: string, input: unknown, by: Author, opts: { activate?: boolean; onWrite?: RuleWriteHook } = {}): Promise<{ version: RuleVersion; created: boolean }> {
    const body = isObject(input) && input.id === undefined ? { ...input, id: ruleId } : input;
    const rule = this.validOne(body);
    if (rule.id !== ruleId) throw new GatewayError('GW_ERR_VALIDATION', `the body's id "${rule.id}" is not the rule "${ruleId}" being updated`, [{ field: '/id', message: `must be "${ruleId}"` }]);
    return this.ctx.db.transaction(async (tx) => {
      await lockRule(tx, ruleId);
      const prev = await this.latest(ruleId, tx);
      if (!prev) throw notFound(ruleId);
      const same = prev.hash === ruleHash(rule);
      const v = same ? prev : await this.insertVersion(tx, rule, prev, by);
      if (!same) await opts.onWrite?.(tx, { action: 'rule.update', ruleId, before: prev, after: v });
      if (opts.activate) {
        const active = await this.getActive(ruleId, tx);
        if (active?.version !== v.version) await this.activateIn(tx, ruleId, v.version, by, 'activate', opts.onWrite);
      }
      return { version: v, created: !same };
    });
  }

  async activate(ruleId: string, version: number, by: Author, opts: { onWrite?: RuleWriteHook } = {}): Promise<ActiveRule> {
    return this.ctx.db.transaction(async (tx) => {
      await lockRule(tx, ruleId);
      await this.getVersion(ruleId, version, tx);
      await this.activateIn(tx, ruleId, version, by, 'activate', opts.onWrite);
      return (await this.getActive(ruleId, tx)) as ActiveRule;
    });
  }

  /**
   * Back to the version that was active before the current one. The log is read as a stack:
   * an activation pushes, a rollback pops, so repeated rollbacks walk further back.
   */
  async rollback(ruleId: string, by: Author, opts: { onWrite?: RuleWriteHook } = {}): Promise<ActiveRule> {
    return this.ctx.db.transaction(async (tx) => {
      await lockRule(tx, ruleId);
      const log = (await tx.query<ActivationRow>(`SELECT * FROM rule_activations WHERE rule_id = $1 ORDER BY id`, [ruleId])).rows.map(toActivation);
      const stack: Array<number | null> = [];
      for (const e of log) {
        if (e.action === 'rollback') {
          while (stack.length > 0 && stack[stack.length - 1] !== e.version) stack.pop();
        } else stack.push(e.version);
      }
      const current = (await this.getActive(ruleId, tx))?.version ?? null;
      if (current === null) throw new GatewayError('GW_ERR_CONFLICT', `rule "${ruleId}" is not active; activate a version instead`);
      while (stack.length > 0 && stack[stack.length - 1] === current) stack.pop();
      const target = [...stack].reverse().find((v): v is number => v !== null && v !== current);
      if (target === undefined) throw new GatewayError('GW_ERR_CONFLICT', `rule "${ruleId}" has no earlier active version to roll back to`);
      await this.activateIn(tx, ruleId, target, by, 'rollback', opts.onWrite);
      return (await this.getActive(ruleId, tx)) as ActiveRule;
    });
  }

  async deactivate(ruleId: string, by: Author, opts: { onWrite?: RuleWriteHook } = {}): Promise<void> {
    await this.ctx.db.transaction(async (tx) => {
      await lockRule(tx, ruleId);
      await this.deactivateIn(tx, ruleId, by, opts.onWrite);
    });
  }

  /**
   * Replaces the active set with `input` (`{ rules: [...] }`): new versions for changed rules,
   * activation of every rule in it, deactivation of active rules not in it. An invalid set
   * changes nothing: GW_ERR_VALIDATION lists every problem.
   */
  async importSet(input: unknown, by: Author, opts: { onWrite?: RuleWriteHook } = {}): Promise<ImportResult> {
    const rules = this.validSet(input);
    return this.ctx.db.transaction(async (tx) => {
      await lockRule(tx, '*set*');
      const out: ImportResult = { created: [], unchanged: [], activated: [], deactivated: [] };
      const ids = new Set(rules.map((r) => r.id));
      for (const rule of [...rules].sort((a, b) => (a.id < b.id ? -1 : 1))) {
        await lockRule(tx, rule.id);
        const prev = await this.latest(rule.id, tx);
        let version = prev?.version;
        if (!prev || prev.hash !== ruleHash(rule)) {
          const v = await this.insertVersion(tx, rule, prev, by);
          await opts.onWrite?.(tx, { action: prev ? 'rule.update' : 'rule.create', ruleId: rule.id, before: prev ?? null, after: v });
          out.created.push({ ruleId: rule.id, version: v.version });
          version = v.version;
        } else out.unchanged.push(rule.id);
        const active = await this.getActive(rule.id, tx);
        if (version !== undefined && active?.version !== version) {
          await this.activateIn(tx, rule.id, version, by, 'activate', opts.onWrite);
          out.activated.push({ ruleId: rule.id, version });
        }
      }
      for (const a of await this.listActive(tx)) {
        if (ids.has(a.ruleId)) continue;
        await lockRule(tx, a.ruleId);
        await this.deactivateIn(tx, a.ruleId, by, opts.onWrite);
        out.deactivated.push(a.ruleId);
      }
      return out;
    });
  }

  /**
   * First start: with no version stored at all, version 1 of each rule given (the defaults) is
   * created and activated by `system`. Returns how many were seeded (0 when versions exist).
   */
  async seedIfEmpty(input: unknown): Promise<number> {
    const rules = this.validSet(input);
    return this.ctx.db.transaction(async (tx) => {
      await lockRule(tx, '*set*');
      const n = (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM rule_versions')).rows[0]?.n ?? 0;
      if (n > 0) return 0;
      const by = { name: 'system', reason: 'default rule set' };
      for (const rule of rules) {
        const v = await this.insertVersion(tx, rule, undefined, by);
        await this.activateIn(tx, rule.id, v.version, by, 'activate');
      }
      return rules.length;
    });
  }

  private validSet(input: unknown): Rule[] {
    const res = this.check(input);
    if (!res.ok) throw invalid(res.errors, 'rule set');
    return res.rules;
  }

  /** One rule, with paths relative to the rule. */
  private validOne(input: unknown): Rule {
    const res = validateRule(input, this.ctx.validation);
    if (!res.ok) throw invalid(res.errors, 'rule');
    return res.rule;
  }

  private async insertVersion(tx: Queryable, rule: Rule, prev: RuleVersion | undefined, by: Author): Promise<RuleVersion> {
    const v: RuleVersion = {
      ruleId: rule.id,
      version: (prev?.version ?? 0) + 1,
      rule,
      hash: ruleHash(rule),
      author: by.name,
      reason: by.reason,
      createdAtMs: this.ctx.clock.now(),
      diff: prev ? jsonDiff(prev.rule, rule) : [],
    };
    await tx.query(
      `INSERT INTO rule_versions (rule_id, version, body, hash, author, reason, created_at_ms, diff) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [v.ruleId, v.version, JSON.stringify(rule), v.hash, v.author, v.reason, v.createdAtMs, JSON.stringify(v.diff)],
    );
    return v;
  }

  private async activateIn(tx: Queryable, ruleId: string, version: number, by: Author, action: 'activate' | 'rollback', onWrite?: RuleWriteHook): Promise<void> {
    const before = await this.getActive(ruleId, tx);
    const at = this.ctx.clock.now();
    await tx.query(
      `INSERT INTO rule_active (rule_id, version, activated_at_ms, activated_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (rule_id) DO UPDATE SET version = excluded.version, activated_at_ms = excluded.activated_at_ms, activated_by = excluded.activated_by`,
      [ruleId, version, at, by.name],
    );
    await tx.query(`INSERT INTO rule_activations (rule_id, version, action, at_ms, actor, reason) VALUES ($1, $2, $3, $4, $5, $6)`, [ruleId, version, action, at, by.name, by.reason]);
    await onWrite?.(tx, { action: `rule.${action}`, ruleId, before: before ? { version: before.version } : null, after: { version } });
  }

  private async deactivateIn(tx: Queryable, ruleId: string, by: Author, onWrite?: RuleWriteHook): Promise<void> {
    const before = await this.getActive(ruleId, tx);
    if (!before) throw new GatewayError('GW_ERR_CONFLICT', `rule "${ruleId}" is not active`);
    await tx.query('DELETE FROM rule_active WHERE rule_id = $1', [ruleId]);
    await tx.query(`INSERT INTO rule_activations (rule_id, version, action, at_ms, actor, reason) VALUES ($1, NULL, 'deactivate', $2, $3, $4)`, [ruleId, this.ctx.clock.now(), by.name, by.reason]);
    await onWrite?.(tx, { action: 'rule.deactivate', ruleId, before: { version: before.version }, after: null });
  }
}

/** Serialises writers of one rule (and of the whole set) across processes; released at commit. */
async function lockRule(tx: Queryable, ruleId: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('cityops.rule:' || $1))`, [ruleId]);
}

function invalid(errors: readonly RuleProblem[], what: string): GatewayError {
  const first = errors[0];
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return new GatewayError(
    'GW_ERR_VALIDATION',
    `${what} is invalid: ${first ? `${first.path}: ${first.problem}` : 'unknown problem'}${more}; nothing was changed`,
    errors.map((e) => ({ field: e.path, message: e.problem })),
  );
}

function notFound(ruleId: string): GatewayError {
  return new GatewayError('GW_ERR_NOT_FOUND', `rule "${ruleId}" does not exist`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface ActiveRow {
  rule_id: string;
  version: number;
  activated_at_ms: number;
  activated_by: string;
  body: Rule;
  hash: string;
}

interface VersionRow {
  rule_id: string;
  version: number;
  body: Rule;
  hash: string;
  author: string;
  reason: string;
  created_at_ms: number;
  diff: Change[];
}

interface ActivationRow {
  rule_id: string;
  version: number | null;
  action: RuleActivation['action'];
  at_ms: number;
  actor: string;
  reason: string;
}

const toActive = (r: ActiveRow): ActiveRule => ({ ruleId: r.rule_id, version: r.version, activatedAtMs: r.activated_at_ms, activatedBy: r.activated_by, rule: r.body, hash: r.hash });
const toVersion = (r: VersionRow): RuleVersion => ({ ruleId: r.rule_id, version: r.version, rule: r.body, hash: r.hash, author: r.author, reason: r.reason, createdAtMs: r.created_at_ms, diff: r.diff });
const toActivation = (r: ActivationRow): RuleActivation => ({ ruleId: r.rule_id, version: r.version, action: r.action, atMs: r.at_ms, actor: r.actor, reason: r.reason });
