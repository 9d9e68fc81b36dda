import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { BacktestProgress, BacktestResult } from './backtest.js';

/**
 * Backtests run in the background, one at a time (a backtest reads the whole range and keeps a
 * core busy); more wait in a queue. Jobs live in memory: a restart forgets them, and the caller
 * starts the run again.
 */
export interface BacktestJob {
  id: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  createdAtMs: number;
  startedAtMs: number | null;
  finishedAtMs: number | null;
  /** What was asked for, as given (rule ids and versions, range, filters). */
  request: Record<string, unknown>;
  progress: BacktestProgress | null;
  result: BacktestResult | null;
  error: string | null;
}

export type BacktestRunner = (onProgress: (p: BacktestProgress) => void) => Promise<BacktestResult>;

export class BacktestJobs {
  private readonly jobs = new Map<string, BacktestJob>();
  private readonly queue: Array<{ job: BacktestJob; run: BacktestRunner }> = [];
  private readonly finished = new Map<string, Array<() => void>>();
  private busy = false;

  constructor(private readonly o: { clock: Clock; logger: Logger; keep?: number }) {}

  submit(request: Record<string, unknown>, run: BacktestRunner): BacktestJob {
    const job: BacktestJob = { id: randomUUID(), status: 'queued', createdAtMs: this.o.clock.now(), startedAtMs: null, finishedAtMs: null, request, progress: null, result: null, error: null };
    this.jobs.set(job.id, job);
    this.queue.push({ job, run });
    this.prune();
    void this.next();
    return job;
  }

  get(id: string): BacktestJob | undefined {
    return this.jobs.get(id);
  }

  /** Resolves when the job has finished (done or failed). */
  async wait(id: string): Promise<BacktestJob | undefined> {
    const job = this.jobs.get(id);
    if (!job || job.status === 'done' || job.status === 'failed') return job;
    await new Promise<void>((resolve) => {
      const list = this.finished.get(id) ?? [];
      list.push(resolve);
      this.finished.set(id, list);
    });
    return job;
  }

  private async next(): Promise<void> {
    if (this.busy) return;
    const item = this.queue.shift();
    if (!item) return;
    this.busy = true;
    const { job, run } = item;
    job.status = 'running';
    job.startedAtMs = this.o.clock.now();
    try {
      job.result = await run((p) => (job.progress = p));
      job.status = 'done';
    } catch (e) {
      job.status = 'failed';
      job.error = (e as Error).message;
      this.o.logger.warn({ job: job.id, err: job.error }, 'backtest failed');
    } finally {
      job.finishedAtMs = this.o.clock.now();
      this.busy = false;
      for (const f of this.finished.get(job.id) ?? []) f();
      this.finished.delete(job.id);
    }
    void this.next();
  }

  /** Keeps the newest finished jobs only (results can be large). */
  private prune(): void {
    const keep = this.o.keep ?? 20;
    const done = [...this.jobs.values()].filter((j) => j.status === 'done' || j.status === 'failed');
    for (const j of done.slice(0, Math.max(0, done.length - keep))) this.jobs.delete(j.id);
  }
}
