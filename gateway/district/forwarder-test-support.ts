/**
 * Test parts for the district forwarder tests (not used by the service): the warnings harness
 * plus a forwarder run over the feed the way the relay runs it (a page of events in one
 * transaction, a cursor), and readers of the district outbox rows.
 */
import type { Test } from 'tap';
import { pino } from 'pino';
import type { Config } from '../config/schema.js';
import type { EventConsumer } from '../events/types.js';
import { harness, type Harness } from '../warnings/test-support.js';
import { createOutbox } from '../outbox/outbox.js';
import type { CaseView } from '../cases/types.js';
import { chinaTime } from '../events/store.js';
import { createDistrictForwarder } from './forwarder.js';
import type { DistrictPayload } from './types.js';

export interface DistrictRow {
  id: string;
  key: string;
  orderKey: string | null;
  subject: { type: string | null; id: string | null };
  payload: DistrictPayload;
  maxAgeMs: number;
}

export interface ForwarderHarness extends Harness {
  config: Config;
  forwarder: EventConsumer;
  /** Hands every event after the last call to the forwarder, in one transaction. */
  forward(): Promise<void>;
  district(): Promise<DistrictRow[]>;
}

export type DistrictConfig = Partial<Omit<Config['district'], 'cap'>> & { cap?: Partial<Config['district']['cap']> };

export async function forwarderHarness(t: Test, opts: { district?: DistrictConfig; externalMinGrade?: Config['externalWarnings']['forwardMinGrade'] } = {}): Promise<ForwarderHarness> {
  const h = await harness(t);
  const base = h.config;
  const config: Config = {
    ...base,
    district: { ...base.district, ...opts.district, cap: { ...base.district.cap, sender: 'cityops@town.example', agencyCode: '41600', ...opts.district?.cap } },
    externalWarnings: { ...base.externalWarnings, ...(opts.externalMinGrade ? { forwardMinGrade: opts.externalMinGrade } : {}) },
  };
  const outbox = createOutbox({ db: h.db, clock: h.clock, logger: pino({ level: 'silent' }), config: config.outbox });
  const forwarder = createDistrictForwarder({ outbox, config, logger: pino({ level: 'silent' }) });
  let cursor: string | undefined;
  return {
    ...h,
    config,
    forwarder,
    async forward() {
      const events = await h.feed.list({ limit: 1000, ...(cursor !== undefined ? { after: cursor } : {}) });
      if (events.length === 0) return;
      await h.db.transaction((tx) => forwarder.handle(tx, events));
      cursor = events[events.length - 1]?.id;
    },
    async district() {
      const r = await h.db.query<{ id: string; idem_key: string; order_key: string | null; subject_type: string | null; subject_id: string | null; payload: DistrictPayload; max_age_ms: string }>(
        "SELECT id::text, idem_key, order_key, subject_type, subject_id, payload, max_age_ms FROM outbox WHERE channel = 'district' ORDER BY id",
      );
      return r.rows.map((x) => ({ id: x.id, key: x.idem_key, orderKey: x.order_key, subject: { type: x.subject_type, id: x.subject_id }, payload: x.payload, maxAgeMs: Number(x.max_age_ms) }));
    },
  };
}

/** A CaseView as H-cases emits it, for events written straight to the feed. */
export function caseView(over: Partial<CaseView> = {}): CaseView {
  const at = chinaTime(Date.UTC(2026, 5, 1, 2));
  return {
    id: '42', source: 'manual', sourceName: 'ops', externalId: null, warningId: null, districtCaseNo: null, category: 'rainstorm', kind: null, grade: 'red',
    title: '道路积水', description: 'water over the kerb', blockCode: '310117006001003012', location: { lon: 121.2, lat: 31.0 }, status: 'new', unit: null,
    exercise: false, incidentAt: at, createdAt: at, updatedAt: at,
    times: { reported: null, dispatched: null, signed: null, arrived: null, handled: null, verified: null, closed: null }, createdBy: 'ops', ...over,
  };
}
