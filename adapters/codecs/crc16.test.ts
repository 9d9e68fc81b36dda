import t from 'tap';
import { crc16Modbus } from './crc16.js';
import { hexToBytes } from './bytes.js';

void t.test('CRC-16/MODBUS check value', async (t) => {
  t.equal(crc16Modbus(new TextEncoder().encode('123456789')), 0x4b37);
  t.equal(crc16Modbus(new Uint8Array(0)), 0xffff, 'init value on empty input');
});

void t.test('Modbus RTU request: read holding registers 01 03 0000 000A → CRC C5CD (sent CD C5)', async (t) => {
  t.equal(crc16Modbus(hexToBytes('01030000000A')!), 0xcdc5);
});

void t.test('SL 651 frames published with the standard\'s tutorials carry this CRC, high byte first', async (t) => {
  for (const hex of [
    '7E7E01001234567812342F0008020003591011155111036BCA',
    '7E7E05001122334403E832002B020034170718110016F1F1001122334448F0F01707181100201900004026190000403923000104903812109903A421',
  ]) {
    const b = hexToBytes(hex)!;
    t.equal(crc16Modbus(b, 0, b.length - 2), ((b[b.length - 2] ?? 0) << 8) | (b[b.length - 1] ?? 0), hex.slice(0, 24));
  }
});

void t.test('start/end select a range', async (t) => {
  const b = new TextEncoder().encode('xx123456789yy');
  t.equal(crc16Modbus(b, 2, 11), 0x4b37);
});
