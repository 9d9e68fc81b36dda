import { Type, type Static } from 'typebox';
import { DurationString } from '../../rules/schema.js';
import { deviceKinds } from '../../adapters/types.js';
import { DutyCalendar } from './calendar.js';

/**
 * The duty area's wire model (docs/duty.md): one schema per shape gives the type and the check.
 * Names and phones are personal data: the routes mask them for roles that need not see them.
 */
/** A grid-block code or prefix, digits, dashes allowed between them (stored without). */
export const BlockPrefix = Type.String({ pattern: '^[0-9]+(-[0-9]+)*$', maxLength: 24, description: 'Grid-block code prefix; dashes are ignored (310117006-02 = 31011700602).' });
const Blocks = Type.Array(BlockPrefix, { default: [], maxItems: 500, description: 'Grid-block code prefixes it answers for (empty: all); dashes are ignored.' });
// The kinds the adapters know: a misspelt kind would silently never match.
const Kinds = Type.Array(Type.Enum(deviceKinds), { default: [], maxItems: 100, description: 'Device kinds it answers for (empty: all).' });
const ShownKinds = Type.Array(Type.String(), { description: 'Device kinds it answers for (empty: all).' });
const Phone = Type.String({ pattern: '^\\+?[0-9][0-9 -]{2,19}$', description: 'Phone number.' });
/** In answers: masked as `138****5678` for roles other than ops. */
const ShownPhone = Type.String({ description: 'Phone number (masked for viewer and district roles).' });
const PersonName = Type.String({ minLength: 1, maxLength: 100, description: 'Name (masked for viewer and district roles).' });
const Timestamp = Type.String({ format: 'date-time' });

export const chainRoles = ['duty_officer', 'leader_on_duty', 'head'] as const;
export const ChainRoleSchema = Type.Enum(chainRoles);

const contactOf = (phone: typeof Phone) => Type.Object(
  {
    name: PersonName,
    role: Type.String({ minLength: 1, maxLength: 64, description: 'E.g. 分管负责人 (leader in charge), 联络员 (liaison), 值班电话 (duty line).' }),
    phone,
  },
  { additionalProperties: false },
);
export const Contact = contactOf(Phone);

export const UnitBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    tier: Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3)], { description: 'Seed 004 第十条: 1 round the clock, 2 government duty hours, 3 office hours.' }),
    calendar: Type.Optional(DutyCalendar),
    contacts: Type.Array(Contact, { default: [], maxItems: 50 }),
    blocks: Blocks,
    kinds: Kinds,
  },
  { additionalProperties: false },
);
export type UnitBody = Static<typeof UnitBody>;

export const UnitInput = Type.Object(
  { id: Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,63}$', description: 'Stable id, e.g. water-bureau.' }), ...UnitBody.properties },
  { additionalProperties: false },
);
export type UnitInput = Static<typeof UnitInput>;

export const Unit = Type.Object({
  ...UnitInput.properties,
  calendar: DutyCalendar,
  kinds: ShownKinds,
  contacts: Type.Array(contactOf(ShownPhone)),
  onDutyNow: Type.Boolean({ description: 'Whether its calendar has it on duty at the time of the answer.' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Unit = Static<typeof Unit>;

const personOf = (phone: typeof Phone) => Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64, description: 'Stable person id (staff number); what acknowledgements name.' }), name: PersonName, phone },
  { additionalProperties: false },
);
export const Person = personOf(Phone);
export type Person = Static<typeof Person>;
const ShownPerson = personOf(ShownPhone);

const peopleOf = (person: typeof Person) => Type.Object(
  {
    duty_officer: Type.Array(person, { maxItems: 20, description: 'Two or more on post (双人在岗); the first listed is called first.' }),
    leader_on_duty: Type.Array(person, { maxItems: 10, description: 'At least one leader on duty (带班领导).' }),
    head: Type.Array(person, { default: [], maxItems: 10, description: 'The head (主要负责人), last in the chain.' }),
  },
  { additionalProperties: false },
);
export const ShiftPeople = peopleOf(Person);
export type ShiftPeople = Static<typeof ShiftPeople>;

export const ShiftInput = Type.Object(
  {
    startsAt: Timestamp,
    endsAt: Timestamp,
    blocks: Blocks,
    kinds: Kinds,
    people: ShiftPeople,
    note: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export type ShiftInput = Static<typeof ShiftInput>;

export const Shift = Type.Object({ id: Type.String(), ...ShiftInput.properties, kinds: ShownKinds, people: peopleOf(ShownPerson), createdAt: Timestamp, updatedAt: Timestamp });
export type Shift = Static<typeof Shift>;

export const CallPlanStep = Type.Object(
  {
    role: ChainRoleSchema,
    channels: Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' }), { minItems: 1, maxItems: 10, description: 'Notifier names the call goes out on (config `notifiers`), e.g. phone-gateway, sms-gateway.' }),
    deadline: Type.Optional(DurationString),
  },
  { additionalProperties: false },
);
export type CallPlanStep = Static<typeof CallPlanStep>;

export const CallPlanBody = Type.Object(
  {
    description: Type.String({ default: '', maxLength: 500 }),
    steps: Type.Array(CallPlanStep, { minItems: 1, maxItems: 10, description: 'Who is called, in order; each step escalates to the next when its deadline passes.' }),
  },
  { additionalProperties: false },
);
export type CallPlanBody = Static<typeof CallPlanBody>;

export const CallPlan = Type.Object({
  category: Type.String(),
  ...CallPlanBody.properties,
  source: Type.Enum(['builtin', 'custom'], { description: 'builtin: the shipped plan (seed 003 §四2); custom: edited through the API.' }),
});
export type CallPlan = Static<typeof CallPlan>;

export const CalloutStatusBody = Type.Object({
  warningId: Type.String(),
  state: Type.Enum(['calling', 'acknowledged', 'cancelled', 'exhausted']),
  grade: Type.String(),
  category: Type.String(),
  blockCode: Type.String(),
  step: Type.Integer(),
  role: ChainRoleSchema,
  steps: Type.Array(Type.Object({ role: ChainRoleSchema, channels: Type.Array(Type.String()), deadlineMs: Type.Integer() })),
  person: Type.Union([ShownPerson, Type.Null()], { description: 'Who is being called now.' }),
  deadline: Timestamp,
  nextAt: Type.Union([Timestamp, Type.Null()]),
  calls: Type.Integer({ description: 'Calls and reminders sent so far.' }),
  acknowledgedBy: Type.Union([Type.String(), Type.Null()]),
  acknowledgedPerson: Type.Union([Type.String(), Type.Null()]),
  acknowledgedAt: Type.Union([Timestamp, Type.Null()]),
});
export type CalloutStatusBody = Static<typeof CalloutStatusBody>;

export const CalloutLogEntry = Type.Object({
  at: Timestamp,
  type: Type.String({ description: 'call, reminder, escalated, exhausted, unstaffed, regraded, acknowledged, cancelled.' }),
  step: Type.Union([Type.Integer(), Type.Null()]),
  role: Type.Union([Type.String(), Type.Null()]),
  personId: Type.Union([Type.String(), Type.Null()]),
  personName: Type.Union([Type.String(), Type.Null()]),
  channel: Type.Union([Type.String(), Type.Null()]),
  detail: Type.String(),
});
export type CalloutLogEntry = Static<typeof CalloutLogEntry>;
