import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Spool, SpoolRecord } from './spool/index.js';
import { decodeRecord, type DeadLetterRow, type IngestRecord, type ReadingRow } from './record.js';

/** Where drained batches go: the database (gateway/storage/readings-writer.ts). Idempotent. */
export interface IngestSink {
  write(rows: ReadingRow[], dead: DeadLetterRow[]): Promise<void>;
}

export interface DrainOptions {
  spool: Spool;
  sink: IngestSink;
  clock: Clock;
  logger: Logger;
  batchMaxRows: number;
  batchMaxWaitMs: number;
  /** Records held in memory for the writer; past this the writer reads them back from the spool. */
  maxQueuedRecords?: number;
  onBatch?: (info: { rows: number; dead: number; seconds: number }) => void;
  onFailure?: (err: Error, attempt: number) => void;
  onRecovered?: () => void;
  /** False for errors a retry cannot fix (bad data): the batch is then split to set the bad rows aside. */
  isRetryable?: (err: unknown) => boolean;
}

/**
 * Moves spooled records into the database in LSN order, then checkpoints the spool.
 *
 * Records just appended are handed over in memory (`offer`), so the normal path never reads the
 * spool back. When the database is slow or down the memory queue fills; records past its bound,
 * and everything found in the spool at start, are read back from disk instead. The spool stays
 * the source of truth either way: the checkpoint moves only after the database committed.
 */
export class Drainer {
  private readonly queued = new Map<number, IngestRecord>();
  private queuedRows = 0;
  /** Records up to this LSN must be read from the spool (replay at start, queue overflow). */
  private diskUpTo: number;
  private nextLsn: number;
  private wake: (() => void) | undefined;
  /** What the loop is sleeping for: new records at all ('idle'), or more to fill a batch ('fill'). */
  private waitingFor: 'idle' | 'fill' | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  private readonly maxQueued: number;
  private failing = false;
  private reader: { gen: AsyncGenerator<SpoolRecord[]>; next: number } | undefined;

  constructor(private readonly o: DrainOptions) {
    const s = o.spool.stats();
    this.nextLsn = s.checkpointLsn + 1;
    this.diskUpTo = s.lastLsn;
    this.maxQueued = o.maxQueuedRecords ?? 100_000;
  }

  /** The LSN of the next record the database has not got. */
  get pendingFrom(): number {
    return this.nextLsn;
  }

  offer(lsn: number, record: IngestRecord): void {
    if (lsn < this.nextLsn) return;
    if (this.queued.size >= this.maxQueued) {
      this.diskUpTo = Math.max(this.diskUpTo, lsn);
    } else {
      this.queued.set(lsn, record);
      this.queuedRows += record.rows.length + record.dead.length;
    }
    if (this.queuedRows >= this.o.batchMaxRows || this.waitingFor === 'idle') this.poke();
  }

  start(): void {
    this.running ??= this.loop().catch((e: Error) => this.o.logger.error({ err: e.message, stack: e.stack }, 'ingest drain loop stopped'));
  }

