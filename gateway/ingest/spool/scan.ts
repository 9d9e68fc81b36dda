import type { FileHandle } from 'node:fs/promises';
import { parseFrame, resync } from './frame.js';

export interface SpoolRecord {
  lsn: number;
  body: Buffer;
}

export type ScanEvent =
  /** Valid records in file order; `end` is the file offset just past the last one. */
  | { kind: 'records'; records: SpoolRecord[]; end: number }
  /**
   * Bytes that do not frame a valid record. `resumeLsn` is the LSN of the valid record found
   * after them, or undefined when nothing valid follows up to the end of the range.
   */
  | { kind: 'skipped'; offset: number; bytes: number; reason: string; resumeLsn: number | undefined };

export interface ScanOptions {
  /** File offset of the first record to read, and the end of the range. */
  start: number;
  end: number;
  /** LSN the first record must reach; LSNs only grow inside a segment. */
  minLsn: number;
  chunkBytes?: number;
}

const DEFAULT_CHUNK = 1024 * 1024;

/** Reads up to `length` bytes at `position`; shorter only at end of file. */
export async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  // A fresh buffer per read: yielded bodies are views into it and must stay valid.
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === length ? buf : buf.subarray(0, got);
}

/**
 * Walks one segment's records in chunks. A bad frame is skipped up to the next valid record
 * (found by resync), so one damaged record does not cost the rest of the segment; callers
 * decide what a skip means (torn tail at open, corruption otherwise).
 */
export async function* scanSegment(fh: FileHandle, opts: ScanOptions): AsyncGenerator<ScanEvent> {
  const chunk = opts.chunkBytes ?? DEFAULT_CHUNK;
  let end = opts.end;
  let pos = opts.start; // file offset of buf[0]
  let buf: Buffer = Buffer.alloc(0);
  let off = 0;
  let minLsn = opts.minLsn;
  let batch: SpoolRecord[] = [];

  while (pos + off < end) {
    const at = pos + off;
    const p = parseFrame(buf, off, minLsn);
    if (p.kind === 'record') {
      batch.push({ lsn: p.lsn, body: p.body });
      off = p.end;
      minLsn = p.lsn + 1;
      continue;
    }
    if (batch.length > 0) {
      yield { kind: 'records', records: batch, end: at };
      batch = [];
    }
    if (p.kind === 'short' && at + p.need <= end) {
      const want = Math.min(end - at, Math.max(chunk, p.need));
      buf = await readAt(fh, at, want);
      if (buf.length < want) end = at + buf.length; // the file is shorter than we were told
      pos = at;
      off = 0;
      continue;
    }
    const reason = p.kind === 'bad' ? p.reason : 'truncated record';
    const rest = await readAt(fh, at, end - at);
    const found = resync(rest, 1, minLsn);
    if (found === -1) {
      yield { kind: 'skipped', offset: at, bytes: rest.length, reason, resumeLsn: undefined };
      return;
    }
    const next = parseFrame(rest, found, minLsn);
    yield { kind: 'skipped', offset: at, bytes: found, reason, resumeLsn: next.kind === 'record' ? next.lsn : undefined };
    buf = rest;
    pos = at;
    off = found;
  }
  if (batch.length > 0) yield { kind: 'records', records: batch, end: pos + off };
}
