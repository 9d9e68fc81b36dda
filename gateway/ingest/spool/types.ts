import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { SpoolIo } from './io.js';

export interface SpoolOptions {
  /** Directory of segment files, e.g. `{dataDir}/spool`; one process owns it. */
  dir: string;
  /** Quota: bytes of segment files on disk plus bytes accepted but not yet written. */
  maxBytes: number;
  /** Roll to a new segment past this size (default 64 MiB; capped at maxBytes/8, floor 64 KiB). */
  segmentBytes?: number;
  /** Group-commit window after the first waiting append (default 2 ms; 0 = next I/O turn). */
  commitWindowMs?: number;
  logger: Logger;
  clock?: Clock;
  /** File operations on the commit path; tests wrap them to count fsyncs or inject faults. */
  io?: Partial<SpoolIo>;
}

export interface SpoolStats {
  /** Bytes counted against the quota: retained segment files plus appends not yet written. */
  bytes: number;
  /** Durable records not yet checkpointed (an LSN range; a damaged region may make it high). */
  records: number;
  /** Appends waiting for or inside the current commit. */
  queued: number;
  segments: number;
  oldestLsn: number | null;
  lastLsn: number;
  checkpointLsn: number;
  /** An append was refused for the quota and no space has been reclaimed since. */
  full: boolean;
  /** Completed group commits, each one write and one fdatasync. */
  commits: number;
  corruptRegions: number;
  corruptBytes: number;
  /** Torn-tail bytes cut off when the spool was opened. */
  truncatedBytes: number;
}
