import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { encodeFrame, frameBytes, HEADER_BYTES } from './frame.js';
import { captureLogger, openSpool, readAll, text } from './fixtures/helpers.js';
import { segmentName } from './segments.js';

const body = (i: number): string => `record-${String(i).padStart(3, '0')}`; // 10 bytes, 30 framed
const FRAME = frameBytes(10);

function frame(lsn: number, s: string): Buffer {
  const buf = Buffer.alloc(frameBytes(Buffer.byteLength(s)));
  encodeFrame(buf, 0, lsn, Buffer.from(s));
  return buf;
}

async function seed(dir: string, n: number, segmentBytes = 64 * 1024 * 1024): Promise<void> {
  const spool = await openSpool(dir, { segmentBytes });
  for (let i = 1; i <= n; i++) await spool.append(text(body(i)));
  await spool.close();
}

async function flipByte(path: string, offset: number): Promise<void> {
  const buf = await readFile(path);
  buf[offset]! ^= 0x5a;
  await writeFile(path, buf);
}

const errors = (lines: Array<{ level: number; msg: string }>): string[] => lines.filter((l) => l.level >= 50).map((l) => l.msg);

for (const [name, tail] of [
  ['half a record', frame(6, body(6)).subarray(0, 17)],
  ['a header whose body never arrived', frame(6, body(6)).subarray(0, HEADER_BYTES + 3)],
  ['garbage', Buffer.from('\x13\x37 not a record at all, just noise \xff\xfe')],
  ['zeros from a size-extended file', Buffer.alloc(4096)],
] as const) {
  void t.test(`torn tail (${name}) is cut off on open; appends continue`, async (t) => {
    const dir = t.testdir();
    await seed(dir, 5);
    const seg = join(dir, segmentName(1));
    await appendFile(seg, tail);
    const { logger, lines } = captureLogger();
    const spool = await openSpool(dir, { logger });
    t.teardown(() => spool.close());
    t.match(spool.stats(), { lastLsn: 5, truncatedBytes: tail.length, corruptRegions: 0 });
    t.equal((await stat(seg)).size, 5 * FRAME, 'the file is truncated to its last valid record');
    t.ok(lines.some((l) => l.level === 40 && /torn tail/.test(l.msg)), 'the cut is logged');
    t.equal(await spool.append(text('after')), 6);
    const all = await readAll(spool);
    t.same(all.map((r) => r.lsn), [1, 2, 3, 4, 5, 6]);
    t.equal(all[5]?.body, 'after');
  });
}

void t.test('an empty last segment (crash right after a roll) is harmless', async (t) => {
  const dir = t.testdir();
  await seed(dir, 3);
  await writeFile(join(dir, segmentName(4)), '');
  await writeFile(join(dir, 'notes.txt'), 'not a segment');
  const spool = await openSpool(dir);
  t.teardown(() => spool.close());
  t.equal(spool.stats().lastLsn, 3);
  t.equal(await spool.append(text('x')), 4);
  t.same((await readAll(spool)).map((r) => r.lsn), [1, 2, 3, 4]);
});

void t.test('corrupt CRC in the middle of an older segment: that record is skipped and reported', async (t) => {
  const dir = t.testdir();
  await seed(dir, 20, 200); // 6 records per segment
  await flipByte(join(dir, segmentName(1)), 2 * FRAME + HEADER_BYTES + 4); // body of LSN 3
  const { logger, lines } = captureLogger();
  const spool = await openSpool(dir, { logger, segmentBytes: 200 });
  t.teardown(() => spool.close());
  const lsns = (await readAll(spool)).map((r) => r.lsn);
  t.same(lsns, [1, 2, ...Array.from({ length: 17 }, (_, i) => i + 4)], 'every other record is read');
  t.match(spool.stats(), { corruptRegions: 1, corruptBytes: FRAME });
  t.match(lines.find((l) => l.level === 50), { reason: 'crc', offset: 2 * FRAME, lsnGap: 1 });
  await readAll(spool);
  t.equal(spool.stats().corruptRegions, 1, 'a second pass does not count the same damage again');
});

void t.test('a damaged length field does not lose the rest of the segment', async (t) => {
  const dir = t.testdir();
  await seed(dir, 12, 200);
  const seg = join(dir, segmentName(1));
  const buf = await readFile(seg);
  buf.writeUInt32LE(10_000, FRAME + 8); // LSN 2 now claims to run past the end of the file
  await writeFile(seg, buf);
  const spool = await openSpool(dir, { segmentBytes: 200, logger: captureLogger().logger });
  t.teardown(() => spool.close());
  t.same((await readAll(spool)).map((r) => r.lsn), [1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  t.equal(spool.stats().corruptRegions, 1);
});

void t.test('garbage at the end of an older segment is reported and reading moves to the next', async (t) => {
  const dir = t.testdir();
  await seed(dir, 12, 200);
  const seg = join(dir, segmentName(1));
  const buf = await readFile(seg);
  buf.fill(0xee, 4 * FRAME + 5); // LSNs 5 and 6 destroyed
  await writeFile(seg, buf);
  const { logger, lines } = captureLogger();
  const spool = await openSpool(dir, { segmentBytes: 200, logger });
  t.teardown(() => spool.close());
  t.same((await readAll(spool)).map((r) => r.lsn), [1, 2, 3, 4, 7, 8, 9, 10, 11, 12]);
  t.match(lines.find((l) => l.level === 50), { offset: 4 * FRAME, lsnGap: 2 });
});

void t.test('corrupt CRC in the middle of the last segment: reported on open, later records kept', async (t) => {
  const dir = t.testdir();
  await seed(dir, 6);
  await flipByte(join(dir, segmentName(1)), FRAME + HEADER_BYTES); // LSN 2
  const { logger, lines } = captureLogger();
  const spool = await openSpool(dir, { logger });
  t.teardown(() => spool.close());
  t.match(spool.stats(), { lastLsn: 6, corruptRegions: 1, corruptBytes: FRAME, truncatedBytes: 0 });
  t.equal(errors(lines).length, 1);
  t.equal(await spool.append(text('next')), 7);
  t.same((await readAll(spool)).map((r) => r.lsn), [1, 3, 4, 5, 6, 7]);
  t.equal(spool.stats().corruptRegions, 1, 'reading it does not count the damage found on open again');
});

void t.test('an unreadable checkpoint file means replaying everything, never less', async (t) => {
  const dir = t.testdir();
  const first = await openSpool(dir);
  await first.appendMany([text('a'), text('b'), text('c')]);
  await first.checkpoint(2);
  await first.close();
  await writeFile(join(dir, 'checkpoint'), '{"lsn": "two"');
  const { logger, lines } = captureLogger();
  const spool = await openSpool(dir, { logger });
  t.teardown(() => spool.close());
  t.equal(spool.stats().checkpointLsn, 0);
  t.same((await readAll(spool, 1)).map((r) => r.lsn), [1, 2, 3]);
  t.match(errors(lines), [/checkpoint file is unreadable/]);
});
