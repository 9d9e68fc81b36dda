import { chinaTime } from '../../gateway/events/store.js';
import type { Clock } from '../../gateway/core/clock.js';
import type { DeliveryFilter, SimStats, StoredDelivery } from './types.js';

/** A parsed, verified delivery before the store decides whether it is new. */
export type DeliveryInput = Omit<StoredDelivery, 'seq' | 'districtCaseNo' | 'receivedAt' | 'receivedAtMs' | 'repeats'>;

export interface Acknowledgement {
  duplicate: boolean;
  districtCaseNo: string | null;
}

function emptyStats(): SimStats {
  return {
    received: 0, unique: 0, duplicates: 0, rejected: { signature: 0, other: 0 }, byKind: {},
    byEndpoint: { primary: 0, backup: 0 }, failedByMode: 0, feedback: { sent: 0, ok: 0, failed: 0 },
  };
}

/**
 * What the district platform holds, shared by its primary and backup links: deliveries by
 * Idempotency-Key (a repeat is acknowledged, counted, not stored again) and one district case
 * number per case id, `QP` + the China date + a six-digit serial.
 */
export class DeliveryStore {
  readonly counters: SimStats = emptyStats();
  private byKey = new Map<string, StoredDelivery>();
  private list: StoredDelivery[] = [];
  private caseNos = new Map<string, string>();
  private serial = 0;

  constructor(
    private readonly clock: Clock,
    /** Called once per case id, when its first case delivery is stored. */
    private readonly onNewCase: (caseId: string, districtCaseNo: string) => void,
  ) {}

  accept(input: DeliveryInput): Acknowledgement {
    const c = this.counters;
    const seen = this.byKey.get(input.key);
    c.byEndpoint[input.endpoint]++;
    if (seen) {
      seen.repeats++;
      c.duplicates++;
      return { duplicate: true, districtCaseNo: seen.districtCaseNo ?? this.caseNo(seen.caseId) };
    }
    const nowMs = this.clock.now();
    let districtCaseNo = this.caseNo(input.caseId);
    let isNewCase = false;
    if (input.kind === 'case' && input.caseId !== null && districtCaseNo === null) {
      districtCaseNo = this.assignCaseNo(input.caseId, nowMs);
      isNewCase = true;
    }
    const stored: StoredDelivery = {
      ...input, seq: this.list.length + 1, districtCaseNo, receivedAt: chinaTime(nowMs), receivedAtMs: nowMs, repeats: 0,
    };
    this.byKey.set(input.key, stored);
    this.list.push(stored);
    c.unique++;
    c.byKind[input.kind] = (c.byKind[input.kind] ?? 0) + 1;
    if (isNewCase && input.caseId !== null && districtCaseNo !== null) this.onNewCase(input.caseId, districtCaseNo);
    return { duplicate: false, districtCaseNo };
  }

  caseNo(caseId: string | null): string | null {
    return caseId === null ? null : (this.caseNos.get(caseId) ?? null);
  }

  deliveries(filter: DeliveryFilter = {}): StoredDelivery[] {
    const { kind, caseId, endpoint } = filter;
    if (kind === undefined && caseId === undefined && endpoint === undefined) return this.list.slice();
    return this.list.filter((d) => (kind === undefined || d.kind === kind) && (caseId === undefined || d.caseId === caseId) && (endpoint === undefined || d.endpoint === endpoint));
  }

  /** A copy of the counters (the caller may keep it while traffic goes on). */
  stats(): SimStats {
    const c = this.counters;
    return { ...c, rejected: { ...c.rejected }, byKind: { ...c.byKind }, byEndpoint: { ...c.byEndpoint }, feedback: { ...c.feedback } };
  }

  reset(): void {
    Object.assign(this.counters, emptyStats());
    this.byKey.clear();
    this.list = [];
    this.caseNos.clear();
    this.serial = 0;
  }

  private assignCaseNo(caseId: string, nowMs: number): string {
    const date = chinaTime(nowMs).slice(0, 10).replaceAll('-', '');
    const no = `QP${date}${String(++this.serial).padStart(6, '0')}`;
    this.caseNos.set(caseId, no);
    return no;
  }
}
