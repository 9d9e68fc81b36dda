import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { clockTicker, type Ticker } from '../core/ticker.js';
import type { Config } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import { componentLogger, type Logger } from '../core/log.js';
import type { Db, Queryable } from '../storage/db.js';
import type { EventFeed } from '../events/types.js';
import type { Outbox } from '../outbox/types.js';
import type { Emit } from '../warnings/types.js';
import type { Warnings } from '../warnings/service.js';
import type { DirectWarningInput } from '../warnings/direct.js';
import type { WarningView } from '../warnings/schema.js';
import { parseXml } from './xml.js';
import { capFromXml, capTimeMs } from './cap-parse.js';
import { expiresAtMs, mapAlert } from './mapping.js';
import * as repo from './repo.js';
import type { CapAlert, ExternalAction, ExternalWarningDetail, ExternalWarningQuery, ExternalWarningView, ReceiveResult } from './schema.js';

/**
 * External CAP 1.2 warnings (seed S8; docs/external-warnings.md): every accepted alert is stored,
 * and Alert / Update / Cancel raise, regrade and clear a warning beside our own through
 * `warnings.setDirect`, in the same transaction; orange and above then go through 叫应 by the
 * `warnings.acknowledgeGrades` policy with the call plan of their category. A tick clears
 * warnings whose alert has expired.
 */

export interface ExternalWarningsDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  events: EventFeed;
  warnings: Pick<Warnings, 'setDirect' | 'get'>;
  outbox: Pick<Outbox, 'poke'>;
  config: Pick<Config, 'externalWarnings'>;
}

export interface ExternalWarnings {
  /** Parses, validates and applies one alert (UTF-8 text). Throws GW_ERR_CAP_INVALID (nothing stored) or GW_ERR_CONFLICT (identifier reused with other content). */
  receive(xml: string, by: { name: string }): Promise<ReceiveResult>;
  list(q: ExternalWarningQuery): Promise<{ externalWarnings: ExternalWarningView[]; nextCursor: string | null }>;
  get(id: string): Promise<ExternalWarningDetail | undefined>;
  /** Clears the warnings whose alerts have expired by `nowMs`; returns how many. */
  expire(nowMs: number): Promise<number>;
  /** Runs `expire` every `everyMs` on the clock. */
  start(everyMs: number): void;
  stop(): Promise<void>;
}

/** Statuses that are kept but never raise anything (CAP 1.2 §3.2.1: Test is "technical testing only, all recipients disregard"). */
const storeOnly = new Set<CapAlert['status']>(['Test', 'System', 'Draft']);

type Chain = { sender: string; identifier: string };