  /** Stops after the batch in flight; what is left stays in the spool for the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.poke();
    await this.running;
    await this.dropReader();
  }

  /** Resolves when everything offered so far has reached the database (tests, shutdown). */
  async idle(upTo = this.o.spool.stats().lastLsn): Promise<void> {
    while (this.nextLsn <= upTo && !this.stopping) await new Promise((r) => setTimeout(r, 5));
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private sleep(ms: number, waitingFor: 'idle' | 'fill' | undefined = undefined): Promise<void> {
    this.waitingFor = waitingFor;
    return new Promise<void>((resolve) => {
      const timer = this.o.clock.setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        this.o.clock.clearTimeout(timer);
        resolve();
      };
    }).finally(() => {
      this.waitingFor = undefined;
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const batch = await this.nextBatch();
      if (!batch) continue;
      await this.writeWithRetry(batch);
      if (this.stopping && !batch.written) break;
      for (let l = batch.first; l <= batch.last; l++) this.dropQueued(l);
      // A failed checkpoint only means a longer replay after a restart (the writes are
      // idempotent); the next batch's checkpoint covers this one too.
      await this.o.spool.checkpoint(batch.last).catch((e: Error) => this.o.logger.warn({ lsn: batch.last, err: e.message }, 'spool checkpoint failed; will retry with the next batch'));
      this.nextLsn = batch.last + 1;
    }
  }

  /** Collects the next run of records from memory or disk, waiting (up to batchMaxWaitMs) to fill a batch. */
  private async nextBatch(): Promise<{ first: number; last: number; rows: ReadingRow[]; dead: DeadLetterRow[]; written?: boolean } | undefined> {
    if (this.nextLsn <= this.diskUpTo) return this.readDisk();
    if (!this.queued.has(this.nextLsn)) {
      // Nothing new yet, or the LSN's record failed to reach memory: check the spool.
      if (this.o.spool.stats().lastLsn >= this.nextLsn && !this.queued.has(this.nextLsn)) {
        await this.sleep(1);
        if (!this.queued.has(this.nextLsn) && this.o.spool.stats().lastLsn >= this.nextLsn) this.diskUpTo = Math.max(this.diskUpTo, this.nextLsn);
        return undefined;
      }
      await this.sleep(1000, 'idle');
      return undefined;
    }
    if (this.queuedRows < this.o.batchMaxRows) await this.sleep(this.o.batchMaxWaitMs, 'fill');
    const rows: ReadingRow[] = [];
    const dead: DeadLetterRow[] = [];
    let lsn = this.nextLsn;
    for (let rec = this.queued.get(lsn); rec && rows.length + dead.length < this.o.batchMaxRows; rec = this.queued.get(++lsn)) {
      for (const r of rec.rows) rows.push(r);
      for (const d of rec.dead) dead.push(d);
    }
    return { first: this.nextLsn, last: lsn - 1, rows, dead };
  }

  /**
   * Reads the next run of records back from the spool. One reader is kept across batches while
   * the drain works through a backlog: starting a new one per batch would rescan the segment
   * from its start every time (quadratic in the backlog).
   */
  private async readDisk(): Promise<{ first: number; last: number; rows: ReadingRow[]; dead: DeadLetterRow[] } | undefined> {
    if (!this.reader || this.reader.next !== this.nextLsn) {
      await this.dropReader();
      this.reader = { gen: this.o.spool.readBatches(this.nextLsn, this.o.batchMaxRows), next: this.nextLsn };
    }
    const step = await this.reader.gen.next();
    if (step.done) {
      await this.dropReader();
      // The reader reached the durable end without these LSNs: a damaged region the spool
      // skipped (and reported). Move past it rather than wait for records that cannot come.
      if (this.nextLsn <= this.diskUpTo) {
        this.o.logger.error({ from: this.nextLsn, to: this.diskUpTo }, 'spool records missing (damaged region); skipped');
        this.nextLsn = this.diskUpTo + 1;
      }
      return undefined;
    }
    const rows: ReadingRow[] = [];
    const dead: DeadLetterRow[] = [];
    let last = this.nextLsn - 1;
    for (const r of step.value) {
      if (r.lsn > this.diskUpTo && !this.queued.has(r.lsn)) this.diskUpTo = r.lsn; // still not in memory
      last = r.lsn;
      try {
        const rec = decodeRecord(r.body);
        for (const x of rec.rows) rows.push(x);
        for (const d of rec.dead) dead.push(d);
      } catch (e) {
        this.o.logger.error({ lsn: r.lsn, err: (e as Error).message }, 'spool record unreadable; skipped');
      }
    }
    if (last < this.nextLsn) return undefined;
    this.reader.next = last + 1;
    return { first: this.nextLsn, last, rows, dead };
  }

  private async dropReader(): Promise<void> {
    const r = this.reader;
    this.reader = undefined;
    await r?.gen.return(undefined);
  }

  private async writeWithRetry(batch: { rows: ReadingRow[]; dead: DeadLetterRow[]; written?: boolean }): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const t0 = process.hrtime.bigint();
      try {
        if (batch.rows.length > 0 || batch.dead.length > 0) await this.o.sink.write(batch.rows, batch.dead);
        batch.written = true;
        this.o.onBatch?.({ rows: batch.rows.length, dead: batch.dead.length, seconds: Number(process.hrtime.bigint() - t0) / 1e9 });
        if (this.failing) {
          this.failing = false;
          this.o.logger.info({ attempts: attempt }, 'database writes recovered; draining the spool');
          this.o.onRecovered?.();
        }
        return;
      } catch (e) {
        const err = e as Error;
        if (this.o.isRetryable && !this.o.isRetryable(e)) {
          await this.isolate(batch.rows, batch.dead, err);
          batch.written = true;
          return;
        }
        if (!this.failing) this.o.logger.warn({ err: err.message }, 'database write failed; readings stay in the spool and are retried');
        this.failing = true;
        this.o.onFailure?.(err, attempt);
        if (this.stopping) return;
        // Exponential backoff with full jitter, 50 ms .. 5 s.
        const cap = Math.min(5000, 50 * 2 ** Math.min(attempt, 7));
        await this.sleep(Math.round(cap / 2 + (Math.random() * cap) / 2));
        if (this.stopping) return;
      }
    }
  }

  /**
   * A batch the database refuses for its content (not its availability) would block the drain
   * for ever. Bisect it: the good rows are stored, and each row refused on its own becomes a dead
   * letter saying why, so nothing accepted vanishes silently.
   */
  private async isolate(rows: ReadingRow[], dead: DeadLetterRow[], cause: Error): Promise<void> {
    this.o.logger.error({ err: cause.message, rows: rows.length }, 'the database refused a batch; setting the offending rows aside as dead letters');
    const writeRows = async (part: ReadingRow[]): Promise<void> => {
      if (part.length === 0) return;
      try {
        await this.o.sink.write(part, []);
      } catch (e) {
        if (part.length === 1) {
          const r = part[0] as ReadingRow;
          const body = Buffer.from(JSON.stringify(r));
          await this.o.sink.write([], [{ atUs: r.timeUs, source: `storage:${r.deviceId}`, deviceId: r.deviceId, adapter: null, reasonCode: 'STORAGE_REJECTED', reason: `the database refused this reading: ${(e as Error).message}`.split('\u0000').join(''), payload: body }]);
          return;
        }
        const mid = part.length >> 1;
        await writeRows(part.slice(0, mid));
        await writeRows(part.slice(mid));
      }
    };
    await writeRows(rows);
    for (const d of dead) {
      await this.o.sink.write([], [d]).catch((e: Error) => this.o.logger.error({ err: e.message, source: d.source, reason: d.reasonCode }, 'a dead letter could not be stored; it stays in the log only'));
    }
  }

  private dropQueued(lsn: number): void {
    const rec = this.queued.get(lsn);
    if (!rec) return;
    this.queued.delete(lsn);
    this.queuedRows -= rec.rows.length + rec.dead.length;
  }
}
