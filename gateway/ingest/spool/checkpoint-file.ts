import { open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../core/log.js';
import type { SpoolIo } from './io.js';

export const CHECKPOINT_FILE = 'checkpoint';
const TMP_FILE = 'checkpoint.tmp';

function errno(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/** The persisted checkpoint LSN; 0 when there is none yet. */
export async function readCheckpoint(dir: string, logger: Logger): Promise<number> {
  await unlink(join(dir, TMP_FILE)).catch((err: unknown) => {
    if (errno(err) !== 'ENOENT') throw err; // a leftover temp file is an interrupted write
  });
  let text: string;
  try {
    text = await readFile(join(dir, CHECKPOINT_FILE), 'utf8');
  } catch (err) {
    if (errno(err) === 'ENOENT') return 0;
    throw err;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'lsn' in parsed) {
      const lsn = parsed.lsn;
      if (typeof lsn === 'number' && Number.isSafeInteger(lsn) && lsn >= 0) return lsn;
    }
  } catch {
    // fall through: reported below
  }
  // Replaying more than needed is harmless (the DB write is idempotent); refusing to start is not.
  logger.error({ dir, content: text.slice(0, 200) }, 'spool checkpoint file is unreadable; replaying every segment on disk');
  return 0;
}

/** Atomic replace: write temp, fsync, rename over the old file, fsync the directory. */
export async function writeCheckpoint(dir: string, lsn: number, io: SpoolIo): Promise<void> {
  const tmp = join(dir, TMP_FILE);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(`${JSON.stringify({ version: 1, lsn })}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, CHECKPOINT_FILE));
  await io.syncDir(dir);
}

export { errno };
