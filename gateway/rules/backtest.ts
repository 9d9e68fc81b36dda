import type { Db } from '../storage/db.js';
import { grades, gradeLevel, gradeOf, type Grade, type Rule } from '../../rules/schema.js';
import type { DeviceContext, StepResult, Transition, VersionedRule } from '../../rules/engine/types.js';
import { createEngine, metricsReadBy } from '../../rules/engine/index.js';
import { lastSeenBefore, streamReadings } from './backtest-stream.js';

/**
 * Backtests (docs/rules.md "Backtest"): stored readings replayed through a fresh engine — the
 * same code as live evaluation — to see which warnings a rule version would have raised, and
 * how that differs from the version running now.
 */
export interface BacktestOptions {
  db: Db;
  /** Every known device (the registry's, or the devices table for the CLI). */
  devices: Iterable<DeviceContext>;
  /** The candidate rule(s). */
  rules: readonly VersionedRule[];
  /** What to compare against, usually the active versions of the same rules. */
  compare?: readonly VersionedRule[];
  fromMs: number;
  toMs: number;
  /** Only these device ids. */
  deviceIds?: readonly string[];
  /** Only devices whose block code starts with one of these. */
  blocks?: readonly string[];
  pageRows?: number;
  onProgress?: (p: BacktestProgress) => void;
}

export interface BacktestProgress {
  readings: number;
  /** Extrapolated from how much of the time range is done; exact at the end. */
  estimatedTotal: number | null;
  throughMs: number;
}

export interface TimelineEntry {
  atMs: number;
  from: Grade | null;
  to: Grade | null;
  reason: string;
}

/** One warning episode: raised, graded up and down, maybe cleared. */
export interface BacktestWarning {
  fingerprint: string;
  ruleId: string;
  ruleVersion: number;
  subject: { type: 'device' | 'block'; id: string };
  blockCode: string;
  raisedAtMs: number;
  clearedAtMs: number | null;
  raised: Grade;
  peak: Grade;
  timeline: TimelineEntry[];
}

export type GradeCounts = Record<Grade, number>;

export interface BacktestRun {
  warnings: BacktestWarning[];
  transitions: number;
  /** Episodes by the grade they were raised at, and by the highest grade they reached. */
  counts: { raised: GradeCounts; peak: GradeCounts };
}

export interface BacktestResult {
  fromMs: number;
  toMs: number;
  readings: number;
  devices: number;
  candidate: BacktestRun;
  compare: BacktestRun | null;
  /** Per peak grade: episodes only the candidate raises (`more`) and only the compared version raises (`fewer`). */
  diff: Record<Grade, { more: BacktestWarning[]; fewer: BacktestWarning[] }> | null;
  summary: string;
}

/** Readings are stored already: none is "late" in a backtest. */
const NO_LATENESS = Number.MAX_SAFE_INTEGER / 4;

export async function runBacktest(o: BacktestOptions): Promise<BacktestResult> {
  const all = [...o.devices];
  const byId = new Map(all.map((d) => [d.id, d]));
  const ruleSet = [...o.rules, ...(o.compare ?? [])].map((r) => r.rule);
  const inScope = all.filter((d) => passesFilters(d, o) && ruleSet.some((r) => matchesScope(r, d)));
  const ids = inScope.map((d) => d.id);
  const lookup = (id: string) => byId.get(id);

  const runs = [o.rules, ...(o.compare ? [o.compare] : [])].map((rules) => {
    const engine = createEngine({ lookup, maxLatenessMs: NO_LATENESS });
    engine.setRules(rules);
    return { engine, collector: new EpisodeCollector() };
  });
  const seen = await lastSeenBefore(o.db, ids, o.fromMs);
  for (const { engine } of runs) for (const id of ids) engine.watch(id, seen.get(id) ?? o.fromMs);

  let done = 0;
  const metrics = metricsReadBy(ruleSet);
  for await (const page of streamReadings({ db: o.db, deviceIds: ids, metrics, fromMs: o.fromMs, toMs: o.toMs, ...(o.pageRows !== undefined ? { pageRows: o.pageRows } : {}) })) {
    const rs = page.readings;
    if (rs.length > 0) {
      const nowMs = Math.floor((rs[rs.length - 1]?.timeUs ?? 0) / 1000);
      for (const run of runs) run.collector.add(run.engine.process(rs, nowMs));
    }
    done += rs.length;
    const fraction = (page.throughMs - o.fromMs) / (o.toMs - o.fromMs);
    o.onProgress?.({ readings: done, estimatedTotal: fraction >= 1 ? done : fraction > 0 ? Math.max(done, Math.round(done / fraction)) : null, throughMs: page.throughMs });
  }
  for (const run of runs) run.collector.add(run.engine.advanceTo(o.toMs));
  o.onProgress?.({ readings: done, estimatedTotal: done, throughMs: o.toMs });

  const [cand, comp] = runs.map((r) => r.collector.run());
  const candidate = cand as BacktestRun;
  const compare = comp ?? null;
  const diff = compare ? diffRuns(candidate, compare) : null;
  return { fromMs: o.fromMs, toMs: o.toMs, readings: done, devices: ids.length, candidate, compare, diff, summary: summarize(candidate, compare, diff) };
}

