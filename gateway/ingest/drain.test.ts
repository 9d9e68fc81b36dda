import t, { type Test } from 'tap';
import { pino } from 'pino';
import { systemClock } from '../core/clock.js';
import { Spool } from './spool/index.js';
import { Drainer, type IngestSink } from './drain.js';
import { encodeRecord, type DeadLetterRow, type IngestRecord, type ReadingRow } from './record.js';

const logger = pino({ level: 'silent' });

/** A sink that keeps what it is given, and refuses rows the test marks as poison or while "down". */
class RecordingSink implements IngestSink {
  rows: ReadingRow[] = [];
  dead: DeadLetterRow[] = [];
  down = false;
  calls = 0;
  async write(rows: ReadingRow[], dead: DeadLetterRow[]): Promise<void> {
    this.calls++;
    if (this.down) throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
    if (rows.some((r) => r.state === 'poison')) throw Object.assign(new Error('invalid byte sequence'), { code: '22021' });
    this.rows.push(...rows);
    this.dead.push(...dead);
  }
}

const rec = (i: number, state: string | null = null): IngestRecord => ({ rows: [{ deviceId: 'd', metric: 'm', timeUs: i, value: state ? null : i, state, seq: i }], dead: [] });

async function setup(t: Test, opts: { maxQueuedRecords?: number } = {}) {
  const dir = t.testdir();
  const spool = await Spool.open({ dir, maxBytes: 64 * 1024 * 1024, logger });
  const sink = new RecordingSink();
  const drainer = new Drainer({ spool, sink, clock: systemClock, logger, batchMaxRows: 100, batchMaxWaitMs: 5, maxQueuedRecords: opts.maxQueuedRecords ?? 1000, isRetryable: (e) => (e as { code?: string }).code !== '22021' });
  t.teardown(async () => {
    await drainer.stop();
    await spool.close();
  });
  const append = async (r: IngestRecord) => drainer.offer(await spool.append(encodeRecord(r)), r);
  return { spool, sink, drainer, append };
}

t.test('drains in log order and checkpoints the spool', async (t) => {
  const { spool, sink, drainer, append } = await setup(t);
  drainer.start();
  for (let i = 1; i <= 500; i++) await append(rec(i));
  await drainer.idle();
  t.same(sink.rows.map((r) => r.seq), Array.from({ length: 500 }, (_, i) => i + 1), 'every row, in order');
  t.equal(spool.stats().checkpointLsn, spool.stats().lastLsn, 'checkpointed to the end');
  t.ok(sink.calls < 500, `batched (${sink.calls} writes)`);
});

t.test('records past the memory bound are read back from the spool', async (t) => {
  const { sink, drainer, append } = await setup(t, { maxQueuedRecords: 10 });
  sink.down = true;
  drainer.start();
  for (let i = 1; i <= 300; i++) await append(rec(i));
  sink.down = false;
  await drainer.idle();
  t.same(sink.rows.map((r) => r.seq), Array.from({ length: 300 }, (_, i) => i + 1), 'nothing lost, nothing twice, in order');
});

t.test('a row the database refuses for its content becomes a dead letter; the rest is stored', async (t) => {
  const { sink, drainer, append } = await setup(t);
  drainer.start();
  for (let i = 1; i <= 50; i++) await append(rec(i, i === 17 ? 'poison' : null));
  await drainer.idle();
  t.equal(sink.rows.length, 49, 'the good rows are stored');
  t.equal(sink.dead.length, 1, 'the bad row is set aside');
  t.equal(sink.dead[0]?.reasonCode, 'STORAGE_REJECTED');
  t.match(sink.dead[0]?.reason, /invalid byte sequence/);
});

t.test('a backlog in the spool at start is written first', async (t) => {
  const dir = t.testdir();
  const spool = await Spool.open({ dir, maxBytes: 64 * 1024 * 1024, logger });
  for (let i = 1; i <= 120; i++) await spool.append(encodeRecord(rec(i)));
  await spool.close();
  const reopened = await Spool.open({ dir, maxBytes: 64 * 1024 * 1024, logger });
  const sink = new RecordingSink();
  const drainer = new Drainer({ spool: reopened, sink, clock: systemClock, logger, batchMaxRows: 50, batchMaxWaitMs: 5 });
  t.teardown(async () => {
    await drainer.stop();
    await reopened.close();
  });
  drainer.start();
  const r = rec(121);
  drainer.offer(await reopened.append(encodeRecord(r)), r);
  await drainer.idle();
  t.same(sink.rows.map((x) => x.seq), Array.from({ length: 121 }, (_, i) => i + 1), 'replayed backlog, then the new record');
});
