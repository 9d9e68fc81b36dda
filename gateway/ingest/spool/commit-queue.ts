import type { Clock, ClockTimer } from '../../core/clock.js';

/** Appends waiting for one commit; `resolve` gets the LSN of the first body. */
export interface Pending {
  bodies: readonly Uint8Array[];
  bytes: number;
  resolve(firstLsn: number): void;
  reject(err: unknown): void;
}

export interface CommitQueueOptions {
  /** How long the first waiting append holds the door open; 0 = the next I/O turn. */
  windowMs: number;
  clock: Clock;
  /** Writes and fsyncs one batch; resolves with the LSN given to its first body. */
  commit(batch: readonly Pending[], records: number, bytes: number): Promise<number>;
}

/**
 * Group commit: the first append opens a short window; when it closes, everything queued goes
 * out as one commit. Whatever queues while a commit runs goes out in the next one as soon as
 * it returns, so under load commits run back to back, each taking all that arrived meanwhile.
 */
export class CommitQueue {
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private queuedRecords = 0;
  private inflightBytes = 0;
  private inflightRecords = 0;
  private wake: ClockTimer | NodeJS.Immediate | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly opts: CommitQueueOptions) {}

  /** A commit is being written. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Bytes accepted but not yet durable (they count against the quota). */
  get bytes(): number {
    return this.queuedBytes + this.inflightBytes;
  }

  get records(): number {
    return this.queuedRecords + this.inflightRecords;
  }

  push(bodies: readonly Uint8Array[], bytes: number): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ bodies, bytes, resolve, reject });
      this.queuedBytes += bytes;
      this.queuedRecords += bodies.length;
      this.schedule();
    });
  }

  /** Writes what is queued now, without waiting for the window, and waits until it is done. */
  async drain(): Promise<void> {
    this.start();
    await this.running;
  }

  private schedule(): void {
    if (this.running || this.wake !== undefined) return; // the running loop picks the queue up
    // setImmediate for 0: the messages parsed from the same socket reads still join the batch.
    this.wake = this.opts.windowMs === 0 ? setImmediate(() => this.start()) : this.opts.clock.setTimeout(() => this.start(), this.opts.windowMs);
  }

  private start(): void {
    if (this.wake !== undefined) {
      if (this.opts.windowMs === 0) clearImmediate(this.wake as NodeJS.Immediate);
      else this.opts.clock.clearTimeout(this.wake as ClockTimer);
      this.wake = undefined;
    }
    // With a non-empty queue the loop awaits before its `finally`, so this assignment comes first.
    if (!this.running && this.queue.length > 0) this.running = this.loop();
  }

  private settled(): void {
    this.inflightBytes = 0;
    this.inflightRecords = 0;
  }

  private async loop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        this.inflightBytes = this.queuedBytes;
        this.inflightRecords = this.queuedRecords;
        this.queuedBytes = 0;
        this.queuedRecords = 0;
        let first: number;
        try {
          first = await this.opts.commit(batch, this.inflightRecords, this.inflightBytes);
        } catch (err) {
          this.settled();
          for (const p of batch) p.reject(err);
          continue;
        }
        // Counters first: an append resolved here may at once append again against the quota.
        this.settled();
        for (const p of batch) {
          p.resolve(first);
          first += p.bodies.length;
        }
      }
    } finally {
      this.running = undefined;
    }
  }
}
