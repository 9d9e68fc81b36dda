import { mkdir, open, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { systemClock } from '../../core/clock.js';
import { GatewayError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { errno, writeCheckpoint } from './checkpoint-file.js';
import { CommitQueue, type Pending } from './commit-queue.js';
import { encodeFrame, frameBytes, MAX_BODY_BYTES } from './frame.js';
import { nodeIo, type SpoolIo } from './io.js';
import { readBatches, type ReaderView } from './reader.js';
import type { ScanEvent, SpoolRecord } from './scan.js';
import { damageKey, recover, segmentPath, type ActiveSegment, type Recovered, type Segment } from './segments.js';
import type { SpoolOptions, SpoolStats } from './types.js';

const MIB = 1024 * 1024;

/**
 * Write-ahead spool for readings: an append resolves only once its record is fsynced, so an
 * MQTT QoS 1 PUBACK sent after it never covers data a crash can lose. See README.md.
 */
export class Spool {
  readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly logger: Logger;
  private readonly io: SpoolIo;
  private readonly commits: CommitQueue;

  private readonly segments: Segment[];
  private active: ActiveSegment | undefined;
  private lastLsn: number;
  private checkpointLsn: number;
  private diskBytes: number;
  /** A failed write may have left bytes past the durable size; cut them before the next one. */
  private dirty = false;
  private checkpoints: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private full = false;
  private commitCount = 0;
  private corruptRegions: number;
  private corruptBytes: number;
  private readonly truncatedBytes: number;
  private readonly reported: Set<string>;

  static async open(opts: SpoolOptions): Promise<Spool> {
    if (!(opts.maxBytes > 0)) throw new GatewayError('GW_ERR_BAD_CONFIG', `spool maxBytes must be positive, got ${opts.maxBytes}`);
    const io = { ...nodeIo, ...opts.io };
    const created = await mkdir(opts.dir, { recursive: true });
    // New directories must be durable in their parents before anything in them is acknowledged.
    for (let d = opts.dir; created !== undefined; d = dirname(d)) {
      await io.syncDir(dirname(d));
      if (d === created || dirname(d) === d) break;
    }
    const spool = new Spool(opts, io, await recover(opts.dir, io, opts.logger));
    try {
      await spool.reclaim();
    } catch (err) {
      await spool.close();
      throw err;
    }
    return spool;
  }

  private constructor(opts: SpoolOptions, io: SpoolIo, rec: Recovered) {
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes;
    // Whole segments are the unit of reclaim: small ones against the quota free space sooner.
    this.segmentBytes = Math.min(opts.segmentBytes ?? 64 * MIB, Math.max(64 * 1024, Math.floor(opts.maxBytes / 8)));
    this.logger = opts.logger;
    this.io = io;
    this.commits = new CommitQueue({
      windowMs: Math.max(0, opts.commitWindowMs ?? 2),
      clock: opts.clock ?? systemClock,
      commit: (batch, records, bytes) => this.commit(batch, records, bytes),
    });
    this.segments = rec.segments;
    this.active = rec.active;
    this.lastLsn = rec.lastLsn;
    this.checkpointLsn = rec.checkpointLsn;
    this.diskBytes = rec.segments.reduce((n, s) => n + s.size, 0);
    this.corruptRegions = rec.corruptRegions;
    this.corruptBytes = rec.corruptBytes;
    this.truncatedBytes = rec.truncatedBytes;
    this.reported = new Set(rec.damaged);
  }

  /** Appends one record; resolves with its LSN once it is on disk (fdatasync done). */
  append(body: Uint8Array): Promise<number> {
    return this.enqueue([body]);
  }

  /** Appends records that share one commit and consecutive LSNs; all or none are accepted. */
  async appendMany(bodies: readonly Uint8Array[]): Promise<number[]> {
    if (bodies.length === 0) return [];
    const first = await this.enqueue(bodies);
    return bodies.map((_, i) => first + i);
  }

  private enqueue(bodies: readonly Uint8Array[]): Promise<number> {
    if (this.closing) return Promise.reject(new GatewayError('GW_ERR_NOT_READY', 'the ingest spool is closed'));
    let bytes = 0;
    for (const body of bodies) {
      if (body.length > MAX_BODY_BYTES) {
        return Promise.reject(new GatewayError('GW_ERR_PAYLOAD_TOO_LARGE', `spool record of ${body.length} bytes exceeds ${MAX_BODY_BYTES}`));
      }
      bytes += frameBytes(body.length);
    }
    if (this.diskBytes + this.commits.bytes + bytes > this.maxBytes) {
      if (!this.full) this.logger.warn({ dir: this.dir, maxBytes: this.maxBytes, bytes: this.diskBytes }, 'ingest spool is full; refusing appends');
      this.full = true;
      return Promise.reject(new GatewayError('GW_ERR_SPOOL_FULL', `ingest spool quota of ${this.maxBytes} bytes reached; readings are refused until the database catches up`));
    }
    return this.commits.push(bodies, bytes);
  }

  /** One group commit: one buffer, one pwrite, one fdatasync. Resolves with the first LSN. */
  private async commit(batch: readonly Pending[], records: number, bytes: number): Promise<number> {
    const first = this.lastLsn + 1;
    let target: ActiveSegment | undefined;
    try {
      if (!Number.isSafeInteger(first + records)) throw new RangeError('spool LSN space exhausted');
      const buf = Buffer.allocUnsafe(bytes);
      let off = 0;
      let lsn = first;
      for (const p of batch) for (const body of p.bodies) off = encodeFrame(buf, off, lsn++, body);
      target = await this.prepareSegment(first, bytes);
      this.dirty = true;
      await this.io.write(target.fh, buf, target.seg.size);
      await this.io.datasync(target.fh);
      this.dirty = false;
      target.seg.size += bytes;
      this.diskBytes += bytes;
      this.lastLsn = first + records - 1;
      this.commitCount++;
      return first;
    } catch (err) {
      this.logger.error({ err, dir: this.dir, segment: target?.seg.base, offset: target?.seg.size, firstLsn: first, records, bytes },
        'spool commit failed; its appends are rejected and nothing is acknowledged');
      throw diskFull(err) ? fullError(err) : err;
    }
  }

  /** The segment this batch goes to: cut leftovers of a failed write, roll when full. */
  private async prepareSegment(first: number, bytes: number): Promise<ActiveSegment> {
    let a = this.active;
    if (a && this.dirty) {
      await this.io.truncate(a.fh, a.seg.size);
      await this.io.datasync(a.fh);
      this.dirty = false;
    }
    if (a && a.seg.size > 0 && a.seg.size + bytes > this.segmentBytes) {
      this.active = undefined;
      await this.closeHandle(a);
      a = undefined;
    }
    if (a) return a;
    const path = segmentPath(this.dir, first);
    // 'w' truncates: a file named after an LSN not yet durable holds nothing acknowledged.
    const fh = await open(path, 'w');
    try {
      await this.io.syncDir(this.dir); // the new name must survive a crash before we ack into it
    } catch (err) {
      await fh.close();
      throw err;
    }
    const seg = { base: first, size: 0 };
    this.segments.push(seg);
    this.active = { seg, fh };
    return this.active;
  }

  /** Durable records with LSN ≥ `lsn`, in order, up to the end of the log. */
  async *readFrom(lsn: number): AsyncGenerator<SpoolRecord> {
    for await (const batch of this.readBatches(lsn)) yield* batch;
  }

  /** Like readFrom, in batches (for the database writer's multi-row inserts). */
  readBatches(lsn: number, maxRecords = 1000): AsyncGenerator<SpoolRecord[]> {
    return readBatches(this.view(), lsn, Math.max(1, maxRecords));
  }

  /** Everything not yet checkpointed: what a restart must replay into the database. */
  replay(): AsyncGenerator<SpoolRecord> {
    return this.readFrom(this.checkpointLsn + 1);
  }

  private view(): ReaderView {
    // `segments` is the live array itself: the reader must see rolls and reclaims.
    return { dir: this.dir, segments: this.segments, lastLsn: () => this.lastLsn, reportSkip: (seg, ev, gap) => this.reportSkip(seg, ev, gap) };
  }

  private reportSkip(seg: Segment, ev: Extract<ScanEvent, { kind: 'skipped' }>, lsnGap: number): void {
    const key = damageKey(seg.base, ev.offset);
    if (this.reported.has(key)) return; // readers pass the same damage again on every replay
    this.reported.add(key);
    this.corruptRegions++;
    this.corruptBytes += ev.bytes;
    this.logger.error({ segment: segmentPath(this.dir, seg.base), offset: ev.offset, bytes: ev.bytes, reason: ev.reason, lsnGap },
      'spool: damaged record(s) skipped; the readings in them are lost');
  }

  /**
   * Everything ≤ lsn is in the database. The LSN is persisted first, then whole segments at
   * or below it are deleted; a crash in between only makes the next start delete them.
   */
  checkpoint(lsn: number): Promise<void> {
    if (!Number.isSafeInteger(lsn) || lsn < 0) return Promise.reject(new RangeError(`checkpoint LSN must be a non-negative integer, got ${lsn}`));
    if (lsn > this.lastLsn) return Promise.reject(new RangeError(`checkpoint ${lsn} is past the last durable LSN ${this.lastLsn}`));
    const run = this.checkpoints.then(async () => {
      if (lsn > this.checkpointLsn) {
        await writeCheckpoint(this.dir, lsn, this.io);
        this.checkpointLsn = lsn;
      }
      await this.reclaim();
    });
    // The chain only orders checkpoints; each caller gets its own outcome through `run`.
    this.checkpoints = run.catch(() => undefined);
    return run;
  }

  /** Deletes the prefix of segments whose records are all checkpointed. */
  private async reclaim(): Promise<void> {
    while (this.segments.length > 0) {
      const seg = this.segments[0]!;
      const following = this.segments[1];
      if ((following ? following.base - 1 : this.lastLsn) > this.checkpointLsn) return;
      if (!following && this.active?.seg === seg) {
        if (this.commits.busy) return; // a commit is writing into it
        const a = this.active;
        this.active = undefined;
        this.dirty = false;
        await this.closeHandle(a);
      }
      this.segments.shift();
      this.diskBytes -= seg.size;
      try {
        await unlink(segmentPath(this.dir, seg.base));
      } catch (err) {
        if (errno(err) !== 'ENOENT') {
          this.segments.unshift(seg);
          this.diskBytes += seg.size;
          this.logger.error({ err, segment: segmentPath(this.dir, seg.base) }, 'spool: could not delete a checkpointed segment');
          throw err;
        }
      }
      this.full = false;
    }
  }

  private async closeHandle(a: ActiveSegment): Promise<void> {
    try {
      await a.fh.close();
    } catch (err) {
      // Its data was already fsynced; a failed close leaks a descriptor, nothing more.
      this.logger.warn({ err, segment: segmentPath(this.dir, a.seg.base) }, 'spool: closing a segment failed');
    }
  }

  stats(): SpoolStats {
    const records = Math.max(0, this.lastLsn - this.checkpointLsn);
    const first = this.segments[0];
    return {
      bytes: this.diskBytes + this.commits.bytes,
      records,
      queued: this.commits.records,
      segments: this.segments.length,
      oldestLsn: records > 0 ? Math.max(this.checkpointLsn + 1, first?.base ?? 0) : null,
      lastLsn: this.lastLsn,
      checkpointLsn: this.checkpointLsn,
      full: this.full,
      commits: this.commitCount,
      corruptRegions: this.corruptRegions,
      corruptBytes: this.corruptBytes,
      truncatedBytes: this.truncatedBytes,
    };
  }

  /** Writes what is queued, waits for checkpoints in progress, closes the files. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.commits.drain();
      await this.checkpoints;
      const a = this.active;
      this.active = undefined;
      if (a) await a.fh.close();
    })();
    return this.closing;
  }
}

function diskFull(err: unknown): boolean {
  const code = errno(err);
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** Disk full is the quota the operator did not set: same refusal, same alarm. */
function fullError(cause: unknown): GatewayError {
  const e = new GatewayError('GW_ERR_SPOOL_FULL', `the disk under the ingest spool is full (${errno(cause)}); readings are refused`);
  e.cause = cause;
  return e;
}
