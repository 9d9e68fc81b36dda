import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { GatewayError } from '../core/errors.js';

/**
 * One process per embedded database directory: two PGlite instances on the same files corrupt
 * them. The lock is a file holding the owner's pid, created exclusively; a lock whose process is
 * gone (a crash) is taken over.
 */
export function lockDirectory(lockFile: string, what: string): { release(): void } {
  mkdirSync(dirname(lockFile), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          rmSync(lockFile, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(readFileSync(lockFile, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && alive(owner)) {
        throw new GatewayError('GW_ERR_LOCKED', `${what} is in use by process ${owner} (a running gateway?). Stop it first, or work through its HTTP API (for a backtest: POST /api/v1/rules/backtests).`);
      }
      rmSync(lockFile, { force: true }); // stale: its process is gone
    }
  }
  throw new GatewayError('GW_ERR_LOCKED', `${what} is locked by ${lockFile} and the lock could not be taken over`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
