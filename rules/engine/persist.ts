import { BlockState, type AnyState, type BlockDevice, type DeviceState, type Member } from './subjects.js';
import type { PersistedState } from './types.js';

/**
 * The JSON form of states (PersistedState.state). NaN and −Infinity have no JSON form: they are
 * written as null. Everything a state's timers depend on is in it, so an imported state sets the
 * same timers and gives the same transitions as the state it was exported from.
 */
interface MachineJson {
  c: number;
  since: Array<number | null> | null;
  down: Array<number | null> | null;
  t: number | null;
}

const num = (x: number): number | null => (Number.isFinite(x) ? x : null);
const copy = <T>(x: T): T => structuredClone(x);

function machineJson(s: DeviceState | BlockState): MachineJson {
  return { c: s.c, since: s.since ? s.since.map(num) : null, down: s.down ? s.down.map(num) : null, t: num(s.lastT) };
}

export function deviceJson(s: DeviceState): unknown {
  return { ...machineJson(s), keys: [...s.keys], mem: copy(s.mem) };
}

export function blockJson(s: BlockState): unknown {
  const members: Record<string, unknown> = {};
  for (const [id, m] of s.members) members[id] = { keys: [...m.keys], mem: copy(m.mem), held: m.held, lastHeld: m.lastHeld };
  return { ...machineJson(s), members, last: s.last ? { ...s.last } : null };
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isNumOrNull = (x: unknown): x is number | null => x === null || (typeof x === 'number' && Number.isFinite(x));
const isKeys = (x: unknown, slots: number): x is number[] => Array.isArray(x) && x.length === slots * 2 && x.every((n) => typeof n === 'number');

/** Restores the machine part; false when the JSON does not fit. */
function restoreMachine(s: DeviceState | BlockState, j: Record<string, unknown>): boolean {
  const { c, since, down, t } = j;
  if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c > 4) return false;
  if (!isNumOrNull(t)) return false;
  if (down !== null && !(Array.isArray(down) && down.length === 5 && down.every(isNumOrNull))) return false;
  if (since !== null && !(Array.isArray(since) && since.length === 5 && since.every(isNumOrNull))) return false;
  s.c = c;
  s.since = since === null ? null : since.map((x) => (x === null ? NaN : x));
  s.down = down === null ? null : down.map((x) => (x === null ? NaN : x));
  s.lastT = t === null ? -Infinity : t;
  return true;
}

export function restoreDevice(s: DeviceState, json: unknown): boolean {
  if (!isObj(json) || !isKeys(json.keys, s.rule.keySlots)) return false;
  const mem = s.rule.cond.restore(json.mem);
  if (mem === undefined || !restoreMachine(s, json)) return false;
  s.keys = [...json.keys];
  s.mem = mem;
  return true;
}

function restoreLast(x: unknown): BlockDevice | null | undefined {
  if (x === null) return null;
  if (!isObj(x)) return undefined;
  const { deviceId, kind, blockCode, exercise } = x;
  if (typeof deviceId !== 'string' || typeof kind !== 'string' || typeof blockCode !== 'string' || typeof exercise !== 'boolean') return undefined;
  return { deviceId, kind, blockCode, exercise };
}

export function restoreBlock(s: BlockState, json: unknown, newMember: (id: string) => Member): boolean {
  if (!isObj(json) || !isObj(json.members)) return false;
  const last = restoreLast(json.last);
  if (last === undefined || !restoreMachine(s, json)) return false;
  for (const [id, mj] of Object.entries(json.members)) {
    if (!isObj(mj) || !isKeys(mj.keys, s.rule.keySlots) || typeof mj.held !== 'boolean' || typeof mj.lastHeld !== 'number') return false;
    const mem = s.rule.cond.restore(mj.mem);
    if (mem === undefined) return false;
    const m = newMember(id);
    m.keys = [...mj.keys];
    m.mem = mem;
    m.held = mj.held;
    m.lastHeld = mj.lastHeld;
  }
  s.last = last;
  return true;
}

/** A state as `rule_states` keeps it (PersistedState; the JSON above). */
export function persisted(st: AnyState): PersistedState {
  return {
    ruleId: st.rule.id,
    ruleHash: st.rule.hash,
    subjectKey: st.subjectKey,
    partition: st.partition,
    state: st instanceof BlockState ? blockJson(st) : deviceJson(st),
  };
}