export function createExternalWarnings(deps: ExternalWarningsDeps): ExternalWarnings {
  const { db, clock, events } = deps;
  const log = componentLogger(deps.logger, 'external-warnings');

  /** The warning of a chain, with what its change did (read from the warning events it emitted). */
  async function setWarning(tx: Queryable, emit: Emit, input: DirectWarningInput, nowMs: number): Promise<{ warning: WarningView | undefined; did: Set<string> }> {
    const did = new Set<string>();
    const watch: Emit = (e) => {
      did.add(e.type);
      return emit(e);
    };
    return { warning: await deps.warnings.setDirect(tx, watch, input, nowMs), did };
  }

  async function chainOf(tx: Queryable, alert: CapAlert): Promise<Chain> {
    if (alert.msgType === 'Alert') return { sender: alert.sender, identifier: alert.identifier };
    const known = await repo.chainOfReferences(tx, alert.references);
    // A reference to something we never received: the earliest one referenced starts the chain.
    const first = alert.references[0];
    return known ?? (first ? { sender: first.sender, identifier: first.identifier } : { sender: alert.sender, identifier: alert.identifier });
  }

  async function apply(tx: Queryable, emit: Emit, alert: CapAlert, row: repo.ExternalRow, chain: Chain, nowMs: number): Promise<{ action: ExternalAction; warning: WarningView | undefined }> {
    if (storeOnly.has(alert.status) || alert.msgType === 'Ack' || alert.msgType === 'Error') return { action: 'stored', warning: undefined };
    const latest = await repo.latestApplied(tx, chain);
    // Arrived late: a newer message of the chain already set the warning.
    if (latest && latest.sent_at_ms > row.sent_at_ms) return { action: 'superseded', warning: undefined };
    const m = mapAlert(alert);
    const info = m?.info;
    const input: DirectWarningInput = {
      fingerprint: `external/${chain.sender}/${chain.identifier}`,
      subject: { type: 'external', id: String(row.id) },
      grade: null,
      title: m?.title ?? latest?.headline ?? latest?.event ?? alert.identifier,
      reason: m?.reason ?? `CAP ${alert.msgType} from ${alert.sender}`,
      category: m?.category ?? latest?.category ?? 'other',
      blockCode: m?.blockCode ?? latest?.block_code ?? '',
      atMs: row.sent_at_ms,
      exercise: alert.status === 'Exercise',
      notify: deps.config.externalWarnings.notify,
      data: {
        cap: {
          sender: alert.sender, identifier: alert.identifier, sent: alert.sent, msgType: alert.msgType, status: alert.status,
          chain, externalWarningId: String(row.id), event: info?.event ?? null, severity: info?.severity ?? null,
          senderName: info?.senderName ?? null, expires: info?.expires ?? null,
        },
      },
    };
    if (alert.msgType === 'Cancel') {
      const r = await setWarning(tx, emit, { ...input, reason: `CAP Cancel from ${alert.sender}${info?.description ? `: ${info.description.slice(0, 200)}` : ''}` }, nowMs);
      return { action: r.did.has('warning.cleared') ? 'cleared' : 'stored', warning: r.warning };
    }
    if (!m) return { action: 'stored', warning: undefined };
    if (row.expires_at_ms !== null && row.expires_at_ms <= nowMs) {
      // No longer in force: raise nothing, and lift what an earlier message of the chain raised.
      const r = await setWarning(tx, emit, { ...input, reason: `CAP ${alert.msgType} expired at ${info?.expires ?? ''}` }, nowMs);
      return { action: 'expired', warning: r.warning };
    }
    const r = await setWarning(tx, emit, { ...input, grade: m.grade }, nowMs);
    const action = r.did.has('warning.raised') ? 'raised' : r.did.has('warning.updated') ? 'regraded' : 'unchanged';
    return { action, warning: r.warning };
  }

  async function receive(xml: string, by: { name: string }): Promise<ReceiveResult> {
    const alert = capFromXml(parseXml(xml));
    const digest = createHash('sha256').update(JSON.stringify(alert)).digest('hex');
    const out = await events.transaction(async (tx, emit) => {
      const nowMs = clock.now();
      await repo.lockKey(tx, `message/${alert.sender}/${alert.identifier}`);
      const existing = await repo.findByKey(tx, alert.sender, alert.identifier);
      if (existing) {
        if (existing.digest !== digest) {
          throw new GatewayError('GW_ERR_CONFLICT', `alert ${alert.identifier} from ${alert.sender} was received before with other content; CAP 1.2 identifiers are unique per sender, so a change needs a new identifier (an Update)`);
        }
        return { duplicate: true, row: existing, warning: undefined };
      }
      const chain = await chainOf(tx, alert);
      await repo.lockKey(tx, `chain/${chain.sender}/${chain.identifier}`);
      const m = mapAlert(alert);
      const inserted = await repo.insertExternal(tx, {
        sender: alert.sender, identifier: alert.identifier, sent: alert.sent, sent_at_ms: capTimeMs(alert.sent, 'alert/sent'), status: alert.status,
        msg_type: alert.msgType, refs: alert.references, chain_sender: chain.sender, chain_identifier: chain.identifier,
        event: m?.info.event ?? null, headline: m?.info.headline ?? null, severity: m?.info.severity ?? null, grade: m && alert.msgType !== 'Cancel' ? m.grade : null,
        category: m?.category ?? null, block_code: m?.blockCode ?? '', expires_at_ms: expiresAtMs(alert), action: 'stored', warning_id: null,
        digest, alert, raw_xml: xml, received_at_ms: nowMs, received_by: by.name,
      });
      const done = await apply(tx, emit, alert, inserted, chain, nowMs);
      const row = await repo.setOutcome(tx, inserted.id, done.action, done.warning ? Number(done.warning.id) : null);
      return { duplicate: false, row, warning: done.warning };
    });
    if (!out.duplicate) deps.outbox.poke();
    log.info({ sender: alert.sender, identifier: alert.identifier, msgType: alert.msgType, status: alert.status, action: out.row.action, warningId: out.row.warning_id, duplicate: out.duplicate }, 'external CAP alert received');
    const warning = out.warning ?? (out.row.warning_id !== null ? (await deps.warnings.get(String(out.row.warning_id)))?.warning : undefined);
    return { duplicate: out.duplicate, externalWarning: repo.toView(out.row), warning: warning ?? null };
  }

  async function expireChain(candidate: Pick<repo.ExternalRow, 'chain_sender' | 'chain_identifier'>, nowMs: number): Promise<boolean> {
    const chain = { sender: candidate.chain_sender, identifier: candidate.chain_identifier };
    return events.transaction(async (tx, emit) => {
      await repo.lockKey(tx, `chain/${chain.sender}/${chain.identifier}`);
      // Again under the lock: an Update may have extended it meanwhile.
      const latest = await repo.latestApplied(tx, chain);
      if (!latest || latest.action === 'cleared' || latest.expires_at_ms === null || latest.expires_at_ms > nowMs) return false;
      const r = await setWarning(tx, emit, {
        fingerprint: `external/${chain.sender}/${chain.identifier}`, subject: { type: 'external', id: String(latest.id) }, grade: null,
        title: latest.headline ?? latest.event ?? latest.identifier, reason: `CAP alert ${latest.identifier} expired at ${new Date(latest.expires_at_ms).toISOString()}`,
        category: latest.category ?? 'other', blockCode: latest.block_code, atMs: latest.expires_at_ms, notify: deps.config.externalWarnings.notify,
      }, nowMs);
      return r.did.has('warning.cleared');
    });
  }

  async function expire(nowMs: number): Promise<number> {
    let cleared = 0;
    for (const c of await repo.expiredChains(db, nowMs, 500)) {
      if (await expireChain(c, nowMs)) cleared++;
    }
    if (cleared > 0) {
      deps.outbox.poke();
      log.info({ cleared }, 'external warnings expired');
    }
    return cleared;
  }

  let ticker: Ticker | undefined;

  return {
    receive,
    async list(q) {
      if (q.from !== undefined && q.to !== undefined && !(Date.parse(q.from) < Date.parse(q.to))) {
        throw new GatewayError('GW_ERR_VALIDATION', '`from` must be before `to`', [{ field: '/from', message: 'must be before to' }]);
      }
      const rows = await repo.listExternal(db, q);
      const last = rows[rows.length - 1];
      return { externalWarnings: rows.map(repo.toView), nextCursor: rows.length === q.limit && last ? String(last.id) : null };
    },
    async get(id) {
      const row = await repo.getById(db, id);
      return row ? { externalWarning: repo.toView(row), alert: row.alert, xml: row.raw_xml } : undefined;
    },
    expire,
    start(everyMs) {
      ticker ??= clockTicker(clock, everyMs, expire, (e) => log.error({ err: e }, 'expiring external warnings failed; retrying on the next tick'));
      ticker.start();
    },
    async stop() {
      await ticker?.stop();
    },
  };
}
