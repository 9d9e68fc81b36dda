import { randomBytes } from 'node:crypto';
import type { Clock, ClockTimer } from '../../gateway/core/clock.js';
import type { Logger } from '../../gateway/core/log.js';
import { chinaTime } from '../../gateway/events/store.js';
import { nonceHeader, signBody, signatureHeader, timestampHeader } from '../../gateway/outbox/signature.js';
import type { FeedbackAction, FeedbackBody, FeedbackOptions, FeedbackRecord, FeedbackUnit, SimStats } from './types.js';

/** The scheduled steps, in order, each with the option giving its delay after the step before. */
const schedule: { action: FeedbackAction; after: keyof FeedbackOptions }[] = [
  { action: 'accepted', after: 'acceptAfterMs' },
  { action: 'dispatched', after: 'dispatchAfterMs' },
  { action: 'signed', after: 'signAfterMs' },
  { action: 'arrived', after: 'arriveAfterMs' },
  { action: 'handled', after: 'handleAfterMs' },
  { action: 'verified', after: 'verifyAfterMs' },
  { action: 'closed', after: 'closeAfterMs' },
];

const defaultUnit = { id: 'district-unit', tier: 1 as const };

interface CaseRun {
  districtCaseNo: string;
  timers: ClockTimer[];
  /** Messages of one case go one after another, in schedule order. */
  chain: Promise<void>;
  /** A step failed for good: later steps would only be refused. */
  stopped: boolean;
}

export interface FeedbackDeps {
  options: FeedbackOptions | undefined;
  clock: Clock;
  logger: Logger | undefined;
  counters: SimStats['feedback'];
  caseNo(caseId: string): string | null;
}

/**
 * The district's side of the loop: after a case arrives it is accepted, dispatched, signed for,
 * … on the configured schedule (timers on the clock, so a FakeClock or ScaledClock drives it),
 * each step a signed POST to the gateway's feedback endpoint with a fresh nonce, retried on
 * network errors, 429 and 5xx. Every message and its answer is recorded.
 */
export class FeedbackSender {
  private readonly runs = new Map<string, CaseRun>();
  private records: FeedbackRecord[] = [];
  /** Waiting retries: their timers, and how to end the wait early (reset). */
  private retryTimers = new Map<ClockTimer, () => void>();
  private aborter = new AbortController();

  constructor(private readonly d: FeedbackDeps) {}

  /** Where and how feedback goes from now on (the town learns the gateway's URL after the simulator is up). */
  configure(options: FeedbackOptions): void {
    this.d.options = options;
  }

  /** A new case reached the district: start its schedule (nothing when feedback is not configured). */
  caseArrived(caseId: string, districtCaseNo: string): void {
    const o = this.d.options;
    if (!o || this.runs.has(caseId)) return;
    const run: CaseRun = { districtCaseNo, timers: [], chain: Promise.resolve(), stopped: false };
    this.runs.set(caseId, run);
    let at = 0;
    for (const step of schedule) {
      const delay = o[step.after];
      if (typeof delay !== 'number') continue;
      at += delay;
      run.timers.push(this.d.clock.setTimeout(() => this.enqueue(run, this.body(caseId, step.action)), at));
    }
  }

  send(caseId: string, action: FeedbackAction, extra: { unit?: FeedbackUnit; note?: string } = {}): Promise<FeedbackRecord> {
    const body = this.body(caseId, action);
    if (extra.unit) body.unit = extra.unit;
    if (extra.note !== undefined) body.note = extra.note;
    const record = this.record(body);
    return this.post(record, this.d.options?.retries ?? 3).then(() => record);
  }

  list(filter: { caseId?: string } = {}): FeedbackRecord[] {
    return filter.caseId === undefined ? this.records.slice() : this.records.filter((r) => r.caseId === filter.caseId);
  }

  /** Cancels every schedule and retry, abandons POSTs in flight, forgets the records. */
  reset(): void {
    for (const run of this.runs.values()) {
      run.stopped = true;
      for (const t of run.timers) this.d.clock.clearTimeout(t);
    }
    this.runs.clear();
    this.aborter.abort();
    for (const [t, wake] of this.retryTimers) {
      this.d.clock.clearTimeout(t);
      wake();
    }
    this.retryTimers.clear();
    this.aborter = new AbortController();
    this.records = [];
  }

  private body(caseId: string, action: FeedbackAction): FeedbackBody {
    const body: FeedbackBody = { caseId, action, at: chinaTime(this.d.clock.now()) };
    const no = this.runs.get(caseId)?.districtCaseNo ?? this.d.caseNo(caseId);
    if (no !== null && no !== undefined) body.districtCaseNo = no;
    if (action === 'dispatched') body.unit = { ...(this.d.options?.unit ?? defaultUnit) };
    return body;
  }

  private record(body: FeedbackBody): FeedbackRecord {
    const record: FeedbackRecord = { seq: this.records.length + 1, caseId: body.caseId, action: body.action, body, state: 'pending', attempts: 0, status: null, answer: null, error: null };
    this.records.push(record);
    return record;
  }

  private enqueue(run: CaseRun, body: FeedbackBody): void {
    run.chain = run.chain.then(async () => {
      if (run.stopped) return;
      const record = this.record(body);
      await this.post(record, this.d.options?.retries ?? 3);
      if (record.state === 'failed') run.stopped = true;
    });
  }

  /** POSTs until a final answer; resolves when the record is ok or failed. */
  private async post(record: FeedbackRecord, retriesLeft: number): Promise<void> {
    const o = this.d.options;
    if (!o) {
      Object.assign(record, { state: 'failed', error: 'feedback is not configured (no gatewayUrl and secret)' });
      this.d.counters.failed++;
      return;
    }
    const aborter = this.aborter;
    if (++record.attempts === 1) this.d.counters.sent++;
    let retryable: boolean;
    try {
      const text = JSON.stringify(record.body);
      const timestamp = String(Math.floor(this.d.clock.now() / 1000));
      const nonce = randomBytes(16).toString('base64url');
      const res = await fetch(`${o.gatewayUrl.replace(/\/+$/, '')}/api/v1/district/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [timestampHeader]: timestamp, [nonceHeader]: nonce, [signatureHeader]: signBody(o.secret, timestamp, text, nonce) },
        body: text,
        signal: AbortSignal.any([aborter.signal, AbortSignal.timeout(o.timeoutMs ?? 10_000)]),
      });
      const answer = await res.text();
      record.status = res.status;
      record.answer = parseJson(answer);
      record.error = res.ok ? null : `HTTP ${res.status}: ${answer.slice(0, 300)}`;
      if (res.ok) {
        record.state = 'ok';
        this.d.counters.ok++;
        return;
      }
      retryable = res.status === 429 || res.status >= 500;
    } catch (e) {
      if (aborter.signal.aborted) return;
      record.status = null;
      record.error = e instanceof Error ? `${e.message}${e.cause instanceof Error ? `: ${e.cause.message}` : ''}` : String(e);
      retryable = true;
    }
    if (retryable && retriesLeft > 0) {
      await new Promise<void>((resolve) => {
        const timer = this.d.clock.setTimeout(() => {
          this.retryTimers.delete(timer);
          resolve();
        }, o.retryDelayMs ?? 1000);
        this.retryTimers.set(timer, resolve);
      });
      if (aborter.signal.aborted) return;
      return this.post(record, retriesLeft - 1);
    }
    record.state = 'failed';
    this.d.counters.failed++;
    this.d.logger?.warn({ caseId: record.caseId, action: record.action, status: record.status, error: record.error, attempts: record.attempts }, 'district feedback failed');
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
