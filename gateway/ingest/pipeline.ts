import { join } from 'node:path';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Config } from '../config/schema.js';
import type { GatewayMetrics } from '../metrics/registry.js';
import type { DeviceRegistry } from '../devices/registry.js';
import { GatewayError } from '../core/errors.js';
import { isRetryableDbError } from '../storage/db.js';
import { getPlatformAdapter, getSensorAdapter } from '../../adapters/index.js';
import { Spool } from './spool/index.js';
import { Drainer, type IngestSink } from './drain.js';
import { acceptPlatformPush, acceptUplink, type AcceptContext, type Outcome } from './accept.js';
import { encodeRecord, type IngestRecord, type ReadingRow } from './record.js';
import { ReceiveStamper } from './stamp.js';

export interface PipelineContext {
  config: Pick<Config, 'dataDir' | 'ingest'>;
  logger: Logger;
  clock: Clock;
  metrics: GatewayMetrics;
  registry: DeviceRegistry;
  sink: IngestSink;
  /**
   * Told about a message's readings as their spool record is being written, with a promise that
   * settles true once it is durable (false if the spool refused it): the rules runtime evaluates
   * at once and commits what follows only after `durable`, so the fsync and the warning's
   * transaction overlap. Must not throw; it is not awaited.
   */
  onAccepted?: (rows: ReadingRow[], durable: Promise<boolean>) => void;
  /** Raised when the spool refuses new readings (quota), and cleared when it has room again. */
  onSpoolAlarm?: (full: boolean) => void;
}

/**
 * The path from an uplink to a durable reading: decode → spool (fsynced, group commit) →
 * acknowledge → drain to the database. A reading is acknowledged only after its spool record
 * is on disk; the database write happens after, in batches, and is idempotent.
 */
export class IngestPipeline {
  private readonly stamper = new ReceiveStamper();
  private statsTimer: NodeJS.Timeout | undefined;
  private spoolWasFull = false;

  private constructor(
    private readonly ctx: PipelineContext,
    readonly spool: Spool,
    private readonly drainer: Drainer,
  ) {}

  static async open(ctx: PipelineContext): Promise<IngestPipeline> {
    const log = ctx.logger;
    const spool = await Spool.open({
      dir: join(ctx.config.dataDir, 'spool'),
      maxBytes: ctx.config.ingest.spoolMaxBytes,
      commitWindowMs: ctx.config.ingest.spoolCommitMs,
      logger: log.child({ component: 'spool' }),
      clock: ctx.clock,
    });
    const backlog = spool.stats();
    if (backlog.records > 0) log.info({ records: backlog.records, bytes: backlog.bytes }, 'replaying spooled readings into the database first');
    const m = ctx.metrics;
    const drainer = new Drainer({
      spool,
      sink: ctx.sink,
      clock: ctx.clock,
      logger: log.child({ component: 'drain' }),
      batchMaxRows: ctx.config.ingest.batchMaxRows,
      batchMaxWaitMs: ctx.config.ingest.batchMaxWaitMs,
      isRetryable: isRetryableDbError,
      onBatch: ({ rows, dead, seconds }) => {
        m.batchWriteSeconds.observe(seconds);
        m.batchSize.observe(rows + dead);
      },
    });
    const p = new IngestPipeline(ctx, spool, drainer);
    drainer.start();
    p.statsTimer = setInterval(() => p.publishStats(), 1000);
    p.statsTimer.unref();
    return p;
  }

  /**
   * One MQTT uplink from an authenticated device. Resolves once the outcome is durable (readings
   * or a dead letter in the spool): the broker sends PUBACK then. Rejects with GW_ERR_SPOOL_FULL
   * when the spool is at its quota: the broker refuses the publish instead of acknowledging it.
   */
  async ingestMqtt(deviceId: string, topic: string, payload: Uint8Array): Promise<Outcome> {
    const ctx = this.acceptContext();
    const device = this.ctx.registry.get(deviceId);
    const accepted = acceptUplink(device, topic, payload, ctx, deviceId);
    await this.persist(accepted.record);
    this.count('mqtt', device?.adapter ?? 'unknown', accepted.outcome);
    if (device) this.ctx.registry.noteActivity(device.id, 'message');
    return accepted.outcome;
  }

