import { readdir } from 'node:fs/promises';
import t from 'tap';
import { FakeClock } from '../../core/clock.js';
import { countingIo, openSpool, readAll, text } from './fixtures/helpers.js';

const segFiles = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((f) => f.endsWith('.seg')).sort();

void t.test('append and read back: LSNs in order, bodies exact', async (t) => {
  const dir = t.testdir();
  const spool = await openSpool(dir);
  t.teardown(() => spool.close());
  t.equal(await spool.append(text('a')), 1);
  t.equal(await spool.append(text('')), 2, 'an empty body is a record too');
  t.same(await spool.appendMany([text('c'), text('d'), text('e')]), [3, 4, 5]);
  t.same(await spool.appendMany([]), []);
  t.same(await readAll(spool), [
    { lsn: 1, body: 'a' }, { lsn: 2, body: '' }, { lsn: 3, body: 'c' }, { lsn: 4, body: 'd' }, { lsn: 5, body: 'e' },
  ]);
  t.same((await readAll(spool, 4)).map((r) => r.lsn), [4, 5]);
  t.same(await readAll(spool, 6), []);
  const batches: number[][] = [];
  for await (const b of spool.readBatches(1, 2)) batches.push(b.map((r) => r.lsn));
  t.same(batches, [[1, 2], [3, 4], [5]]);
  t.match(spool.stats(), { records: 5, lastLsn: 5, checkpointLsn: 0, oldestLsn: 1, segments: 1, full: false, queued: 0 });
});

void t.test('group commit: appends in one turn share one write and one fdatasync', async (t) => {
  const io = countingIo();
  const spool = await openSpool(t.testdir(), { io });
  t.teardown(() => spool.close());
  const lsns = await Promise.all(Array.from({ length: 100 }, (_, i) => spool.append(text(`r${i}`))));
  t.same(lsns, Array.from({ length: 100 }, (_, i) => i + 1), 'LSNs follow the order of the append calls');
  t.equal(io.calls.write, 1);
  t.equal(io.calls.datasync, 1);
  t.equal(spool.stats().commits, 1);
});

void t.test('group commit: appends arriving during an fsync go out together in the next one', async (t) => {
  const io = countingIo();
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const spool = await openSpool(t.testdir(), { io });
  t.teardown(() => spool.close());
  let entered: () => void = () => undefined;
  const inFsync = new Promise<void>((r) => (entered = r));
  io.fault.datasync = async (fh) => {
    entered();
    await gate;
    io.fault.datasync = undefined;
    await fh.datasync();
  };
  const first = spool.append(text('first'));
  await inFsync;
  const later = Array.from({ length: 50 }, (_, i) => spool.append(text(`later${i}`)));
  t.equal(spool.stats().queued, 51);
  release();
  t.equal(await first, 1);
  t.same(await Promise.all(later), Array.from({ length: 50 }, (_, i) => i + 2));
  t.equal(io.calls.datasync, 2, 'two fsyncs for 51 appends');
  t.equal(spool.stats().commits, 2);
});

void t.test('the commit window runs on the injected clock', async (t) => {
  const clock = new FakeClock();
  const io = countingIo();
  const spool = await openSpool(t.testdir(), { io, clock, commitWindowMs: 5 });
  t.teardown(() => spool.close());
  let done = false;
  const p = spool.append(text('x')).then((lsn) => ((done = true), lsn));
  await new Promise((r) => setTimeout(r, 20));
  t.equal(done, false, 'nothing is written before the window closes');
  t.equal(io.calls.write, 0);
  const q = spool.append(text('y'));
  clock.advance(5);
  t.same(await Promise.all([p, q]), [1, 2]);
  t.equal(io.calls.datasync, 1);
});

void t.test('segments roll at their size and reads cross them', async (t) => {
  const dir = t.testdir();
  const spool = await openSpool(dir, { segmentBytes: 200 });
  t.teardown(() => spool.close());
  for (let i = 1; i <= 20; i++) await spool.append(text(`record-${String(i).padStart(3, '0')}`)); // 30 bytes framed
  t.same(await segFiles(dir), ['0000000000000001.seg', '0000000000000007.seg', '0000000000000013.seg', '0000000000000019.seg']);
  t.same((await readAll(spool)).map((r) => r.lsn), Array.from({ length: 20 }, (_, i) => i + 1));
  t.same((await readAll(spool, 8)).map((r) => r.body), Array.from({ length: 13 }, (_, i) => `record-${String(i + 8).padStart(3, '0')}`));
  t.equal(spool.stats().segments, 4);
});

