import type { Clock, ClockTimer } from '../core/clock.js';
import { GatewayError, type ErrorDetail } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Db, Queryable } from '../storage/db.js';
import type { Config } from '../config/schema.js';
import { generatePassword, hashPassword, verifyPassword, VerifiedPasswordCache } from './credentials.js';
import { normalizeDevice, mergePatch, type AdapterLookup, type DeviceFields } from './normalize.js';
import * as repo from './repo.js';
import type { Device, DeviceInput, DevicePatch, DeviceStatus } from './schema.js';
import type { ImportRow, ImportRowError } from './import.js';
import type { DeviceKind } from '../../adapters/types.js';

/** What the hot paths (broker auth, ingest) need about a device, held in memory. */
export interface DeviceInfo {
  id: string;
  kind: DeviceKind;
  adapter: string;
  vendor: string | null;
  blockCode: string;
  /** For rule scopes (a rule may require all of a set of tags). */
  tags: readonly string[];
  exercise: boolean;
  platform: string | null;
  externalId: string | null;
  heartbeatMs: number;
  passwordHash: string;
  status: DeviceStatus;
  lastSeen: number | null;
}

/** Called inside the write's transaction, so an audit row commits with the change or not at all. */
export type WriteHook = (tx: Queryable, change: { action: string; id: string; before: Device | null; after: Device | null }) => Promise<void>;

export interface RegistryContext {
  db: Db;
  logger: Logger;
  clock: Clock;
  devices: Config['devices'];
  adapters: AdapterLookup;
  /** Told about every online/offline change (metrics, the broker's retained status topic). */
  onStatus?: (id: string, status: DeviceStatus, reason: string) => void;
}

export class DeviceRegistry {
  private readonly byId = new Map<string, DeviceInfo>();
  private readonly byExt = new Map<string, string>();
  private readonly verified = new VerifiedPasswordCache();
  private readonly pendingSeen = new Map<string, number>();
  private sweepTimer: ClockTimer | undefined;
  private stopped = false;

  private constructor(private readonly ctx: RegistryContext) {}

  static async open(ctx: RegistryContext): Promise<DeviceRegistry> {
    const r = new DeviceRegistry(ctx);
    for (const rec of await repo.allDevices(ctx.db)) r.cache(rec);
    return r;
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: string): DeviceInfo | undefined {
    return this.byId.get(id);
  }

  /** Every registered device (the rules runtime seeds its no-data watches from these). */
  all(): IterableIterator<DeviceInfo> {
    return this.byId.values();
  }

  byExternal(platform: string, externalId: string): DeviceInfo | undefined {
    const id = this.byExt.get(`${platform}\u0000${externalId}`);
    return id === undefined ? undefined : this.byId.get(id);
  }

  /** Effective expected reporting interval for a device. */
  heartbeatFor(kind: string, override: number | null): number {
    const hb = this.ctx.devices.heartbeatMs;
    return override ?? hb[kind] ?? hb.default ?? 600_000;
  }

  withHeartbeat(d: repo.DeviceRecord['device']): Device {
    return { ...d, heartbeatMs: this.heartbeatFor(d.kind, d.heartbeatMs) };
  }

  async create(input: DeviceInput, opts: { onWrite?: WriteHook } = {}): Promise<{ device: Device; credentials: { username: string; password: string } }> {
    const fields = this.normalizeOrThrow(input);
    const password = generatePassword();
    const passwordHash = await hashPassword(password);
    const rec = await this.ctx.db.transaction(async (tx) => {
      if (await repo.getDevice(tx, input.id)) throw new GatewayError('GW_ERR_CONFLICT', `device "${input.id}" already exists`, [{ field: '/id', message: 'already exists' }]);
      await this.assertExternalFree(tx, fields, input.id);
      const created = await repo.insertDevice(tx, input.id, fields, { passwordHash, at: this.ctx.clock.now() });
      await opts.onWrite?.(tx, { action: 'device.create', id: input.id, before: null, after: this.withHeartbeat(created.device) });
      return created;
    });
    this.cache(rec);
    return { device: this.withHeartbeat(rec.device), credentials: { username: input.id, password } };
  }

  async update(id: string, patch: DevicePatch, opts: { onWrite?: WriteHook; vendorCheck?: (vendor: string | null) => void } = {}): Promise<Device> {
    const rec = await this.ctx.db.transaction(async (tx) => {
      const current = await repo.getDevice(tx, id, { forUpdate: true });
      if (!current) throw notFound(id);
      opts.vendorCheck?.(current.device.vendor);
      const fields = this.normalizeOrThrow(mergePatch(repo.inputOf(current.device), patch));
      await this.assertExternalFree(tx, fields, id);
      const updated = await repo.updateDevice(tx, id, fields, this.ctx.clock.now());
      if (!updated) throw notFound(id);
      await opts.onWrite?.(tx, { action: 'device.update', id, before: this.withHeartbeat(current.device), after: this.withHeartbeat(updated.device) });
      return updated;
    });
    this.uncache(id);
    this.cache(rec);
    return this.withHeartbeat(rec.device);
  }