/** Turns transitions into episodes per fingerprint. */
class EpisodeCollector {
  private readonly open = new Map<string, BacktestWarning>();
  private readonly done: BacktestWarning[] = [];
  private transitions = 0;

  add(step: StepResult): void {
    for (const t of step.transitions) this.one(t);
  }

  run(): BacktestRun {
    const warnings = [...this.done, ...this.open.values()].sort((a, b) => a.raisedAtMs - b.raisedAtMs || (a.fingerprint < b.fingerprint ? -1 : 1));
    const counts = { raised: zeroCounts(), peak: zeroCounts() };
    for (const w of warnings) {
      counts.raised[w.raised]++;
      counts.peak[w.peak]++;
    }
    return { warnings, transitions: this.transitions, counts };
  }

  private one(t: Transition): void {
    this.transitions++;
    const entry: TimelineEntry = { atMs: t.atMs, from: gradeOf(t.from), to: gradeOf(t.to), reason: t.reason };
    let w = this.open.get(t.fingerprint);
    if (!w) {
      const raised = gradeOf(t.to);
      if (!raised) return; // a clear without a raise in range: the warning began before `from`
      w = { fingerprint: t.fingerprint, ruleId: t.ruleId, ruleVersion: t.ruleVersion, subject: t.subject, blockCode: t.blockCode, raisedAtMs: t.atMs, clearedAtMs: null, raised, peak: raised, timeline: [] };
      this.open.set(t.fingerprint, w);
    }
    w.timeline.push(entry);
    if (t.to > gradeLevel(w.peak)) w.peak = gradeOf(t.to) ?? w.peak;
    if (t.to === 0) {
      w.clearedAtMs = t.atMs;
      this.open.delete(t.fingerprint);
      this.done.push(w);
    }
  }
}

function diffRuns(candidate: BacktestRun, compare: BacktestRun): Record<Grade, { more: BacktestWarning[]; fewer: BacktestWarning[] }> {
  const out = {} as Record<Grade, { more: BacktestWarning[]; fewer: BacktestWarning[] }>;
  for (const g of grades) {
    const a = groupBy(candidate.warnings.filter((w) => w.peak === g));
    const b = groupBy(compare.warnings.filter((w) => w.peak === g));
    const more: BacktestWarning[] = [];
    const fewer: BacktestWarning[] = [];
    for (const key of new Set([...a.keys(), ...b.keys()])) {
      const xs = a.get(key) ?? [];
      const ys = b.get(key) ?? [];
      // Episodes of one fingerprint pair up in time order; the surplus on either side is the difference.
      for (const w of xs.slice(ys.length)) more.push(w);
      for (const w of ys.slice(xs.length)) fewer.push(w);
    }
    out[g] = { more, fewer };
  }
  return out;
}

function groupBy(ws: readonly BacktestWarning[]): Map<string, BacktestWarning[]> {
  const m = new Map<string, BacktestWarning[]>();
  for (const w of ws) {
    const list = m.get(w.fingerprint);
    if (list) list.push(w);
    else m.set(w.fingerprint, [w]);
  }
  return m;
}

/** "12 warnings (2 red, 10 yellow); against the compared version: 3 more yellow, 1 fewer red". */
export function summarize(candidate: BacktestRun, compare: BacktestRun | null, diff: BacktestResult['diff']): string {
  const byGrade = (c: GradeCounts) => [...grades].reverse().filter((g) => c[g] > 0).map((g) => `${c[g]} ${g}`).join(', ');
  const n = candidate.warnings.length;
  let s = `${n} warning${n === 1 ? '' : 's'}${n > 0 ? ` (peak: ${byGrade(candidate.counts.peak)})` : ''}`;
  if (compare && diff) {
    const parts: string[] = [];
    for (const g of [...grades].reverse()) {
      const d = diff[g];
      if (d.more.length > 0) parts.push(`${d.more.length} more ${g}`);
      if (d.fewer.length > 0) parts.push(`${d.fewer.length} fewer ${g}`);
    }
    s += `; against the compared version: ${parts.length > 0 ? parts.join(', ') : 'no difference'}`;
  }
  return s;
}

function passesFilters(d: DeviceContext, o: Pick<BacktestOptions, 'deviceIds' | 'blocks'>): boolean {
  if (o.deviceIds && o.deviceIds.length > 0 && !o.deviceIds.includes(d.id)) return false;
  if (o.blocks && o.blocks.length > 0 && !o.blocks.some((b) => d.blockCode.startsWith(b))) return false;
  return true;
}


/** Narrows the stream to devices some rule can see; the engine applies the scope itself too. */
function matchesScope(rule: Rule, d: DeviceContext): boolean {
  const s = rule.scope;
  if (s.kinds.length > 0 && !s.kinds.includes(d.kind)) return false;
  if (s.devices.length > 0 && !s.devices.includes(d.id)) return false;
  if (s.blocks.length > 0 && !s.blocks.some((b) => d.blockCode.startsWith(b))) return false;
  return s.tags.every((t) => d.tags.includes(t));
}

function zeroCounts(): GradeCounts {
  return { blue: 0, yellow: 0, orange: 0, red: 0 };
}
