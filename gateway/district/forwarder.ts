import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import type { Config } from '../config/schema.js';
import { componentLogger, type Logger } from '../core/log.js';
import type { Queryable } from '../storage/db.js';
import type { EventConsumer, PlatformEvent } from '../events/types.js';
import type { Outbox } from '../outbox/types.js';
import { WarningView } from '../warnings/schema.js';
import { getWarning, toView } from '../warnings/repo.js';
import { CaseViewSchema, WrittenReport } from '../cases/schema.js';
import { forwardWarning, type WarningForwardContext } from './forwarder-warnings.js';
import { casePayload, caseReportPayload, districtKeys, districtMaxAge, orderKeys, TransitionSchema, type CaseMessage } from './messages.js';
import { districtChannelName } from './types.js';

/**
 * The district forwarder (docs/district-link.md): a durable consumer of the event feed that
 * turns case and warning events into outbox messages on the `district` channel, in the
 * transaction that moves its cursor, so each is queued exactly once. The channel (H-link's
 * channel.ts) signs and delivers them.
 */

export const districtConsumerName = 'district';
export const forwardedEventTypes = ['case.opened', 'case.report_confirmed', 'warning.raised', 'warning.updated', 'warning.cleared'];


export interface ForwarderOptions {
  outbox: Pick<Outbox, 'enqueue'>;
  config: Pick<Config, 'district' | 'externalWarnings'>;
  logger: Logger;
}

const CaseOpenedData = Type.Object({ case: CaseViewSchema });
const ReportData = Type.Object({ case: CaseViewSchema, report: WrittenReport, version: Type.Integer({ minimum: 1 }) });
const WarningData = Type.Object({ warning: WarningView, transition: TransitionSchema });

export function createDistrictForwarder(opts: ForwarderOptions): EventConsumer {
  const log = componentLogger(opts.logger, 'district-forwarder');
  // The contract's floor: a district message is never given up before a day has passed.
  const maxAgeMs = districtMaxAge(opts.config.district);
  const enqueue = (tx: Queryable, m: Parameters<Outbox['enqueue']>[1]) => opts.outbox.enqueue(tx, m);
  const warnings: WarningForwardContext = { config: opts.config, log, enqueue, maxAgeMs };

  /** Our own events, but a malformed one must not stop the feed for everything after it: logged and skipped. */
  function wellFormed(e: PlatformEvent, schema: TSchema): boolean {
    if (Value.Check(schema, e.data)) return true;
    const first = [...Value.Errors(schema, e.data)][0];
    log.error({ eventId: e.id, type: e.type, at: first?.instancePath, err: first?.message }, 'event does not have the expected shape; not forwarded to the district');
    return false;
  }

  async function caseOpened(tx: Queryable, e: PlatformEvent): Promise<void> {
    if (!wellFormed(e, CaseOpenedData)) return;
    const c = (e.data as { case: CaseMessage['case'] }).case;
    const row = c.warningId !== null ? await getWarning(tx, c.warningId) : undefined;
    const key = districtKeys.caseOpened(c.id);
    const message: CaseMessage = { kind: 'case', key, sentAt: e.at, case: c, warning: row ? toView(row) : null };
    await opts.outbox.enqueue(tx, { channel: districtChannelName, key, payload: casePayload(message), orderKey: orderKeys.case(c.id), maxAgeMs, subject: { type: 'case', id: c.id } });
  }

  async function reportConfirmed(tx: Queryable, e: PlatformEvent): Promise<void> {
    if (!wellFormed(e, ReportData)) return;
    const d = e.data as Static<typeof ReportData>;
    const caseId = d.case.id;
    const key = districtKeys.caseReport(caseId, d.version);
    const payload = caseReportPayload({ kind: 'case_report', key, caseId, version: d.version, report: d.report });
    await opts.outbox.enqueue(tx, { channel: districtChannelName, key, payload, orderKey: orderKeys.case(caseId), maxAgeMs, subject: { type: 'case', id: caseId } });
  }

  return {
    name: districtConsumerName,
    types: forwardedEventTypes,
    async handle(tx, events) {
      for (const e of events) {
        if (e.type === 'case.opened') await caseOpened(tx, e);
        else if (e.type === 'case.report_confirmed') await reportConfirmed(tx, e);
        else if (e.type.startsWith('warning.') && forwardedEventTypes.includes(e.type) && wellFormed(e, WarningData)) await forwardWarning(tx, warnings, e);
      }
    },
  };
}