  async remove(id: string, opts: { onWrite?: WriteHook; vendorCheck?: (vendor: string | null) => void } = {}): Promise<void> {
    await this.ctx.db.transaction(async (tx) => {
      const current = await repo.getDevice(tx, id, { forUpdate: true });
      if (!current) throw notFound(id);
      opts.vendorCheck?.(current.device.vendor);
      await repo.deleteDevice(tx, id);
      await opts.onWrite?.(tx, { action: 'device.delete', id, before: this.withHeartbeat(current.device), after: null });
    });
    this.uncache(id);
  }

  /** New password; the old one stops working at once (its cached verification too). */
  async rotate(id: string, opts: { onWrite?: WriteHook; vendorCheck?: (vendor: string | null) => void } = {}): Promise<{ device: Device; credentials: { username: string; password: string } }> {
    const password = generatePassword();
    const hash = await hashPassword(password);
    const rec = await this.ctx.db.transaction(async (tx) => {
      const current = await repo.getDevice(tx, id, { forUpdate: true });
      if (!current) throw notFound(id);
      opts.vendorCheck?.(current.device.vendor);
      const updated = await repo.setPasswordHash(tx, id, hash, this.ctx.clock.now());
      if (!updated) throw notFound(id);
      await opts.onWrite?.(tx, { action: 'device.rotate_credentials', id, before: this.withHeartbeat(current.device), after: this.withHeartbeat(updated.device) });
      return updated;
    });
    this.verified.forget(id);
    this.uncache(id);
    this.cache(rec);
    return { device: this.withHeartbeat(rec.device), credentials: { username: id, password } };
  }

