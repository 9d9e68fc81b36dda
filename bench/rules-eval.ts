/**
 * Rule-engine throughput and state size: 1,000 rules (a mix like the default sets: threshold
 * mostly, some state, rate, no_data and all) over 10,000 devices, states created lazily by the
 * readings. Counts (rule, reading) evaluations per second of `engine.process` on one core, and
 * heap bytes per state (exact with `node --expose-gc`, else a rough memoryUsage delta).
 *
 *   node --expose-gc --import tsx bench/rules-eval.ts
 */
import { pathToFileURL } from 'node:url';
import { createEngine } from '../rules/engine/index.js';
import type { DeviceContext, EngineReading, RuleEngine, VersionedRule } from '../rules/engine/types.js';
import type { Rule } from '../rules/schema.js';
import { mulberry32 as random } from '../simulators/sensors/prng.js';

const KINDS = 10;
const RULES_PER_KIND = 100;
const DEVICES_PER_KIND = 1000;
const METRICS = 5;
const BATCH = 1000;
const T0 = Date.UTC(2025, 6, 1);

function base(id: string, kind: string, condition: Rule['condition']): Rule {
  return {
    id,
    name: id,
    description: '',
    enabled: true,
    category: 'other',
    scope: { kinds: [kind], devices: [], blocks: [], tags: [] },
    condition,
    for: '1m',
    grades: { red: { actions: { notify: ['sse'], openCase: false, picture: false } } },
    clear: { hysteresis: 1, clearFor: '2m' },
    tags: [],
  };
}

/** Rule i of a kind: 70 % threshold, 10 % state, 10 % rate, 5 % no_data, 5 % all. */
function makeRule(kindNo: number, i: number, thresholdOnly: boolean): Rule {
  const kind = `kind${kindNo}`;
  const id = `r${kindNo}-${i}`;
  const metric = `m${i % METRICS}`;
  const n = thresholdOnly ? 0 : i % 20;
  const thresholds = { blue: 60 + (i % 7), yellow: 70, orange: 80, red: 90 };
  if (n < 14) return base(id, kind, { type: 'threshold', metric, direction: 'above', thresholds });
  if (n < 16) return base(id, kind, { type: 'state', metric: 'status', states: { yellow: ['fault'], red: ['alarm'] } });
  if (n < 18) return base(id, kind, { type: 'rate', metric, window: '10m', direction: 'rise', thresholds: { yellow: 30, red: 50 } });
  if (n < 19) return base(id, kind, { type: 'no_data', after: { blue: '2h', yellow: '6h' } });
  return base(id, kind, {
    type: 'all',
    conditions: [
      { type: 'state', metric: 'status', states: { red: ['open'] } },
      { type: 'threshold', metric, direction: 'above', thresholds },
    ],
  });
}

function setup(thresholdOnly: boolean): { engine: RuleEngine; devices: DeviceContext[]; rules: number } {
  const rules: VersionedRule[] = [];
  for (let k = 0; k < KINDS; k++) for (let i = 0; i < RULES_PER_KIND; i++) rules.push({ rule: makeRule(k, i, thresholdOnly), version: 1 });
  const devices: DeviceContext[] = [];
  for (let k = 0; k < KINDS; k++) {
    for (let i = 0; i < DEVICES_PER_KIND; i++) {
      devices.push({ id: `dev-${k}-${i}`, kind: `kind${k}`, blockCode: `3101150010010${String(i % 1000).padStart(4, '0')}`, tags: [], exercise: false });
    }
  }
  const byId = new Map(devices.map((d) => [d.id, d]));
  const engine = createEngine({ lookup: (id) => byId.get(id), maxLatenessMs: 365 * 86_400_000 });
  engine.setRules(rules);
  return { engine, devices, rules: rules.length };
}

/** Batches of readings: every device in turn, each metric, values mostly normal, time moving on. */
function readingBatches(devices: DeviceContext[], count: number, seed: number, startMs: number): EngineReading[][] {
  const rnd = random(seed);
  const out: EngineReading[][] = [];
  let t = startMs * 1000;
  for (let b = 0; b < count; b++) {
    const batch: EngineReading[] = [];
    for (let i = 0; i < BATCH; i++) {
      const d = devices[(b * BATCH + i) % devices.length] as DeviceContext;
      t += 1000;
      const r = rnd();
      if (r < 0.05) batch.push({ deviceId: d.id, metric: 'status', timeUs: t, value: null, state: r < 0.001 ? 'alarm' : 'normal', seq: null });
      else batch.push({ deviceId: d.id, metric: `m${Math.floor(rnd() * METRICS)}`, timeUs: t, value: r > 0.995 ? 95 : 20 + rnd() * 30, state: null, seq: null });
    }
    out.push(batch);
  }
  return out;
}

function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  return process.memoryUsage().heapUsed;
}

/** Heap bytes per state after every device has reported every metric (all states created). */
function bytesPerState(thresholdOnly: boolean): number {
  const { engine, devices } = setup(thresholdOnly);
  const warm = readingBatches(devices.slice(0, 100), 1, 9, T0);
  engine.process(warm.flat(), T0);
  const before = heapUsed();
  const statesBefore = engine.stats().states;
  let t = (T0 + 1000) * 1000;
  for (let m = 0; m <= METRICS; m++) {
    const batch: EngineReading[] = devices.map((d) => ({ deviceId: d.id, metric: m < METRICS ? `m${m}` : 'status', timeUs: (t += 10), value: m < METRICS ? 10 : null, state: m < METRICS ? null : 'normal', seq: null }));
    engine.process(batch, t / 1000);
  }
  const after = heapUsed();
  const states = engine.stats().states - statesBefore;
  return Math.round((after - before) / states);
}

export async function benchEvaluations(): Promise<{ evaluationsPerSecond: number; bytesPerState: number; rules: number; devices: number }> {
  const { engine, devices, rules } = setup(false);
  const batches = readingBatches(devices, 400, 1, T0);
  const nowMs = (i: number) => T0 + (i + 1) * BATCH * 1000;
  // Warm up (JIT, and the lazily created states), then measure for about three seconds.
  for (let i = 0; i < 40; i++) engine.process(batches[i] as EngineReading[], nowMs(i));
  let evaluations = 0;
  const start = process.hrtime.bigint();
  let i = 40;
  let elapsedNs = 0n;
  while (elapsedNs < 3_000_000_000n) {
    if (i === batches.length) break;
    evaluations += engine.process(batches[i] as EngineReading[], nowMs(i)).evaluations;
    i++;
    elapsedNs = process.hrtime.bigint() - start;
  }
  await Promise.resolve();
  return {
    evaluationsPerSecond: Math.round(evaluations / (Number(elapsedNs) / 1e9)),
    bytesPerState: bytesPerState(true),
    rules,
    devices: devices.length,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await benchEvaluations();
  console.log(JSON.stringify({ ...r, bytesPerStateMixed: bytesPerState(false), exactHeap: typeof (globalThis as { gc?: unknown }).gc === 'function' }));
}
