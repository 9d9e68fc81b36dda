import type { EngineReading } from '../../rules/engine/types.js';

/**
 * One page of stored readings as the database sends it for a backtest: a single row of packed
 * columns, not a row per reading (parsing a row per reading costs more than evaluating it).
 *
 * - `t`: each reading's time, timestamptz_send (big-endian int8 microseconds since 2000-01-01).
 * - `f`: one byte per reading, which of value, seq and state it has (FLAG_*).
 * - `v`, `q`: the values (float8send) and sequence numbers (int8send) of the readings that
 *   have one, in order; `s` likewise the states (JSON: free text).
 *
 * `PAGE_COLUMNS` aggregates a subquery of (time, value, state, seq) rows in its order.
 */
const FLAG_VALUE = 1;
const FLAG_SEQ = 2;
const FLAG_STATE = 4;

const flagCase = (bits: number, has: Array<[string, number]>): string => {
  const [head, ...rest] = has;
  if (!head) return `'\\x0${bits}'::bytea`;
  const [col, bit] = head;
  return `CASE WHEN ${col} IS NULL THEN ${flagCase(bits, rest)} ELSE ${flagCase(bits | bit, rest)} END`;
};

export const PAGE_COLUMNS = `count(*)::int AS n,
       string_agg(timestamptz_send(time), ''::bytea) AS t,
       string_agg(${flagCase(0, [['value', FLAG_VALUE], ['seq', FLAG_SEQ], ['state', FLAG_STATE]])}, ''::bytea) AS f,
       string_agg(float8send(value), ''::bytea) AS v,
       string_agg(int8send(seq), ''::bytea) AS q,
       json_agg(state) FILTER (WHERE state IS NOT NULL) AS s`;

export interface RawPage {
  n: number;
  t: Uint8Array | null;
  f: Uint8Array | null;
  v: Uint8Array | null;
  q: Uint8Array | null;
  s: string[] | null;
}

export interface Pair {
  deviceId: string;
  metric: string;
}

/** 2000-01-01T00:00:00Z in Unix microseconds: PostgreSQL's own epoch. */
const PG_EPOCH_US = 946_684_800_000_000;

/**
 * Turns raw pages into readings in (time, device, metric) order. Each row comes with the index
 * of its (device, metric) pair in `pairs`, which are sorted by device then metric, so the pair
 * order is the tie order at equal times; -1 drops the row.
 *
 * The reading objects are reused from page to page (the engine keeps none of them): a page's
 * readings are valid until the next `decode`.
 */
export class PageDecoder {
  private readonly pool: EngineReading[] = [];
  private times = new Float64Array(0);
  private values = new Float64Array(0);
  private seqs = new Float64Array(0);
  private states: Array<string | null> = [];
  /** Pair → row, for placing an instant's rows (all -1 between uses). */
  private bySlot = new Int32Array(0);

  constructor(private readonly pairs: readonly Pair[]) {}

  /** Rows at or after `beforeUs` are left out (they come again on the next page). */
  decode(raw: RawPage, pairOf: Int32Array, beforeUs = Infinity): EngineReading[] {
    const n = raw.n;
    if (n === 0) return [];
    this.unpack(raw, n);
    const order = this.tieOrder(pairOf, n);
    const out: EngineReading[] = [];
    const { pool, pairs, times, values, seqs, states } = this;
    const flags = raw.f as Uint8Array;
    for (let j = 0; j < n; j++) {
      const k = order ? (order[j] as number) : j;
      const p = pairs[pairOf[k] as number];
      if (p === undefined || (times[k] as number) >= beforeUs) continue;
      let r = pool[out.length];
      if (r === undefined) {
        r = { deviceId: '', metric: '', timeUs: 0, value: null, state: null, seq: null };
        pool.push(r);
      }
      r.deviceId = p.deviceId;
      r.metric = p.metric;
      r.timeUs = times[k] as number;
      r.value = (flags[k] as number) & FLAG_VALUE ? (values[k] as number) : null;
      const q = seqs[k] as number;
      r.seq = q === q ? q : null;
      r.state = states[k] ?? null;
      out.push(r);
    }
    return out;
  }

