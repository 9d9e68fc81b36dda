import { open, type FileHandle } from 'node:fs/promises';

/**
 * The few file operations on the commit path, behind a seam so that tests can count fsyncs
 * and inject disk-full or EIO failures without mocking `node:fs`.
 */
export interface SpoolIo {
  /** Writes all of `data` at `position` (pwrite; loops over short writes). */
  write(fh: FileHandle, data: Buffer, position: number): Promise<void>;
  /** fdatasync: data plus the metadata needed to read it back (the file size). */
  datasync(fh: FileHandle): Promise<void>;
  truncate(fh: FileHandle, size: number): Promise<void>;
  /** fsync a directory so that a created, renamed or deleted entry is durable. */
  syncDir(dir: string): Promise<void>;
}

export const nodeIo: SpoolIo = {
  async write(fh, data, position) {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
      if (bytesWritten <= 0) throw new Error(`write returned ${bytesWritten} at offset ${position + done}`);
      done += bytesWritten;
    }
  },
  datasync: (fh) => fh.datasync(),
  truncate: (fh, size) => fh.truncate(size),
  async syncDir(dir) {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
};
