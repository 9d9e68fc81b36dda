import { Type, type Static, type TSchema } from 'typebox';
import { grades } from '../../rules/schema.js';
import { caseStatuses, type CaseActor, type CaseView } from './types.js';
import { steps } from './lifecycle.js';
import type { TransitionRecord } from './repo.js';

/** The cases API on the wire (docs/cases.md): one schema per shape gives validation and the type. */

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const GradeName = Type.Enum(grades);
const Tier = Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3)]);
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const StatusTime = (s: string) => Nullable(Type.String({ description: `When the case became ${s} (ISO 8601, +08:00); null when not yet.` }));

export const CaseLocationSchema = Type.Object(
  {
    lon: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
    lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
    address: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false, description: 'WGS 84, as far as known.' },
);

export const CaseViewSchema = Type.Object(
  {
    id: Type.String({ description: 'Our case id (decimal string): the key in every message both ways.' }),
    source: Type.Enum(['warning', 'external', 'manual']),
    sourceName: Type.String({ description: 'warning: the rule id; external: the source id (12345, 110); manual: the user id.' }),
    externalId: Nullable(Type.String({ description: "The external source's own report id." })),
    warningId: Nullable(Type.String({ description: 'The warning that opened it.' })),
    districtCaseNo: Nullable(Type.String({ description: "The district's own case number, once it has given one." })),
    category: Type.String(),
    kind: Nullable(Type.String({ description: 'Device kind where a sensor found it.' })),
    grade: Nullable(GradeName),
    title: Type.String(),
    description: Type.String(),
    blockCode: Type.String({ description: 'Grid block (17 digits) or a prefix of one; empty when unknown.' }),
    location: CaseLocationSchema,
    status: Type.Enum(caseStatuses),
    unit: Nullable(Type.Object({ id: Type.String(), tier: Tier }, { additionalProperties: false, description: 'The unit it is (or was last) dispatched to.' })),
    exercise: Type.Boolean({ description: 'A drill (演练): not a real incident.' }),
    incidentAt: Type.String({ description: 'When it happened (first breach of its warning, or the time the report gives), ISO 8601 +08:00.' }),
    createdAt: Type.String(),
    updatedAt: Type.String(),
    times: Type.Object(
      {
        reported: StatusTime('reported'), dispatched: StatusTime('dispatched'), signed: StatusTime('signed'), arrived: StatusTime('arrived'),
        handled: StatusTime('handled'), verified: StatusTime('verified'), closed: StatusTime('closed'),
      },
      { additionalProperties: false, description: 'Time of each status reached so far (signed and arrived of the current dispatch).' },
    ),
    createdBy: Type.String({ description: '`system` (a warning), `source:{id}`, or the user id.' }),
  },
  { additionalProperties: false },
);
const viewInStep: Same<Static<typeof CaseViewSchema>, CaseView> = true;
void viewInStep;

export const CaseActorSchema = Type.Object(
  { type: Type.Enum(['user', 'district', 'system', 'source']), id: Type.String({ description: 'User id, `district`, `system` or `source:{id}`.' }) },
  { additionalProperties: false },
);
const actorInStep: Same<Static<typeof CaseActorSchema>, CaseActor> = true;
void actorInStep;

export const TransitionRecordSchema = Type.Object(
  {
    id: Type.String(),
    from: Nullable(Type.Enum(caseStatuses)),
    to: Type.Enum(caseStatuses),
    step: Type.String({ description: '`opened` (the first row), the status reached, or `resumed`.' }),
    at: Type.String({ description: 'When it happened (the district\'s time for feedback), +08:00.' }),
    atMs: Type.Number(),
    recordedAt: Type.String({ description: 'When the gateway recorded it, +08:00.' }),
    actor: CaseActorSchema,
    note: Nullable(Type.String()),
    data: Type.Record(Type.String(), Type.Unknown(), { description: 'dispatched: `unit`; `districtCaseNo` when given.' }),
  },
  { additionalProperties: false },
);
const transitionInStep: Same<Static<typeof TransitionRecordSchema>, TransitionRecord> = true;
void transitionInStep;

export const CaseDetail = Type.Object({ case: CaseViewSchema, transitions: Type.Array(TransitionRecordSchema) }, { additionalProperties: false });

export const CaseIdParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,18}$', description: 'Case id.' }) });

export const CaseListQuery = Type.Object(
  {
    status: Type.Optional(Type.Array(Type.Enum(caseStatuses), { description: 'One or more statuses (repeat the parameter).' })),
    source: Type.Optional(Type.Enum(['warning', 'external', 'manual'])),
    block: Type.Optional(Type.String({ pattern: '^[0-9-]{1,24}$', description: 'Block code prefix (dashes ignored).' })),
    unit: Type.Optional(Type.String({ minLength: 1, description: 'Dispatched (last) to this unit.' })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Created at or after.' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Created before.' })),
    cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$', description: 'The `nextCursor` of the previous page.' })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  },
  { additionalProperties: false },
);