  /** One platform push (`POST /api/v1/ingest/{platform}`); durable when it resolves. */
  async ingestPlatform(platformId: string, body: unknown, rawBody: Uint8Array): Promise<ReturnType<typeof acceptPlatformPush>> {
    const platform = getPlatformAdapter(platformId);
    if (!platform) throw new GatewayError('GW_ERR_UNKNOWN_ADAPTER', `unknown platform "${platformId}"`);
    const res = acceptPlatformPush(platform, body, rawBody, (ext) => this.ctx.registry.byExternal(platformId, ext), this.acceptContext());
    await this.persist(res.record);
    for (const r of res.results) {
      const adapter = r.deviceId ? (this.ctx.registry.get(r.deviceId)?.adapter ?? platformId) : platformId;
      this.count('http', adapter, r);
      if (r.ok && r.deviceId) this.ctx.registry.noteActivity(r.deviceId, `${platformId} push`);
    }
    if (res.error) this.ctx.metrics.decodeFailures.inc({ adapter: platformId, reason: res.error.code });
    return res;
  }

  /** Keeps a payload that never reached an adapter (e.g. a push that is not JSON) as a dead letter. */
  async rejectRaw(source: string, adapter: string | null, error: { code: string; message: string }, payload: Uint8Array): Promise<void> {
    const atUs = this.stamper.stamp(`\u0000dead:${source}`, this.ctx.clock.now());
    await this.persist({ rows: [], dead: [{ atUs, source, deviceId: null, adapter, reasonCode: error.code, reason: error.message, payload }] });
    this.ctx.metrics.decodeFailures.inc({ adapter: adapter ?? 'unknown', reason: error.code });
  }

  /** Waits until everything accepted so far is in the database (tests, benchmarks, shutdown). */
  async flushed(): Promise<void> {
    await this.drainer.idle();
  }

  async close(): Promise<void> {
    if (this.statsTimer) clearInterval(this.statsTimer);
    await this.drainer.stop();
    await this.spool.close();
  }

  private acceptContext(): AcceptContext {
    return { sensorAdapter: getSensorAdapter, stamper: this.stamper, maxFutureSkewMs: this.ctx.config.ingest.maxFutureSkewMs, now: this.ctx.clock.now() };
  }

  private async persist(record: IngestRecord): Promise<void> {
    if (record.rows.length === 0 && record.dead.length === 0) return;
    let lsn: number;
    const appended = this.spool.append(encodeRecord(record));
    if (record.rows.length > 0) this.notifyAccepted(record.rows, appended.then(() => true, () => false));
    try {
      lsn = await appended;
    } catch (e) {
      if (e instanceof GatewayError && e.code === 'GW_ERR_SPOOL_FULL') this.setSpoolAlarm(true);
      throw e;
    }
    if (this.spoolWasFull && !this.spool.stats().full) this.setSpoolAlarm(false);
    for (const d of record.dead) this.ctx.metrics.deadLetters.inc({ reason: d.reasonCode });
    this.drainer.offer(lsn, record);
  }

  private notifyAccepted(rows: ReadingRow[], durable: Promise<boolean>): void {
    try {
      this.ctx.onAccepted?.(rows, durable);
    } catch (e) {
      // The readings are durable and will reach the rules through the drain (replay path).
      this.ctx.logger.error({ err: (e as Error).message }, 'onAccepted hook failed');
    }
  }

  private count(source: 'mqtt' | 'http', adapter: string, outcome: Outcome): void {
    const m = this.ctx.metrics;
    if (outcome.ok) {
      m.readingsIn.inc({ source, adapter }, outcome.readings);
      return;
    }
    m.decodeFailures.inc({ adapter, reason: outcome.error.code });
  }

  private setSpoolAlarm(full: boolean): void {
    if (full === this.spoolWasFull) return;
    this.spoolWasFull = full;
    this.ctx.metrics.spoolFull.set(full ? 1 : 0);
    if (full) this.ctx.logger.error({ alarm: 'spool_full', ...this.spool.stats() }, 'ALARM: ingest spool is full; new readings are refused (not acknowledged) until the database catches up');
    else this.ctx.logger.warn({ alarm: 'spool_full' }, 'ingest spool has room again; readings are accepted');
    this.ctx.onSpoolAlarm?.(full);
  }

  /** The alarm clears only when the spool itself says it has room, never on one append that raced the refusal. */
  private publishStats(): void {
    const s = this.spool.stats();
    this.ctx.metrics.spoolBytes.set(s.bytes);
    this.ctx.metrics.spoolRecords.set(s.records);
    if (this.spoolWasFull && !s.full) this.setSpoolAlarm(false);
  }
}
