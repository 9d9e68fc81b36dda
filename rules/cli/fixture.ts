import { readFileSync } from 'node:fs';
import { Type, type Static } from 'typebox';
import { parse as parseYaml } from 'yaml';
import { schemaErrors } from '../../gateway/core/schema.js';
import { Value } from 'typebox/value';
import { parseDuration } from '../duration.js';
import { basename } from 'node:path';
import { gradeLevel, grades, type Grade, type GradeLevel } from '../schema.js';
import type { DeviceContext } from '../engine/types.js';

/**
 * A `rules test` case: devices, readings with their times, and the transitions (and, optionally,
 * the warnings up at the end) the rules must give — the spirit of `promtool test rules`.
 */

const Time = Type.String({ minLength: 2, description: 'An ISO time with its zone (2024-07-01T08:00:00+08:00), or an offset from `start` (+90s, +5m, +1h30m).' });
const GradeOrNone = Type.Enum([...grades, 'none'], { description: '`none`: no warning (a clear).' });

/** Names a warning: its fingerprint, or rule and device (or rule and block for k-of-n). */
const Subject = {
  fingerprint: Type.Optional(Type.String({ minLength: 1 })),
  rule: Type.Optional(Type.String({ minLength: 1 })),
  device: Type.Optional(Type.String({ minLength: 1 })),
  block: Type.Optional(Type.String({ pattern: '^[0-9]{1,17}$' })),
};

