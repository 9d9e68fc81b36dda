import { createEngine } from '../engine/index.js';
import type { EngineNotice, Transition } from '../engine/types.js';
import { parseDuration } from '../duration.js';
import { gradeOf, type GradeLevel, type Rule } from '../schema.js';
import { formatOffset, type FixtureCase } from './fixture.js';

/**
 * Runs one fixture through the engine with the fixture's own times (as live: each reading is
 * processed at the latest time seen so far, then `advanceTo` the end) and compares the result.
 */

export interface FixtureOutcome {
  transitions: Transition[];
  notices: EngineNotice[];
  active: Array<{ fingerprint: string; grade: GradeLevel }>;
}

export function runFixture(rules: readonly Rule[], c: FixtureCase): FixtureOutcome {
  const devices = new Map(c.devices.map((d) => [d.id, d]));
  const engine = createEngine({ lookup: (id) => devices.get(id), maxLatenessMs: parseDuration(c.fixture.maxLateness) });
  engine.setRules(rules.map((rule) => ({ rule, version: 1 })));
  for (const d of c.devices) engine.watch(d.id, d.lastSeenMs);
  const transitions: Transition[] = [];
  const notices: EngineNotice[] = [];
  let nowMs = c.startMs;
  for (const r of c.readings) {
    nowMs = Math.max(nowMs, r.timeMs);
    const step = engine.process([{ deviceId: r.deviceId, metric: r.metric, timeUs: r.timeMs * 1000, value: r.value, state: r.state, seq: r.seq }], nowMs);
    transitions.push(...step.transitions);
    notices.push(...step.notices);
  }
  const last = engine.advanceTo(Math.max(nowMs, c.endMs));
  transitions.push(...last.transitions);
  notices.push(...last.notices);
  const active = engine.activeGrades().map((a) => ({ fingerprint: a.fingerprint, grade: a.grade }));
  return { transitions, notices, active };
}

/** Lines saying how the outcome differs from what the fixture expects; empty when it matches. */
export function diffFixture(c: FixtureCase, out: FixtureOutcome): string[] {
  const when = (ms: number) => formatOffset(ms - c.startMs);
  const lines: string[] = [];
  const got = out.transitions.map((t) => ({ t, used: false }));
  const missing: string[] = [];
  for (const e of c.transitions) {
    const hit = got.find((g) => !g.used && g.t.fingerprint === e.fingerprint && g.t.to === e.to && g.t.atMs === e.atMs && (e.from === undefined || g.t.from === e.from));
    if (hit) hit.used = true;
    else missing.push(`${e.fingerprint} ${e.from === undefined ? '' : `${name(e.from)} `}→ ${name(e.to)} at ${when(e.atMs)}`);
  }
  const extra = got.filter((g) => !g.used).map(({ t }) => `${t.fingerprint} ${name(t.from)} → ${name(t.to)} at ${when(t.atMs)}`);
  if (missing.length > 0 || extra.length > 0) {
    lines.push('transitions:');
    for (const m of missing) lines.push(`  - ${m}   (expected, not given)`);
    for (const x of extra) lines.push(`  + ${x}   (given, not expected)`);
  }
  if (c.active) {
    const want = new Set(c.active.map((a) => `${a.fingerprint} ${name(a.grade)}`));
    const have = new Set(out.active.map((a) => `${a.fingerprint} ${name(a.grade)}`));
    const gone = [...want].filter((w) => !have.has(w));
    const more = [...have].filter((h) => !want.has(h));
    if (gone.length > 0 || more.length > 0) {
      lines.push(`active at the end (${when(Math.max(c.endMs, ...c.readings.map((r) => r.timeMs)))}):`);
      for (const g of gone) lines.push(`  - ${g}   (expected, not up)`);
      for (const m of more) lines.push(`  + ${m}   (up, not expected)`);
    }
  }
  if (lines.length > 0) {
    lines.push('all transitions given:');
    for (const t of out.transitions) lines.push(`  ${when(t.atMs)} ${t.fingerprint} ${name(t.from)} → ${name(t.to)}: ${t.reason}`);
    if (out.transitions.length === 0) lines.push('  (none)');
    for (const n of out.notices) lines.push(`  notice ${n.type} at ${when(n.atMs)}: ${n.message}`);
  }
  return lines;
}

function name(level: GradeLevel): string {
  return gradeOf(level) ?? 'none';
}
