import { Value } from 'typebox/value';
import { Rule } from '../../rules/schema.js';
import { parseDuration } from '../../rules/duration.js';
import { GatewayError } from '../core/errors.js';
import type { Queryable } from '../storage/db.js';
import type { ChainRole } from './types.js';
import type { CallPlan, CallPlanBody, CallPlanStep } from './schema.js';

/**
 * 叫应 call plans per warning category (seed 003 §四2: "针对强降雨、雷雨大风、山洪地质灾害、森林防灭火
 * 等不同类别预警信息,要提前编制叫应方案"): who is called, in order, on which channels, and how long
 * each has to acknowledge. Built-in plans ship here; ops edit them through the API.
 */

const phoneAndSms = ['phone-gateway', 'sms-gateway'];
const fullChain = (): CallPlanStep[] => [
  { role: 'duty_officer', channels: phoneAndSms },
  { role: 'leader_on_duty', channels: phoneAndSms },
  { role: 'head', channels: phoneAndSms },
];

/** Seed 003 §四2: orange and above call the departments' and towns' heads by phone and message, "叫应又叫醒". */
const builtin: Record<string, CallPlanBody> = {
  default: { description: 'Duty officer, then the leader on duty, then the head; phone and SMS.', steps: fullChain() },
  rainstorm: { description: '强降雨: duty officer → leader on duty → head (叫应又叫醒: phone calls wake them at night).', steps: fullChain() },
  gale: { description: '雷雨大风: duty officer → leader on duty → head.', steps: fullChain() },
  flash_flood: { description: '山洪: duty officer → leader on duty → head; evacuation decisions need the head.', steps: fullChain() },
  geological: { description: '地质灾害: duty officer → leader on duty → head; evacuation decisions need the head.', steps: fullChain() },
  fire: { description: '森林防灭火 and fire alarms: duty officer → leader on duty → head.', steps: fullChain() },
  gas: { description: 'Gas leaks: duty officer → leader on duty → head.', steps: fullChain() },
  equipment: { description: 'Device and facility faults: duty officer, then the leader on duty; the head is not woken for equipment.', steps: fullChain().slice(0, 2) },
};

/** Categories a plan may be written for: the rule categories, and `default`. */
export function isPlanCategory(category: string): boolean {
  return category === 'default' || Value.Check(Rule.properties.category, category);
}

function assertCategory(category: string): void {
  if (!isPlanCategory(category)) {
    throw new GatewayError('GW_ERR_NOT_FOUND', `"${category}" is not a warning category (a rule category, or default)`);
  }
}

export async function getPlan(q: Queryable, category: string): Promise<CallPlan> {
  assertCategory(category);
  const r = await q.query<{ plan: CallPlanBody }>('SELECT plan FROM duty_call_plans WHERE category = $1', [category]);
  const row = r.rows[0];
  if (row) return { category, ...row.plan, source: 'custom' };
  const own = builtin[category];
  if (own) return { category, ...own, source: 'builtin' };
  // A category without a plan of its own uses the default plan, whichever source it has.
  return category === 'default' ? { category, ...(builtin.default as CallPlanBody), source: 'builtin' } : { ...(await getPlan(q, 'default')), category };
}

/** Every category's plan in force. */
export async function listPlans(q: Queryable): Promise<CallPlan[]> {
  const categories = ['default', ...(Rule.properties.category as unknown as { enum: string[] }).enum];
  const out: CallPlan[] = [];
  for (const c of categories) out.push(await getPlan(q, c));
  return out;
}

export async function putPlan(tx: Queryable, category: string, body: CallPlanBody, nowMs: number): Promise<CallPlan> {
  assertCategory(category);
  body.steps.forEach((s, i) => {
    if (s.deadline !== undefined && parseDuration(s.deadline) < 1000) {
      throw new GatewayError('GW_ERR_VALIDATION', `step ${i}: a deadline under a second cannot be met`, [{ field: `/steps/${i}/deadline`, message: 'must be at least 1s' }]);
    }
  });
  await tx.query(
    `INSERT INTO duty_call_plans (category, plan, updated_at) VALUES ($1, $2, $3)
     ON CONFLICT (category) DO UPDATE SET plan = EXCLUDED.plan, updated_at = EXCLUDED.updated_at`,
    [category, JSON.stringify(body), new Date(nowMs).toISOString()],
  );
  return { category, ...body, source: 'custom' };
}

/** Back to the built-in plan; returns whether there was an edited one. */
export async function resetPlan(tx: Queryable, category: string): Promise<boolean> {
  assertCategory(category);
  const r = await tx.query('DELETE FROM duty_call_plans WHERE category = $1', [category]);
  return r.rowCount > 0;
}

/** One step of a running callout, resolved when it starts. */
export interface ResolvedStep {
  role: ChainRole;
  channels: string[];
  deadlineMs: number;
}

/**
 * The steps of a callout: the rule's own chain when it names one (each role takes its channels
 * and deadline from the plan's step for that role), else the plan's chain. A step without its
 * own deadline gets the request's (the rule's, or config warnings.acknowledgeDeadlineMs).
 */
export function resolveSteps(plan: CallPlan, chain: readonly ChainRole[], deadlineMs: number): ResolvedStep[] {
  const stepFor = (role: ChainRole): CallPlanStep => plan.steps.find((s) => s.role === role) ?? { role, channels: phoneAndSms };
  const steps = chain.length > 0 ? chain.map(stepFor) : plan.steps;
  return steps.map((s) => ({ role: s.role, channels: s.channels, deadlineMs: s.deadline !== undefined ? parseDuration(s.deadline) : deadlineMs }));
}
