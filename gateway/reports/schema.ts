import { Type, type Static } from 'typebox';

/** The reports' wire model (docs/reports.md): one schema per shape gives the type and the check. */

const Time = Type.String({ description: 'ISO 8601 with +08:00.' });
const Counts = Type.Record(Type.String(), Type.Integer(), { description: 'Count per value.' });
const Share = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], { description: 'A fraction 0-1; null when there is nothing to divide by.' });
const millis = (what: string) => Type.Union([Type.Integer(), Type.Null()], { description: `${what}, milliseconds; null when no case got there.` });

export const PeriodView = Type.Object({
  kind: Type.Enum(['week', 'month', 'year']),
  label: Type.String({ description: '2026-W48, 2026-11, 2026.' }),
  from: Time,
  to: Type.String({ description: 'End, exclusive (ISO 8601 with +08:00).' }),
  complete: Type.Boolean({ description: 'Whether the period is over at the time of the report.' }),
});
export type PeriodView = Static<typeof PeriodView>;

const StepCounts = Type.Object({
  onTime: Type.Integer(),
  late: Type.Integer(),
  never: Type.Integer({ description: 'The deadline passed and the step never came (a miss).' }),
  cancelled: Type.Integer({ description: 'The clock stopped before its deadline (re-dispatch, 退单, closed): not scored.' }),
  open: Type.Integer({ description: 'Still running or paused (suspended case).' }),
});
export type StepCounts = Static<typeof StepCounts>;

const LinkageRow = Type.Object({
  dispatches: Type.Integer({ description: 'Dispatches to the unit that started in the period.' }),
  signed: StepCounts,
  arrived: StepCounts,
  misses: Type.Integer({ description: 'Late or never signed, plus late or never arrived (附件二 6, 7).' }),
  pointsDeducted: Type.Number(),
  score: Type.Number({ description: 'The annex scores by deduction only: 0 minus the points deducted.' }),
});
export type LinkageRow = Static<typeof LinkageRow>;

export const UnitLinkage = Type.Object({
  unit: Type.Object({ id: Type.String(), name: Type.Union([Type.String(), Type.Null()]), tier: Type.Union([Type.Integer(), Type.Null()]) }),
  ...LinkageRow.properties,
});
export type UnitLinkage = Static<typeof UnitLinkage>;

export const LinkageReport = Type.Object({
  period: PeriodView,
  generatedAt: Time,
  pointsPerMiss: Type.Number(),
  units: Type.Array(UnitLinkage),
  totals: LinkageRow,
});
export type LinkageReport = Static<typeof LinkageReport>;

export const WarningSummary = Type.Object({
  total: Type.Integer({ description: 'Warnings raised in the period (exercises not counted).' }),
  exercises: Type.Integer(),
  byGrade: Type.Record(Type.String(), Type.Integer(), { description: 'By the highest grade each reached.' }),
  byKind: Counts,
  byBlock: Counts,
  byCategory: Counts,
  acknowledgement: Type.Object({
    required: Type.Integer({ description: 'Warnings that went through 叫应.' }),
    inTime: Type.Integer({ description: 'Acknowledged within the first step\'s deadline.' }),
    late: Type.Integer(),
    never: Type.Integer(),
  }),
});
export type WarningSummary = Static<typeof WarningSummary>;

export const CaseSummary = Type.Object({
  total: Type.Integer({ description: 'Cases created in the period (exercises not counted).' }),
  exercises: Type.Integer(),
  bySource: Counts,
  byStatus: Type.Record(Type.String(), Type.Integer(), { description: 'Status now.' }),
  byCategory: Counts,
  medianMs: Type.Object({
    report: millis('Incident to reported'),
    sign: millis('Last dispatch to signed'),
    arrive: millis('Last dispatch to arrived'),
    close: millis('Incident to closed'),
  }),
});
export type CaseSummary = Static<typeof CaseSummary>;

const ClockCounts = Type.Object({ met: Type.Integer(), late: Type.Integer(), missed: Type.Integer(), stopped: Type.Integer(), open: Type.Integer(), paused: Type.Integer() });
export type ClockCounts = Static<typeof ClockCounts>;
export const SlaSummary = Type.Object({
  first_report: ClockCounts,
  written_report: ClockCounts,
  sign: ClockCounts,
  arrive: ClockCounts,
});
export type SlaSummary = Static<typeof SlaSummary>;

const Availability = Type.Object({
  devices: Type.Integer(),
  onlineShare: Share,
  expectedReports: Type.Integer({ description: 'Reporting slots (the heartbeat interval, at least an hour) the devices were registered for.' }),
  receivedReports: Type.Integer({ description: 'Slots with at least one reading.' }),
  reportShare: Share,
});
export type Availability = Static<typeof Availability>;
export const DeviceAvailability = Type.Object({
  byKind: Type.Record(Type.String(), Availability),
  total: Availability,
});
export type DeviceAvailability = Static<typeof DeviceAvailability>;

export const PeriodReport = Type.Object({
  period: PeriodView,
  generatedAt: Time,
  warnings: WarningSummary,
  cases: CaseSummary,
  sla: SlaSummary,
  linkage: Type.Object({ pointsPerMiss: Type.Number(), units: Type.Array(UnitLinkage), totals: LinkageRow }),
  devices: DeviceAvailability,
});
export type PeriodReport = Static<typeof PeriodReport>;
