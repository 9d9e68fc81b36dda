import t from 'tap';
import { lastTimeUs, PageDecoder, type RawPage } from './backtest-page.js';

const PG_EPOCH_US = 946_684_800_000_000;

interface Row {
  timeUs: number;
  pair: number;
  value: number | null;
  seq: number | null;
  state: string | null;
}

/** A page as the database packs it (backtest-page.ts), from rows in the given order. */
function pack(rows: readonly Row[]): RawPage {
  const t = Buffer.alloc(rows.length * 8);
  const f = Buffer.alloc(rows.length);
  const v: Buffer[] = [];
  const q: Buffer[] = [];
  const s: string[] = [];
  rows.forEach((r, k) => {
    t.writeBigInt64BE(BigInt(r.timeUs - PG_EPOCH_US), k * 8);
    f[k] = (r.value !== null ? 1 : 0) | (r.seq !== null ? 2 : 0) | (r.state !== null ? 4 : 0);
    if (r.value !== null) {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(r.value);
      v.push(b);
    }
    if (r.seq !== null) {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(BigInt(r.seq));
      q.push(b);
    }
    if (r.state !== null) s.push(r.state);
  });
  return { n: rows.length, t, f, v: v.length > 0 ? Buffer.concat(v) : null, q: q.length > 0 ? Buffer.concat(q) : null, s: s.length > 0 ? s : null };
}

const pairs = Array.from({ length: 40 }, (_, i) => ({ deviceId: `d${String(i).padStart(2, '0')}`, metric: i % 2 === 0 ? 'a' : 'b' }));
const T = Date.UTC(2026, 6, 1) * 1000;
const show = (r: { timeUs: number; deviceId: string; metric: string; value: number | null; seq: number | null; state: string | null }) =>
  `${r.timeUs - T} ${r.deviceId}/${r.metric} ${r.value} ${r.seq} ${r.state}`;
const expected = (rows: readonly Row[], beforeUs = Infinity) =>
  rows
    .filter((r) => r.pair >= 0 && r.timeUs < beforeUs)
    .sort((a, b) => a.timeUs - b.timeUs || a.pair - b.pair)
    .map((r) => show({ ...r, deviceId: pairs[r.pair]?.deviceId ?? '', metric: pairs[r.pair]?.metric ?? '' }));

function decode(rows: readonly Row[], beforeUs?: number, decoder = new PageDecoder(pairs)): string[] {
  return decoder.decode(pack(rows), Int32Array.from(rows.map((r) => r.pair)), beforeUs).map(show);
}

const row = (dt: number, pair: number, value: number | null = pair, extra: Partial<Row> = {}): Row => ({ timeUs: T + dt, pair, value, seq: null, state: null, ...extra });

t.test('values, sequence numbers and states, with nulls, NaN and large times', async (t) => {
  const rows = [
    row(0, 0, 1.5),
    row(0, 1, null, { state: 'alarm', seq: 7 }),
    row(1, 2, Number.NaN),
    row(2, 3, -0.25, { seq: 2 ** 40 }),
    row(3, 4, null),
    row(4, 5, 12, { state: '' }),
  ];
  t.same(decode(rows), expected(rows));
  t.equal(lastTimeUs(pack(rows)), T + 4);
});

t.test('ties come out in pair order, whatever the storage order; other rows are left alone', async (t) => {
  // A large instant (placed by pair number), a small one (sorted), a sorted one, dropped rows.
  const big = Array.from({ length: 30 }, (_, i) => row(10, (i * 7) % 30));
  const small = [row(20, 9), row(20, 3), row(20, -1), row(20, 5)];
  const sorted = [row(30, 1), row(30, 2)];
  const rows = [row(5, 39), ...big, row(15, 0), ...small, ...sorted, row(31, -1)];
  t.same(decode(rows), expected(rows));
});

t.test('rows at or after the cut are left out', async (t) => {
  const rows = [row(0, 3), row(1, 2), row(1, 1), row(2, 0), row(2, 4)];
  t.same(decode(rows, T + 2), expected(rows, T + 2));
});

t.test('rows out of time order are sorted rather than trusted', async (t) => {
  const rows = [row(3, 1), row(1, 2), row(1, 0), row(2, 5)];
  t.same(decode(rows), expected(rows));
});

t.test('reading objects are reused from page to page', async (t) => {
  const decoder = new PageDecoder(pairs);
  const first = decoder.decode(pack([row(0, 1), row(1, 2)]), Int32Array.from([1, 2]));
  const kept = first[0];
  const second = decoder.decode(pack([row(5, 3)]), Int32Array.from([3]));
  t.equal(second[0], kept, 'the same object');
  t.same(second.map(show), ['5 d03/b 3 null null']);
});

t.test('a page whose columns do not match its row count is refused', async (t) => {
  const raw = pack([row(0, 1), row(1, 2)]);
  t.throws(() => new PageDecoder(pairs).decode({ ...raw, n: 3 }, new Int32Array(3)), /column t/);
  t.throws(() => new PageDecoder(pairs).decode({ ...raw, v: null }, Int32Array.from([1, 2])), /column v/);
});
