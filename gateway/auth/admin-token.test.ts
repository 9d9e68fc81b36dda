import t from 'tap';
import { readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { memoryLogger, testConfig } from '../http/test-support.js';
import { adminTokenFile, ensureAdminToken } from './admin-token.js';

void t.test('a token from the configuration wins', async (t) => {
  const { logger, lines } = memoryLogger();
  const dataDir = t.testdir();
  const token = await ensureAdminToken({ config: { dataDir, auth: { adminToken: 'configured-token-1234567' } }, logger });
  t.equal(token, 'configured-token-1234567');
  t.throws(() => statSync(join(dataDir, adminTokenFile)), { code: 'ENOENT' }, 'no file written');
  t.notMatch(lines.join(''), token);
  t.notMatch(lines.join(''), /short/);
  await ensureAdminToken({ config: { dataDir, auth: { adminToken: 'admin' } }, logger });
  t.match(lines.join(''), /token is short/, 'a weak configured token is warned about');
});

void t.test('generated once into dataDir/admin-token with mode 0600, then reused', async (t) => {
  const { logger, lines } = memoryLogger();
  const dataDir = join(t.testdir(), 'nested', 'data');
  const config = { ...testConfig(), dataDir };
  const first = await ensureAdminToken({ config, logger });
  t.match(first, /^coa_[A-Za-z0-9_-]{43}$/);
  const file = join(dataDir, adminTokenFile);
  t.equal(statSync(file).mode & 0o777, 0o600);
  t.equal(readFileSync(file, 'utf8').trim(), first);
  t.match(lines.join(''), file, 'the log says where the token is');
  t.notMatch(lines.join(''), first, 'but never the token');
  t.equal(await ensureAdminToken({ config, logger }), first, 'the next start reads the same token');
});

void t.test('a token file readable by others is tightened; an empty one is refused', async (t) => {
  const { logger } = memoryLogger();
  const dataDir = t.testdir({ [adminTokenFile]: 'a-hand-written-token-0123\n' });
  const file = join(dataDir, adminTokenFile);
  chmodSync(file, 0o644);
  t.equal(await ensureAdminToken({ config: { dataDir, auth: { adminToken: '' } }, logger }), 'a-hand-written-token-0123');
  t.equal(statSync(file).mode & 0o777, 0o600);
  writeFileSync(file, '\n');
  await t.rejects(ensureAdminToken({ config: { dataDir, auth: { adminToken: '' } }, logger }), /no usable token/);
});
