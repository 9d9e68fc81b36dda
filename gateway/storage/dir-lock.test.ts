import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockDirectory } from './dir-lock.js';

const dir = mkdtempSync(join(tmpdir(), 'cityops-lock-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('one holder at a time; released, it can be taken again', async (t) => {
  const file = join(dir, 'a.lock');
  const held = lockDirectory(file, 'the embedded database in /x');
  t.throws(() => lockDirectory(file, 'the embedded database in /x'), { code: 'GW_ERR_LOCKED', message: new RegExp(`in use by process ${process.pid}.*POST /api/v1/rules/backtests`) });
  held.release();
  t.notOk(existsSync(file), 'the lock file is removed');
  lockDirectory(file, 'x').release();
});

t.test('a lock left by a process that is gone is taken over', async (t) => {
  const file = join(dir, 'b.lock');
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  writeFileSync(file, gone);
  const held = lockDirectory(file, 'x');
  t.pass('taken over');
  held.release();
});
