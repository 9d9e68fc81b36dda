import t from 'tap';
import { ctvTypes, decodeCtvFrame, encodeCtvFrame, type CtvFrame } from './ctv.js';
import { bytesToHex, hexToBytes } from './bytes.js';
import { crc16Modbus } from './crc16.js';

const frame: CtvFrame = {
  seq: 0xbeef,
  time: 1716955200,
  records: [
    { channel: 1, type: 0x01, value: -123.45 },
    { channel: 2, type: 0x02, value: 1 },
    { channel: 3, type: 0x03, value: 65535 },
    { channel: 4, type: 0x04, value: -2147483648 },
    { channel: 5, type: 0x05, value: 23.6 },
    { channel: 6, type: 0x06, value: 255 },
    { channel: 7, type: 0x07, value: -40.5 },
    { channel: 8, type: 0x08, value: 4294967295 },
  ],
};

void t.test('round-trip every type at its edges', async (t) => {
  const bytes = encodeCtvFrame(frame);
  t.equal(bytes.length, 9 + frame.records.reduce((n, r) => n + 2 + ctvTypes[r.type].size, 0) + 2);
  const res = decodeCtvFrame(bytes);
  t.same(res, { ok: true, frame });
});

void t.test('the documented example (docs/adapters.md) byte by byte', async (t) => {
  const bytes = encodeCtvFrame({
    seq: 258,
    time: 1716955200,
    records: [
      { channel: 0x01, type: 0x01, value: 1.25 },
      { channel: 0x02, type: 0x01, value: -0.5 },
      { channel: 0x03, type: 0x02, value: 0 },
      { channel: 0x04, type: 0x03, value: 35 },
      { channel: 0x05, type: 0x02, value: 0 },
      { channel: 0x06, type: 0x06, value: 92 },
    ],
  });
  t.equal(bytesToHex(bytes), 'C70101026656A840060101007D0201FFCE0302000403002305020006065C9DFF');
  t.equal(crc16Modbus(bytes, 0, bytes.length - 2), 0xff9d, 'CRC sent low byte first: 9D FF');
});

void t.test('scaled integers decode to the nearest decimal', async (t) => {
  const res = decodeCtvFrame(encodeCtvFrame({ seq: 1, time: 0, records: [{ channel: 1, type: 0x01, value: 12.34 }, { channel: 2, type: 0x07, value: 0.3 }] }));
  t.same(res.ok && res.frame.records.map((r) => r.value), [12.34, 0.3]);
});

void t.test('encode refuses values a type cannot hold', async (t) => {
  t.throws(() => encodeCtvFrame({ seq: 1, time: 0, records: [{ channel: 1, type: 0x01, value: 400 }] }), RangeError);
  t.throws(() => encodeCtvFrame({ seq: 1, time: 0, records: [{ channel: 1, type: 0x06, value: -1 }] }), RangeError);
  t.throws(() => encodeCtvFrame({ seq: 1, time: 0, records: Array.from({ length: 256 }, () => ({ channel: 1, type: 0x02 as const, value: 0 })) }), RangeError);
});

void t.test('errors', async (t) => {
  const good = encodeCtvFrame(frame);
  const code = (b: Uint8Array) => {
    const r = decodeCtvFrame(b);
    return r.ok ? 'ok' : r.error.code;
  };
  t.equal(code(new Uint8Array(0)), 'SHORT_FRAME');
  t.equal(code(good.subarray(0, 10)), 'SHORT_FRAME', 'shorter than header + CRC');
  t.equal(code(good.subarray(0, good.length - 5)), 'SHORT_FRAME', 'cut inside the records');
  const flipped = Uint8Array.from(good);
  flipped[12] = (flipped[12] ?? 0) ^ 0x01;
  t.equal(code(flipped), 'BAD_CHECKSUM');
  t.equal(code(hexToBytes('A50101')!), 'MALFORMED', 'wrong magic');
  t.equal(code(Uint8Array.from([...good, 0x00])), 'MALFORMED', 'trailing byte');
  const unknownType = hexToBytes('C701000100000000010199000000')!;
  const c = crc16Modbus(unknownType, 0, unknownType.length - 2);
  unknownType[unknownType.length - 2] = c & 0xff;
  unknownType[unknownType.length - 1] = c >> 8;
  t.equal(code(unknownType), 'UNSUPPORTED', 'unknown type with a good CRC');
  unknownType[unknownType.length - 1] = (unknownType[unknownType.length - 1] ?? 0) ^ 0xff;
  t.equal(code(unknownType), 'BAD_CHECKSUM', 'unknown type with a bad CRC is corruption');
  const nan = encodeCtvFrame({ seq: 1, time: 0, records: [{ channel: 1, type: 0x05, value: Number.NaN }] });
  t.equal(code(nan), 'WRONG_TYPE', 'float32 NaN is not a reading');
  const r = decodeCtvFrame(flipped);
  t.match(!r.ok && r.error, { field: /^byte \d+$/, message: /CRC-16 is 0x[0-9a-f]{4}, computed 0x[0-9a-f]{4}/ });
});