  /**
   * Bulk import: all rows are checked (schema errors come from the parser, business rules and
   * existing ids here). With errors, nothing is imported unless `skipInvalid`, and then only
   * the good rows are. One transaction: a failure half-way leaves nothing behind.
   */
  async importRows(rows: ImportRow[], parseErrors: ImportRowError[], opts: { skipInvalid: boolean; vendor?: string; onWrite?: WriteHook }): Promise<{ imported: Array<{ line: number; device: Device; credentials: { username: string; password: string } }>; errors: ImportRowError[] }> {
    const errors = [...parseErrors];
    const good: Array<{ line: number; id: string; fields: DeviceFields }> = [];
    for (const row of rows) {
      const input = opts.vendor !== undefined ? { ...row.input, vendor: opts.vendor } : row.input;
      const n = normalizeDevice(input, this.ctx.adapters);
      if (!n.ok) {
        for (const e of n.errors) errors.push({ line: row.line, field: (e.field ?? '/').replace(/^\//, ''), message: e.message });
        continue;
      }
      if (this.byId.has(row.input.id)) {
        errors.push({ line: row.line, field: 'id', message: `device "${row.input.id}" already exists` });
        continue;
      }
      good.push({ line: row.line, id: row.input.id, fields: n.fields });
    }
    errors.sort((a, b) => a.line - b.line);
    if (errors.length > 0 && !opts.skipInvalid) return { imported: [], errors };
    const withPasswords = await Promise.all(good.map(async (g) => {
      const password = generatePassword();
      return { ...g, password, hash: await hashPassword(password) };
    }));
    const records = await this.ctx.db.transaction(async (tx) => {
      const out: Array<{ line: number; rec: repo.DeviceRecord; password: string }> = [];
      for (const g of withPasswords) {
        await this.assertExternalFree(tx, g.fields, g.id);
        const rec = await repo.insertDevice(tx, g.id, g.fields, { passwordHash: g.hash, at: this.ctx.clock.now() });
        await opts.onWrite?.(tx, { action: 'device.import', id: g.id, before: null, after: this.withHeartbeat(rec.device) });
        out.push({ line: g.line, rec, password: g.password });
      }
      return out;
    });
    for (const r of records) this.cache(r.rec);
    return { imported: records.map((r) => ({ line: r.line, device: this.withHeartbeat(r.rec.device), credentials: { username: r.rec.device.id, password: r.password } })), errors };
  }

  /** MQTT CONNECT: username is the device id. */
  async authenticate(username: string, password: Buffer): Promise<{ deviceId: string } | null> {
    const d = this.byId.get(username);
    const pw = password.toString('utf8');
    if (!d) return null;
    if (this.verified.has(d.id, pw)) return { deviceId: d.id };
    if (!(await verifyPassword(pw, d.passwordHash))) return null;
    // The hash may have rotated while scrypt ran.
    if (this.byId.get(username)?.passwordHash !== d.passwordHash) return null;
    this.verified.remember(d.id, pw);
    return { deviceId: d.id };
  }

  /** A message or connection from the device: it is online. Cheap; the DB write happens only on a change. */
  noteActivity(id: string, reason: string, at = this.ctx.clock.now()): void {
    const d = this.byId.get(id);
    if (!d) return;
    if (d.lastSeen === null || at > d.lastSeen) d.lastSeen = at;
    this.pendingSeen.set(id, d.lastSeen);
    if (d.status !== 'online') this.setStatus(d, 'online', reason, at);
  }

  /** The connection died without DISCONNECT (the device's last will fired). */
  noteLost(id: string, reason: string): void {
    const d = this.byId.get(id);
    if (d && d.status !== 'offline') this.setStatus(d, 'offline', reason, this.ctx.clock.now());
  }

  /** Starts the heartbeat sweep and the periodic last-seen flush. */
  start(intervalMs = 5000): void {
    const tick = () => {
      if (this.stopped) return;
      this.sweep();
      this.flushSeen().catch((e: Error) => this.ctx.logger.warn({ err: e.message }, 'saving last-seen times failed; will retry'));
      this.sweepTimer = this.ctx.clock.setTimeout(tick, intervalMs);
      this.sweepTimer.unref?.();
    };
    this.sweepTimer = this.ctx.clock.setTimeout(tick, intervalMs);
    this.sweepTimer.unref?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweepTimer) this.ctx.clock.clearTimeout(this.sweepTimer);
    await this.flushSeen().catch((e: Error) => this.ctx.logger.warn({ err: e.message }, 'saving last-seen times at stop failed'));
    await this.statusWrites;
  }

  /** Devices silent for more than `missedHeartbeats` intervals go offline. */
  sweep(now = this.ctx.clock.now()): void {
    const missed = this.ctx.devices.missedHeartbeats;
    for (const d of this.byId.values()) {
      if (d.status !== 'online' || d.lastSeen === null) continue;
      if (now - d.lastSeen > d.heartbeatMs * missed) this.setStatus(d, 'offline', `no report for ${missed} heartbeat intervals (${Math.round((d.heartbeatMs * missed) / 1000)} s)`, now);
    }
  }

  async flushSeen(): Promise<void> {
    if (this.pendingSeen.size === 0) return;
    const batch = new Map(this.pendingSeen);
    this.pendingSeen.clear();
    await repo.saveLastSeen(this.ctx.db, batch);
  }

  private statusWrites: Promise<void> = Promise.resolve();

  private setStatus(d: DeviceInfo, status: DeviceStatus, reason: string, at: number): void {
    d.status = status;
    this.ctx.logger.info({ device: d.id, status, reason }, 'device status changed');
    this.ctx.onStatus?.(d.id, status, reason);
    // Serialised so the history keeps the order the changes happened in.
    this.statusWrites = this.statusWrites
      .then(() => repo.recordStatus(this.ctx.db, d.id, status, reason, at))
      .then(
        () => undefined,
        (e: Error) => this.ctx.logger.warn({ device: d.id, status, err: e.message }, 'recording a status change failed'),
      );
  }

  private normalizeOrThrow(input: Omit<DeviceInput, 'id'>): DeviceFields {
    const n = normalizeDevice(input, this.ctx.adapters);
    if (!n.ok) {
      const first = n.errors[0] as ErrorDetail;
      const code = n.errors.some((e) => e.field === '/adapter') ? 'GW_ERR_UNKNOWN_ADAPTER' : 'GW_ERR_VALIDATION';
      throw new GatewayError(code, `device is invalid at ${first.field}: ${first.message}`, n.errors);
    }
    return n.fields;
  }

  private async assertExternalFree(tx: Queryable, f: DeviceFields, id: string): Promise<void> {
    if (f.platform === null || f.externalId === null) return;
    const r = await tx.query<{ id: string }>('SELECT id FROM devices WHERE platform = $1 AND external_id = $2 AND id <> $3', [f.platform, f.externalId, id]);
    if (r.rows[0]) throw new GatewayError('GW_ERR_CONFLICT', `${f.platform} device "${f.externalId}" is already registered as "${r.rows[0].id}"`, [{ field: '/externalId', message: 'already registered' }]);
  }

  private cache(rec: repo.DeviceRecord): void {
    const d = rec.device;
    const prev = this.byId.get(d.id);
    const info: DeviceInfo = {
      id: d.id,
      kind: d.kind,
      adapter: d.adapter,
      vendor: d.vendor,
      blockCode: d.blockCode.replace(/-/g, ''),
      tags: d.tags,
      exercise: d.exercise,
      platform: d.platform,
      externalId: d.externalId,
      heartbeatMs: this.heartbeatFor(d.kind, d.heartbeatMs),
      passwordHash: rec.passwordHash,
      status: prev?.status ?? d.status,
      lastSeen: prev?.lastSeen ?? (d.lastSeen ? Date.parse(d.lastSeen) : null),
    };
    this.byId.set(d.id, info);
    if (d.platform !== null && d.externalId !== null) this.byExt.set(`${d.platform}\u0000${d.externalId}`, d.id);
  }

  private uncache(id: string): void {
    const d = this.byId.get(id);
    if (d?.platform && d.externalId) this.byExt.delete(`${d.platform}\u0000${d.externalId}`);
    this.byId.delete(id);
    this.verified.forget(id);
  }
}

function notFound(id: string): GatewayError {
  return new GatewayError('GW_ERR_NOT_FOUND', `device "${id}" is not registered`);
}
