import t from 'tap';
import { displayPrefix, hashPassword, newSecret, safeEqual, verifyPassword } from './secrets.js';

void t.test('scrypt password hashes', async (t) => {
  const h = await hashPassword('城运中心 password');
  t.match(h, /^scrypt\$N=16384,r=8,p=1\$/);
  t.ok(await verifyPassword('城运中心 password', h));
  t.notOk(await verifyPassword('城运中心 passwore', h));
  t.notOk(await verifyPassword('x', 'not a hash'));
  t.not(await hashPassword('same'), await hashPassword('same'), 'salted');
  // Parameters are read from the stored string, so older or stronger settings still verify.
  const cheap = h.replace('N=16384', 'N=1024');
  t.notOk(await verifyPassword('城运中心 password', cheap), 'a different N gives a different hash');
});

void t.test('secrets and comparison', async (t) => {
  const a = newSecret('cok_');
  t.match(a, /^cok_[A-Za-z0-9_-]{43}$/);
  t.not(a, newSecret('cok_'));
  t.equal(displayPrefix(a), a.slice(0, 10));
  t.ok(safeEqual('abc', 'abc'));
  t.notOk(safeEqual('abc', 'abcd'));
  t.notOk(safeEqual('', 'x'));
});
