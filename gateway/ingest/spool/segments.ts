import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../core/log.js';
import { readCheckpoint } from './checkpoint-file.js';
import type { SpoolIo } from './io.js';
import { scanSegment } from './scan.js';

/** One segment file, named after the LSN of its first record. */
export interface Segment {
  base: number;
  /** Bytes known durable (for the active segment: up to the last completed fsync). */
  size: number;
}

export interface ActiveSegment {
  seg: Segment;
  fh: FileHandle;
}

// 16 digits hold any LSN below 2^53 and keep the names in sorting order.
const NAME = /^(\d{16})\.seg$/;

export function segmentName(base: number): string {
  return `${String(base).padStart(16, '0')}.seg`;
}

export function segmentPath(dir: string, base: number): string {
  return join(dir, segmentName(base));
}

/** Identifies one damaged region, so that it is reported once however often it is read. */
export function damageKey(base: number, offset: number): string {
  return `${base}:${offset}`;
}

export interface Recovered {
  checkpointLsn: number;
  /** The highest LSN ever made durable (or checkpointed): new LSNs continue after it. */
  lastLsn: number;
  segments: Segment[];
  active: ActiveSegment | undefined;
  truncatedBytes: number;
  corruptRegions: number;
  corruptBytes: number;
  /** damageKey of each region reported here, so that readers do not count it again. */
  damaged: string[];
}

/**
 * Opens a spool directory after a clean stop or a crash. Only the last segment can hold a
 * torn write (older ones were fsynced before the next was created), so only it is scanned:
 * start-up costs one segment, not the whole backlog. Invalid bytes with no valid record after
 * them are a torn tail and are cut off; those records were never acknowledged.
 */
export async function recover(dir: string, io: SpoolIo, logger: Logger): Promise<Recovered> {
  const checkpointLsn = await readCheckpoint(dir, logger);
  const bases = (await readdir(dir))
    .map((name) => NAME.exec(name)?.[1])
    .filter((b): b is string => b !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  const segments: Segment[] = [];
  for (const base of bases.slice(0, -1)) segments.push({ base, size: (await stat(segmentPath(dir, base))).size });

  const out: Recovered = { checkpointLsn, lastLsn: checkpointLsn, segments, active: undefined, truncatedBytes: 0, corruptRegions: 0, corruptBytes: 0, damaged: [] };
  const lastBase = bases.at(-1);
  if (lastBase === undefined) return out;

  const path = segmentPath(dir, lastBase);
  const fh = await open(path, 'r+');
  try {
    const { size } = await fh.stat();
    let validEnd = 0;
    let lastLsn = lastBase - 1;
    for await (const ev of scanSegment(fh, { start: 0, end: size, minLsn: lastBase })) {
      if (ev.kind === 'records') {
        validEnd = ev.end;
        lastLsn = ev.records.at(-1)?.lsn ?? lastLsn;
      } else if (ev.resumeLsn !== undefined) {
        out.corruptRegions++;
        out.corruptBytes += ev.bytes;
        out.damaged.push(damageKey(lastBase, ev.offset));
        logger.error({ segment: path, offset: ev.offset, bytes: ev.bytes, reason: ev.reason, resumeLsn: ev.resumeLsn },
          'spool segment has a damaged record followed by valid ones; skipping the damaged bytes');
      } else {
        out.truncatedBytes = ev.bytes;
        logger.warn({ segment: path, offset: ev.offset, bytes: ev.bytes, reason: ev.reason, lastLsn },
          'spool: cutting off a torn tail left by a crash (never acknowledged)');
      }
    }
    if (validEnd < size) {
      await io.truncate(fh, validEnd);
      await io.datasync(fh);
    }
    const seg = { base: lastBase, size: validEnd };
    segments.push(seg);
    out.active = { seg, fh };
    out.lastLsn = Math.max(checkpointLsn, lastLsn);
    return out;
  } catch (err) {
    await fh.close();
    throw err;
  }
}