export const CaseList = Type.Object({ cases: Type.Array(CaseViewSchema), nextCursor: Nullable(Type.String()) });

/** `POST /cases`: the same body for an external source (signed) and for a case by hand. */
export const CaseInputBody = Type.Object(
  {
    externalId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: "External sources: the source's own report id (required); a repeat returns the first case." })),
    category: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'rainstorm, fire, gas, ...; an external source\'s configured category when omitted; required by hand.' })),
    kind: Type.Optional(Type.String({ maxLength: 64 })),
    title: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 4000 })),
    block: Type.Optional(Type.String({ pattern: '^[0-9-]{0,24}$', description: 'Grid block code (dashes ignored).' })),
    location: Type.Optional(CaseLocationSchema),
    incidentAt: Type.Optional(Type.String({ format: 'date-time', description: 'When it happened (required from external sources); default now.' })),
    grade: Type.Optional(GradeName),
    exercise: Type.Optional(Type.Boolean({ description: 'A drill.' })),
  },
  { additionalProperties: false },
);
export type CaseInputBody = Static<typeof CaseInputBody>;

export const CreatedCase = Type.Object({ case: CaseViewSchema, duplicate: Type.Boolean({ description: 'true: this externalId was reported before; `case` is the first case.' }) });

export const TransitionBody = Type.Object(
  {
    to: Type.Enum(steps, { description: 'The step: a status, or `resumed` to end a suspension.' }),
    at: Type.Optional(Type.String({ format: 'date-time', description: 'When it happened; default now.' })),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
    unit: Type.Optional(Type.Object(
      { id: Type.String({ minLength: 1, maxLength: 128 }), tier: Type.Optional(Tier) },
      { additionalProperties: false, description: 'dispatched: the duty unit (its tier from the registry; give `tier` for a unit it does not know).' },
    )),
    districtCaseNo: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  { additionalProperties: false },
);

// Written report (seeds 000, 004).

const unknownText = (description: string) => Type.String({ maxLength: 4000, description: `${description} \`unknown\` when not known yet.` });

export const WrittenReport = Type.Object(
  {
    what: Type.String({ maxLength: 4000, description: '事件概况: what happened.' }),
    where: Type.String({ maxLength: 1000, description: '地点: address, block, coordinates, device.' }),
    when: Type.String({ format: 'date-time', description: '发生时间: the incident time, ISO 8601 (+08:00).' }),
    grade: Nullable(GradeName),
    areaAffected: unknownText('影响范围: the area affected.'),
    casualties: unknownText('人员伤亡: casualties.'),
    losses: unknownText('财产损失: losses.'),
    measuresTaken: Type.String({ maxLength: 8000, description: '已采取措施: measures taken so far.' }),
    pictures: Type.Array(Type.String({ minLength: 1, maxLength: 2000 }), { maxItems: 100, description: '现场图片: picture ids or URLs.' }),
    nextSteps: Type.String({ maxLength: 4000, description: '下一步工作: next steps.' }),
  },
  { additionalProperties: false },
);
export type WrittenReport = Static<typeof WrittenReport>;

const ReportActor = Type.Object({ id: Type.String(), name: Type.String() }, { additionalProperties: false });

export const ReportVersion = Type.Object(
  {
    version: Type.Integer({ minimum: 1 }),
    report: WrittenReport,
    editedBy: ReportActor,
    editedAt: Type.String(),
    note: Nullable(Type.String()),
    confirmedBy: Nullable(ReportActor),
    confirmedAt: Nullable(Type.String()),
  },
  { additionalProperties: false },
);
export type ReportVersion = Static<typeof ReportVersion>;

export const ReportView = Type.Object(
  {
    caseId: Type.String(),
    version: Type.Integer({ minimum: 0, description: 'The current version; 0: nothing saved yet, `report` is drafted from the case.' }),
    report: WrittenReport,
    confirmed: Type.Boolean({ description: 'Whether the current version is confirmed.' }),
    lastConfirmed: Nullable(Type.Object({ version: Type.Integer(), by: ReportActor, at: Type.String() }, { additionalProperties: false, description: 'The newest confirmed version: the one that counts.' })),
    versions: Type.Array(Type.Object({ version: Type.Integer(), editedBy: ReportActor, editedAt: Type.String(), confirmedAt: Nullable(Type.String()) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export type ReportView = Static<typeof ReportView>;

export const ReportEditBody = Type.Object(
  {
    report: WrittenReport,
    baseVersion: Type.Optional(Type.Integer({ minimum: 0, description: 'The version this edit starts from; a newer one saved meanwhile is a conflict (409).' })),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export const ReportConfirmBody = Type.Object(
  { version: Type.Optional(Type.Integer({ minimum: 0, description: 'The version read and confirmed; it must be the current one (409 otherwise). Default: the current one.' })) },
  { additionalProperties: false },
);