  /** Column bytes → per-row times, values, seqs (NaN: none) and states, in the database's order. */
  private unpack(raw: RawPage, n: number): void {
    if (this.times.length < n) {
      const size = Math.max(n, this.times.length * 2);
      this.times = new Float64Array(size);
      this.values = new Float64Array(size);
      this.seqs = new Float64Array(size);
    }
    const t = bytes(raw.t, n * 8, 't');
    const f = bytes(raw.f, n, 'f');
    const v = view(raw.v);
    const q = view(raw.q);
    const s = raw.s ?? [];
    const { times, values, seqs, states } = this;
    states.length = n;
    let vi = 0;
    let qi = 0;
    let si = 0;
    for (let k = 0; k < n; k++) {
      times[k] = timeAt(t, k * 8);
      const flags = f.getUint8(k);
      if (flags & FLAG_VALUE) {
        values[k] = readAt(v, vi, 'v').getFloat64(vi);
        vi += 8;
      } else values[k] = NaN;
      if (flags & FLAG_SEQ) {
        const at = readAt(q, qi, 'q');
        seqs[k] = at.getInt32(qi) * 4294967296 + at.getUint32(qi + 4);
        qi += 8;
      } else seqs[k] = NaN;
      states[k] = flags & FLAG_STATE ? (s[si++] ?? null) : null;
    }
  }

  /**
   * The order to read rows in: null when they are in (time, pair) order already (the database
   * sorts by time; rows of one instant come in storage order), else a permutation. Only the
   * groups of equal times that are out of order get sorted.
   */
  private tieOrder(pairOf: Int32Array, n: number): Int32Array | null {
    const times = this.times;
    let unsortedTies = false;
    for (let k = 1; k < n; k++) {
      const a = times[k - 1] as number;
      const b = times[k] as number;
      if (b < a) return fullOrder(times, pairOf, n);
      if (b === a && (pairOf[k] as number) < (pairOf[k - 1] as number)) unsortedTies = true;
    }
    if (!unsortedTies) return null;
    const order = identity(n);
    const byPair = (x: number, y: number) => (pairOf[x] as number) - (pairOf[y] as number);
    for (let a = 0; a < n; ) {
      let b = a + 1;
      let sorted = true;
      while (b < n && times[b] === times[a]) {
        if ((pairOf[b] as number) < (pairOf[b - 1] as number)) sorted = false;
        b++;
      }
      // A large group is placed by its pair numbers, without comparisons.
      if (!sorted && !((b - a) * 8 >= this.pairs.length && this.placeByPair(order, a, b, pairOf))) order.subarray(a, b).sort(byPair);
      a = b;
    }
    return order;
  }

  /** Rows a..b of one instant into pair order; false (nothing changed) if a pair occurs twice. */
  private placeByPair(order: Int32Array, a: number, b: number, pairOf: Int32Array): boolean {
    if (this.bySlot.length !== this.pairs.length) this.bySlot = new Int32Array(this.pairs.length).fill(-1);
    const slot = this.bySlot;
    let dropped = 0;
    for (let k = a; k < b; k++) {
      const p = pairOf[k] as number;
      if (p < 0) dropped++;
      else if ((slot[p] as number) >= 0) {
        // The key makes this impossible; do not lose a row over it.
        for (let j = a; j < k; j++) if ((pairOf[j] as number) >= 0) slot[pairOf[j] as number] = -1;
        return false;
      } else slot[p] = k;
    }
    let w = a;
    for (let k = a; k < b && dropped > 0; k++) {
      if ((pairOf[k] as number) < 0) {
        order[w++] = k; // left out anyway
        dropped--;
      }
    }
    for (let p = 0; p < slot.length; p++) {
      const k = slot[p] as number;
      if (k >= 0) {
        order[w++] = k;
        slot[p] = -1;
      }
    }
    return true;
  }
}

/** Never expected (the query orders by time), but the order is not left to trust. */
function fullOrder(times: Float64Array, pairOf: Int32Array, n: number): Int32Array {
  return identity(n).sort((x, y) => (times[x] as number) - (times[y] as number) || (pairOf[x] as number) - (pairOf[y] as number));
}

function identity(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let k = 0; k < n; k++) a[k] = k;
  return a;
}

/** The page's last time (epoch µs): the rows are in time order. */
export function lastTimeUs(raw: RawPage): number {
  const t = view(raw.t);
  if (!t || t.byteLength < 8) throw new Error('backtest page: no times');
  return timeAt(t, t.byteLength - 8);
}

/** A timestamptz_send value (µs since 2000, big-endian int8) as epoch µs: exact below 2^53. */
function timeAt(v: DataView, at: number): number {
  return v.getInt32(at) * 4294967296 + v.getUint32(at + 4) + PG_EPOCH_US;
}

function view(b: Uint8Array | null): DataView | null {
  return b ? new DataView(b.buffer, b.byteOffset, b.byteLength) : null;
}

function bytes(b: Uint8Array | null, length: number, what: string): DataView {
  const v = view(b);
  if (!v || v.byteLength !== length) throw new Error(`backtest page: column ${what} has ${v?.byteLength ?? 0} bytes, expected ${length}`);
  return v;
}

function readAt(v: DataView | null, at: number, what: string): DataView {
  if (!v || at + 8 > v.byteLength) throw new Error(`backtest page: column ${what} is shorter than its flags say`);
  return v;
}
