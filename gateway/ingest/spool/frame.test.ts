import t from 'tap';
import { crc32, crc32Portable } from './crc32.js';
import { encodeFrame, frameBytes, HEADER_BYTES, parseFrame, resync } from './frame.js';

void t.test('crc32: native and table versions agree on the check value', async (t) => {
  const check = Buffer.from('123456789');
  t.equal(crc32(check), 0xcbf43926);
  t.equal(crc32Portable(check), 0xcbf43926);
  const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff));
  t.equal(crc32Portable(data.subarray(500), crc32Portable(data.subarray(0, 500))), crc32(data));
});

function frames(...records: Array<[number, string]>): Buffer {
  const buf = Buffer.alloc(records.reduce((n, [, s]) => n + frameBytes(Buffer.byteLength(s)), 0));
  let off = 0;
  for (const [lsn, s] of records) off = encodeFrame(buf, off, lsn, Buffer.from(s));
  return buf;
}

void t.test('frame round-trip, including an LSN above 2^32', async (t) => {
  const big = 2 ** 40 + 7;
  const buf = frames([1, 'hello'], [big, '水位 1.25 m']);
  const a = parseFrame(buf, 0, 1);
  t.equal(a.kind, 'record');
  if (a.kind !== 'record') return;
  t.equal(a.lsn, 1);
  t.equal(a.body.toString(), 'hello');
  const b = parseFrame(buf, a.end, 2);
  t.equal(b.kind === 'record' && b.lsn, big);
  t.equal(b.kind === 'record' && b.body.toString(), '水位 1.25 m');
});

void t.test('frame damage is told apart from a short read', async (t) => {
  const buf = frames([5, 'payload']);
  t.match(parseFrame(buf.subarray(0, 10), 0, 1), { kind: 'short', need: HEADER_BYTES });
  t.match(parseFrame(buf.subarray(0, HEADER_BYTES + 2), 0, 1), { kind: 'short', need: HEADER_BYTES + 7 });
  t.match(parseFrame(buf, 0, 6), { kind: 'bad', reason: 'lsn order' });
  const flipped = Buffer.from(buf);
  flipped[HEADER_BYTES + 3]! ^= 0x01;
  t.match(parseFrame(flipped, 0, 1), { kind: 'bad', reason: 'crc' });
  const lengthFlip = Buffer.from(buf);
  lengthFlip[8]! ^= 0x02;
  t.not(parseFrame(lengthFlip, 0, 1).kind, 'record');
  t.match(parseFrame(Buffer.from('garbage garbage garbage'), 0, 1), { kind: 'bad', reason: 'magic' });
});

void t.test('resync finds the next valid record after damage', async (t) => {
  const good = frames([1, 'one'], [2, 'two'], [3, 'three']);
  const second = frameBytes(3);
  good[HEADER_BYTES + 1]! ^= 0xff; // damage record 1's body
  t.equal(resync(good, 1, 1), second);
  t.equal(resync(good, 1, 3), second + frameBytes(3), 'a record below minLsn is no match');
  t.equal(resync(Buffer.alloc(100), 0, 1), -1);
});
