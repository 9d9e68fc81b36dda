import t from 'tap';
import { decodeSl651, encodeSl651, sl651Function } from './sl651.js';
import { bytesToHex, hexToBytes } from './bytes.js';
import { crc16Modbus } from './crc16.js';

// Frames published with SL 651-2014 tutorials (HEX mode); the CRCs are the senders' own.
const published = {
  linkKeep: '7E7E01001234567812342F0008020003591011155111036BCA',
  test: '7E7E010012345678123430002B020003591011154947F1F1001234567848F0F0591011154920190000052619000005392300000127381211150320FA',
  timed: '7E7E05001122334403E832002B020034170718110016F1F1001122334448F0F01707181100201900004026190000403923000104903812109903A421',
};

const decode = (hex: string) => decodeSl651(hexToBytes(hex)!);

void t.test('published frames decode', async (t) => {
  t.match(decode(published.linkKeep), { ok: true, frame: { center: 1, station: '0012345678', password: 0x1234, functionCode: 0x2f, serial: 3, groups: [] } });
  const test = decode(published.test);
  t.match(test, { ok: true, frame: { functionCode: 0x30, stationType: 0x48 } });
  t.same(test.ok && test.frame.groups[0]?.elements, [
    { id: 0x20, value: 0.5 },
    { id: 0x26, value: 0.5 },
    { id: 0x39, value: 0.127 },
    { id: 0x38, value: 11.15 },
  ]);
  const timed = decode(published.timed);
  t.match(timed, { ok: true, frame: { center: 5, station: '0011223344', password: 0x03e8, functionCode: 0x32, serial: 0x34 } });
  if (timed.ok) {
    t.equal(timed.frame.sendTime, Date.parse('2017-07-18T11:00:16+08:00'), 'send time is Beijing time');
    t.equal(timed.frame.groups[0]?.time, Date.parse('2017-07-18T11:00:00+08:00'), 'F0F0 observation time');
    t.same(timed.frame.groups[0]?.elements.map((e) => e.value), [4, 4, 10.49, 10.99]);
  }
});

void t.test('encode reproduces a published frame byte for byte', async (t) => {
  const bytes = encodeSl651({
    functionCode: sl651Function.timed,
    center: 0x05,
    station: '0011223344',
    password: 0x03e8,
    serial: 0x34,
    sendTime: Date.parse('2017-07-18T11:00:16+08:00'),
    observationTime: Date.parse('2017-07-18T11:00:00+08:00'),
    elements: [
      { id: 0x20, value: 4 },
      { id: 0x26, value: 4 },
      { id: 0x39, value: 10.49 },
      { id: 0x38, value: 10.99 },
    ],
  });
  t.equal(bytesToHex(bytes), published.timed);
  const hb = encodeSl651({ functionCode: sl651Function.linkKeep, station: '0012345678', password: 0x1234, serial: 3, sendTime: Date.parse('2059-10-11T15:51:11+08:00') });
  t.equal(bytesToHex(hb), published.linkKeep);
});

void t.test('encode → decode round-trip, negative level and extra report', async (t) => {
  const when = Date.parse('2024-05-29T12:00:00+08:00');
  const bytes = encodeSl651({
    functionCode: sl651Function.extra,
    station: '0012345678',
    serial: 65535,
    sendTime: when + 35_000,
    observationTime: when,
    stationType: 0x54,
    elements: [{ id: 0x39, value: -2.5 }, { id: 0x20, value: 0 }, { id: 0x38, value: 3.3 }],
  });
  const res = decodeSl651(bytes);
  t.match(res, { ok: true, frame: { functionCode: 0x33, serial: 65535, stationType: 0x54, sendTime: when + 35_000 } });
  t.same(res.ok && res.frame.groups, [{ time: when, elements: [{ id: 0x39, value: -2.5 }, { id: 0x20, value: 0 }, { id: 0x38, value: 3.3 }] }]);
  t.throws(() => encodeSl651({ functionCode: 0x32, station: '12', serial: 1, sendTime: when }), RangeError);
  t.throws(() => encodeSl651({ functionCode: 0x32, station: '0012345678', serial: 1, sendTime: when, elements: [{ id: 0x38, value: 100 }] }), RangeError, 'VT holds 4 digits');
});

void t.test('errors', async (t) => {
  const code = (hex: string) => {
    const r = decode(hex);
    return r.ok ? 'ok' : r.error.code;
  };
  const timed = published.timed;
  t.equal(code(''), 'SHORT_FRAME');
  t.equal(code('7E7E0100'), 'SHORT_FRAME');
  t.equal(code(timed.slice(0, -2)), 'SHORT_FRAME', 'last CRC byte missing');
  t.equal(code(timed.slice(0, -4) + 'A422'), 'BAD_CHECKSUM');
  t.equal(code(timed.replace('3923000104903812', '3923000105903812')), 'BAD_CHECKSUM', 'a value byte flipped');
  t.equal(code(timed + '00'), 'MALFORMED', 'trailing byte after a good frame');
  t.equal(code('0130'), 'UNSUPPORTED', 'ASCII mode');
  t.equal(code('7F7F'), 'MALFORMED');
  // A downlink frame: direction nibble 8 (center's reply to the timed report).
  t.equal(code('7E7E00112233440503E83280080200341707181100161BE5D4'), 'UNSUPPORTED');
  const r = decode(timed.slice(0, -4) + 'A422');
  t.match(!r.ok && r.error.message, /CRC-16 is A422H, computed A421H/);
});

void t.test('element values: bad BCD and the invalid-data marker', async (t) => {
  const when = Date.parse('2024-05-29T12:00:00+08:00');
  const base = encodeSl651({ functionCode: 0x32, station: '0012345678', serial: 1, sendTime: when, elements: [{ id: 0x39, value: 1 }] });
  const z = bytesToHex(base).indexOf('3923') / 2 + 2;
  /** The frame with Z's four bytes replaced and the CRC redone, so only the element is wrong. */
  const withZ = (fill: number[]) => {
    const b = Uint8Array.from(base);
    b.set(fill, z);
    const c = crc16Modbus(b, 0, b.length - 2);
    b[b.length - 2] = c >> 8;
    b[b.length - 1] = c & 0xff;
    return decodeSl651(b);
  };
  t.match(withZ([0x00, 0x0a, 0x00, 0x00]), { ok: false, error: { code: 'MALFORMED', field: `byte ${z}` } }, 'nibble A is not BCD');
  for (const marker of [0xaa, 0xff]) {
    const r = withZ([marker, marker, marker, marker]);
    t.same(r.ok && r.frame.groups[0]?.elements, [{ id: 0x39, value: null }], `${marker.toString(16)}H marker → null, not 0`);
  }
});