export const Fixture = Type.Object(
  {
    name: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    start: Type.Optional(Type.String({ description: 'ISO time (with its zone) that offsets count from; default: the first reading.' })),
    end: Type.Optional(Time),
    rules: Type.Optional(Type.Array(Type.String(), { description: 'Run only these rule ids (default: all in the set).' })),
    maxLateness: Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$', default: '1h', description: 'Readings older than the latest time seen by more than this are late (config rules.maxLatenessMs).' }),
    devices: Type.Array(
      Type.Object(
        {
          id: Type.String({ minLength: 1 }),
          kind: Type.String({ minLength: 1 }),
          blockCode: Type.String({ pattern: '^[0-9]{17}$' }),
          tags: Type.Array(Type.String(), { default: [] }),
          exercise: Type.Boolean({ default: false }),
          lastSeen: Type.Optional(Time),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
    readings: Type.Array(
      Type.Object(
        {
          device: Type.String({ minLength: 1 }),
          metric: Type.String({ minLength: 1 }),
          time: Time,
          value: Type.Optional(Type.Number()),
          state: Type.Optional(Type.String()),
          seq: Type.Optional(Type.Integer()),
        },
        { additionalProperties: false },
      ),
    ),
    expect: Type.Object(
      {
        transitions: Type.Array(Type.Object({ ...Subject, grade: GradeOrNone, from: Type.Optional(GradeOrNone), at: Time }, { additionalProperties: false })),
        active: Type.Optional(Type.Array(Type.Object({ ...Subject, grade: Type.Enum(grades) }, { additionalProperties: false }))),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type Fixture = Static<typeof Fixture>;

/** A fixture with every time resolved to epoch ms and every expectation to a fingerprint. */
export interface FixtureCase {
  name: string;
  fixture: Fixture;
  /** What offsets count from: `start`, else the first reading's time. */
  startMs: number;
  /** When the run ends (`advanceTo`): `end`, else the last reading's time. */
  endMs: number;
  devices: Array<DeviceContext & { lastSeenMs: number }>;
  readings: Array<{ deviceId: string; metric: string; timeMs: number; value: number | null; state: string | null; seq: number | null }>;
  transitions: Array<{ fingerprint: string; to: GradeLevel; from: GradeLevel | undefined; atMs: number }>;
  active: Array<{ fingerprint: string; grade: GradeLevel }> | undefined;
}

export type FixtureLoad = { ok: true; fixtureCase: FixtureCase } | { ok: false; errors: string[] };

export function loadFixture(file: string): FixtureLoad {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    return { ok: false, errors: [`cannot read: ${(e as Error).message.split('\n')[0] ?? ''}`] };
  }
  const value = Value.Default(Fixture, Value.Clone(raw));
  if (!Value.Check(Fixture, value)) return { ok: false, errors: schemaErrors(Fixture, value).map((d) => `${d.field ?? '/'}: ${d.message}`) };
  const f = value as Fixture;
  const errors: string[] = [];
  const start = f.start === undefined ? undefined : resolveTime(f.start, undefined);
  if (typeof start === 'string') errors.push(`/start: ${start}`);
  const startGiven = typeof start === 'number' ? start : undefined;
  // Every time is resolved here, so a bad one is reported with its path before anything runs.
  const at = (text: string, where: string): number => {
    const ms = resolveTime(text, startGiven);
    if (typeof ms === 'number') return ms;
    errors.push(`${where}: ${ms}`);
    return 0;
  };
  const readings = f.readings.map((r, i) => {
    if ((r.value === undefined) === (r.state === undefined)) errors.push(`/readings/${i}: needs exactly one of value or state`);
    if (!f.devices.some((d) => d.id === r.device)) errors.push(`/readings/${i}/device: "${r.device}" is not in devices`);
    return { deviceId: r.device, metric: r.metric, timeMs: at(r.time, `/readings/${i}/time`), value: r.value ?? null, state: r.state ?? null, seq: r.seq ?? null };
  });
  const startMs = startGiven ?? Math.min(...readings.map((r) => r.timeMs));
  if (!Number.isFinite(startMs)) errors.push('/start: needed when there are no readings');
  const devices = f.devices.map((d, i) => ({
    id: d.id,
    kind: d.kind,
    blockCode: d.blockCode,
    tags: d.tags,
    exercise: d.exercise,
    lastSeenMs: d.lastSeen === undefined ? startMs : at(d.lastSeen, `/devices/${i}/lastSeen`),
  }));
  const named = (e: { fingerprint?: string; rule?: string }, where: string) => {
    if (e.fingerprint === undefined && e.rule === undefined) errors.push(`${where}: needs fingerprint, or rule with device or block`);
    return expectedFingerprint(e);
  };
  const transitions = f.expect.transitions.map((e, i) => ({
    fingerprint: named(e, `/expect/transitions/${i}`),
    to: levelOf(e.grade),
    from: e.from === undefined ? undefined : levelOf(e.from),
    atMs: at(e.at, `/expect/transitions/${i}/at`),
  }));
  const active = f.expect.active?.map((e, i) => ({ fingerprint: named(e, `/expect/active/${i}`), grade: levelOf(e.grade) }));
  const endMs = f.end === undefined ? Math.max(startMs, ...readings.map((r) => r.timeMs)) : at(f.end, '/end');
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, fixtureCase: { name: f.name ?? basename(file), fixture: f, startMs, endMs, devices, readings, transitions, active } };
}

function levelOf(g: Grade | 'none'): GradeLevel {
  return g === 'none' ? 0 : gradeLevel(g);
}

function resolveTime(text: string, startMs: number | undefined): number | string {
  if (text.startsWith('+')) {
    if (startMs === undefined) return `offset "${text}" needs \`start\``;
    const ms = offsetMs(text.slice(1));
    return ms === undefined ? `"${text}" is not an offset: + and durations such as 90s, 5m, 1h30m` : startMs + ms;
  }
  if (!/(?:[zZ]|[+-][0-9]{2}:?[0-9]{2})$/.test(text)) return `"${text}" needs a zone (Z or +08:00), or must be an offset like +90s`;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? `"${text}" is not an ISO time or an offset like +90s` : ms;
}

/** `1h30m` → 5 400 000: fixture offsets may chain units, unlike rule durations. */
export function offsetMs(text: string): number | undefined {
  const parts = text.match(/[0-9]+(?:ms|s|m|h|d)/g);
  if (!parts || parts.join('') !== text) return undefined;
  return parts.reduce((sum, p) => sum + parseDuration(p), 0);
}

/** 5 400 000 → `1h30m`, the way fixtures write offsets. */
export function formatOffset(ms: number): string {
  if (ms < 0) return `-${formatOffset(-ms)}`;
  let rest = ms;
  let out = '';
  for (const [u, f] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    if (rest >= f) {
      out += `${Math.floor(rest / f)}${u}`;
      rest %= f;
    }
  }
  return `+${out || '0s'}`;
}

/** The fingerprint an expectation names (rules/engine/types.ts Transition.fingerprint). */
export function expectedFingerprint(e: { fingerprint?: string; rule?: string; device?: string; block?: string }): string {
  if (e.fingerprint !== undefined) return e.fingerprint;
  return e.block !== undefined ? `${e.rule ?? ''}/block:${e.block}` : `${e.rule ?? ''}/${e.device ?? ''}`;
}
