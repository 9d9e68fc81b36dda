import type { Config } from '../config/schema.js';
import type { Db } from '../storage/db.js';
import { chinaTime } from '../events/store.js';
import type { Period } from './periods.js';
import type { LinkageReport, PeriodReport, PeriodView } from './schema.js';
import { linkage } from './linkage.js';
import { warningSummary } from './warnings-summary.js';
import { caseSummary, slaSummary } from './cases-summary.js';
import { deviceAvailability } from './availability.js';

/** The reports as JSON (the routes render the same objects as HTML). */

export function periodView(p: Period, nowMs: number): PeriodView {
  return { kind: p.kind, label: p.label, from: chinaTime(p.fromMs), to: chinaTime(p.toMs), complete: p.toMs <= nowMs };
}

/** The monthly linkage report per unit (seed 004 附件二). */
export async function linkageReport(db: Db, config: Pick<Config, 'cases'>, period: Period, nowMs: number): Promise<LinkageReport> {
  const pointsPerMiss = config.cases.sla.pointsPerMiss;
  return { period: periodView(period, nowMs), generatedAt: chinaTime(nowMs), pointsPerMiss, ...(await linkage(db, period, pointsPerMiss)) };
}

/** The weekly, monthly or yearly analysis report (seed 001 四(一)2, S14). */
export async function periodReport(db: Db, config: Pick<Config, 'cases' | 'devices'>, period: Period, nowMs: number): Promise<PeriodReport> {
  const pointsPerMiss = config.cases.sla.pointsPerMiss;
  const [warnings, cases, sla, units, devices] = await Promise.all([
    warningSummary(db, period),
    caseSummary(db, period),
    slaSummary(db, period),
    linkage(db, period, pointsPerMiss),
    deviceAvailability(db, period, nowMs, config.devices.heartbeatMs),
  ]);
  return { period: periodView(period, nowMs), generatedAt: chinaTime(nowMs), warnings, cases, sla, linkage: { pointsPerMiss, ...units }, devices };
}
