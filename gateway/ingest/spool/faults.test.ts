import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { isGatewayError } from '../../core/errors.js';
import { frameBytes } from './frame.js';
import { captureLogger, countingIo, fsError, openSpool, readAll, text } from './fixtures/helpers.js';
import { segmentName } from './segments.js';

const FRAME = frameBytes(10); // 'record-001'
const body = (i: number): Uint8Array => text(`record-${String(i).padStart(3, '0')}`);

void t.test('quota: appends over maxBytes are refused with GW_ERR_SPOOL_FULL until a checkpoint frees space', async (t) => {
  const spool = await openSpool(t.testdir(), { maxBytes: 10 * FRAME, logger: captureLogger().logger });
  t.teardown(() => spool.close());
  for (let i = 1; i <= 8; i++) await spool.append(body(i));
  // Two more fit only counting what is queued: the third in the same turn must be refused.
  const inTurn = [spool.append(body(9)), spool.append(body(10)), spool.append(body(11))];
  await t.rejects(inTurn[2]!, { code: 'GW_ERR_SPOOL_FULL', status: 503 });
  t.same(await Promise.all(inTurn.slice(0, 2)), [9, 10]);
  await t.rejects(spool.appendMany([body(12)]), { code: 'GW_ERR_SPOOL_FULL' });
  t.match(spool.stats(), { full: true, bytes: 10 * FRAME, lastLsn: 10, records: 10 });

  await spool.checkpoint(10);
  t.match(spool.stats(), { full: false, bytes: 0 });
  t.equal(await spool.append(body(13)), 11, 'accepted again once space is reclaimed');
  t.same((await readAll(spool, 1)).map((r) => r.lsn), [11], 'refused bodies were never written');
});

void t.test('quota: appendMany is all or nothing', async (t) => {
  const spool = await openSpool(t.testdir(), { maxBytes: 5 * FRAME });
  t.teardown(() => spool.close());
  await spool.appendMany([body(1), body(2), body(3)]);
  await t.rejects(spool.appendMany([body(4), body(5), body(6)]), { code: 'GW_ERR_SPOOL_FULL' });
  t.same(await spool.appendMany([body(4), body(5)]), [4, 5]);
});

void t.test('disk full during write: the batch is refused, the partial write is cut, the next batch succeeds', async (t) => {
  const dir = t.testdir();
  const io = countingIo();
  const { logger, lines } = captureLogger();
  const spool = await openSpool(dir, { io, logger });
  t.teardown(() => spool.close());
  await spool.append(body(1));
  io.fault.write = async (fh, data, pos) => {
    io.fault.write = undefined;
    await fh.write(data, 0, 7, pos); // a short write, then the disk fills
    throw fsError('ENOSPC', 'ENOSPC: no space left on device, write');
  };
  const failed = await Promise.allSettled([spool.append(body(2)), spool.append(body(3))]);
  for (const r of failed) {
    t.equal(r.status, 'rejected');
    if (r.status === 'rejected') {
      t.ok(isGatewayError(r.reason) && r.reason.code === 'GW_ERR_SPOOL_FULL', 'disk full is reported as spool full');
      t.match((r.reason as Error).cause, { code: 'ENOSPC' });
    }
  }
  t.match(lines.find((l) => l.level === 50), { firstLsn: 2, records: 2, err: { code: 'ENOSPC' } });
  t.equal(spool.stats().lastLsn, 1);
  t.equal(await spool.append(body(4)), 2, 'the refused LSNs were never durable and are reused');
  t.equal(io.calls.truncate, 1, 'the torn bytes were cut before the next write');
  t.equal((await readFile(join(dir, segmentName(1)))).length, 2 * FRAME);
  t.same(await readAll(spool), [{ lsn: 1, body: 'record-001' }, { lsn: 2, body: 'record-004' }]);
});

void t.test('EIO from fdatasync rejects the batch with the fs error, logged with context', async (t) => {
  const dir = t.testdir();
  const io = countingIo();
  const { logger, lines } = captureLogger();
  let spool = await openSpool(dir, { io, logger });
  await spool.append(body(1));
  io.fault.datasync = () => Promise.reject(fsError('EIO', 'EIO: i/o error, fdatasync'));
  await t.rejects(spool.append(body(2)), { code: 'EIO' });
  t.match(lines.find((l) => l.level === 50), { msg: /nothing is acknowledged/, segment: 1, offset: FRAME, firstLsn: 2 });
  // Still failing: the cleanup before the next write needs an fsync too, so this is refused as well.
  await t.rejects(spool.append(body(3)), { code: 'EIO' });
  io.fault.datasync = undefined;
  t.equal(await spool.append(body(4)), 2);
  await spool.close();
  spool = await openSpool(dir);
  t.teardown(() => spool.close());
  t.same(await readAll(spool), [{ lsn: 1, body: 'record-001' }, { lsn: 2, body: 'record-004' }]);
});

void t.test('a failure creating the next segment refuses the batch and is retried by the next one', async (t) => {
  const dir = t.testdir();
  const io = countingIo();
  const spool = await openSpool(dir, { io, segmentBytes: 2 * FRAME, logger: captureLogger().logger });
  t.teardown(() => spool.close());
  await spool.appendMany([body(1), body(2)]);
  io.fault.syncDir = () => Promise.reject(fsError('EIO'));
  await t.rejects(spool.append(body(3)), { code: 'EIO' });
  io.fault.syncDir = undefined;
  t.equal(await spool.append(body(4)), 3);
  t.same((await readAll(spool)).map((r) => r.body), ['record-001', 'record-002', 'record-004']);
  t.equal(spool.stats().segments, 2);
});

void t.test('an oversized record is refused before it costs anything', async (t) => {
  const spool = await openSpool(t.testdir());
  t.teardown(() => spool.close());
  await t.rejects(spool.append(new Uint8Array(16 * 1024 * 1024 + 1)), { code: 'GW_ERR_PAYLOAD_TOO_LARGE' });
  t.equal(spool.stats().bytes, 0);
});