void t.test('checkpoint deletes only whole segments, persists, and survives reopen', async (t) => {
  const dir = t.testdir();
  let spool = await openSpool(dir, { segmentBytes: 200 });
  for (let i = 1; i <= 20; i++) await spool.append(text(`record-${String(i).padStart(3, '0')}`));
  await spool.checkpoint(9); // segment 1..6 is done, 7..12 is not
  t.same(await segFiles(dir), ['0000000000000007.seg', '0000000000000013.seg', '0000000000000019.seg']);
  t.match(spool.stats(), { checkpointLsn: 9, oldestLsn: 10, records: 11, lastLsn: 20 });
  t.same((await readAll(spool, 1)).map((r) => r.lsn)[0], 7, 'records of a kept segment stay readable');
  await spool.checkpoint(3);
  t.equal(spool.stats().checkpointLsn, 9, 'a checkpoint never moves back');
  await spool.close();

  spool = await openSpool(dir, { segmentBytes: 200 });
  t.teardown(() => spool.close());
  t.match(spool.stats(), { checkpointLsn: 9, lastLsn: 20 });
  const replayed: number[] = [];
  for await (const r of spool.replay()) replayed.push(r.lsn);
  t.same(replayed, Array.from({ length: 11 }, (_, i) => i + 10), 'replay starts after the checkpoint');
  t.equal(await spool.append(text('after reopen')), 21, 'LSNs continue after the last one');
  await t.rejects(spool.checkpoint(22), RangeError, 'cannot checkpoint what is not durable');
});

void t.test('a full checkpoint deletes the active segment too; LSNs still continue', async (t) => {
  const dir = t.testdir();
  let spool = await openSpool(dir);
  await spool.appendMany([text('a'), text('b'), text('c')]);
  await spool.checkpoint(3);
  t.same(await segFiles(dir), []);
  t.match(spool.stats(), { bytes: 0, segments: 0, records: 0, oldestLsn: null });
  t.equal(await spool.append(text('d')), 4);
  t.same(await segFiles(dir), ['0000000000000004.seg']);
  await spool.checkpoint(4);
  await spool.close();
  spool = await openSpool(dir);
  t.teardown(() => spool.close());
  t.equal(spool.stats().lastLsn, 4, 'the checkpoint file alone carries the LSN across a restart');
  t.equal(await spool.append(text('e')), 5);
});

void t.test('a reader sees commits made while it runs and survives a concurrent checkpoint', async (t) => {
  const spool = await openSpool(t.testdir(), { segmentBytes: 100 });
  t.teardown(() => spool.close());
  for (let i = 1; i <= 10; i++) await spool.append(text(`r${i}`));
  const seen: number[] = [];
  for await (const r of spool.readFrom(1)) {
    seen.push(r.lsn);
    if (r.lsn === 2) await spool.append(text('r11'));
    if (r.lsn === 5) await spool.checkpoint(5);
  }
  t.same(seen, Array.from({ length: 11 }, (_, i) => i + 1));
});

void t.test('close writes what is queued; append after close is refused', async (t) => {
  const spool = await openSpool(t.testdir(), { commitWindowMs: 60_000 });
  const p = spool.append(text('queued'));
  await spool.close();
  t.equal(await p, 1);
  await t.rejects(spool.append(text('late')), { code: 'GW_ERR_NOT_READY' });
});

void t.test('a long-lived reader sees records committed to its segment before a roll', async (t) => {
  const dir = t.testdir();
  const spool = await openSpool(dir, { segmentBytes: 64 * 1024 });
  t.teardown(() => spool.close());
  const body = Buffer.alloc(1000, 0x61);
  for (let i = 0; i < 10; i++) await spool.append(body);
  const reader = spool.readBatches(1, 5);
  const seen: number[] = [];
  const first = await reader.next();
  for (const r of first.done ? [] : first.value) seen.push(r.lsn);
  // While the reader is inside segment 1: fill it past its size (it rolls) and write on.
  for (let i = 0; i < 150; i++) await spool.append(body);
  t.ok(spool.stats().segments > 1, 'the spool rolled to a new segment');
  for await (const batch of reader) for (const r of batch) seen.push(r.lsn);
  t.same(seen, Array.from({ length: 160 }, (_, i) => i + 1), 'every record, none skipped at the roll');
});
