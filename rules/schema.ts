import { Type, type Static, type TSchema } from 'typebox';

/**
 * The rule model (docs/rules.md): rules are data, and this one schema gives both the runtime
 * check and the TypeScript types (STYLE.md §4–5). What the schema cannot say (one of metric/expr,
 * thresholds in grade order, metrics the scoped kinds expose) `rules/validate.ts` checks, naming
 * the path of each problem.
 */

export const grades = ['blue', 'yellow', 'orange', 'red'] as const;
export type Grade = (typeof grades)[number];
/** 0 = no warning, 1 = blue (IV) … 4 = red (I). */
export type GradeLevel = 0 | 1 | 2 | 3 | 4;

/** `90s`, `5m`, `2h`, `1d`, `250ms`: parsed by `parseDuration` in rules/duration.ts. */
const durationOptions = { pattern: '^[0-9]+(ms|s|m|h|d)$', description: 'A duration: a whole number with a unit, ms, s, m, h or d (e.g. 90s, 5m).' };
export const DurationString = Type.String(durationOptions);
const DurationDefault = (d: string) => Type.String({ ...durationOptions, default: d });

const PerGrade = <T extends TSchema>(item: T, description: string) =>
  Type.Object(
    { blue: Type.Optional(item), yellow: Type.Optional(item), orange: Type.Optional(item), red: Type.Optional(item) },
    { additionalProperties: false, minProperties: 1, description },
  );

const Ident = Type.String({ pattern: '^[a-z][a-z0-9_]*$', maxLength: 64 });

/** Where a numeric leaf takes its value from: one metric, or an expression over the same device's metrics. */
const Input = {
  metric: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'The metric read (as the adapter exposes it).' })),
  expr: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'Arithmetic over the device’s latest metric values: + - * / ( ), abs(), min(), max(), e.g. `max(tilt_x_deg, tilt_y_deg)`.' })),
};

export const ThresholdCondition = Type.Object(
  {
    type: Type.Literal('threshold'),
    ...Input,
    direction: Type.Enum(['above', 'below'], { default: 'above', description: 'above: a grade holds while value ≥ its threshold; below: while value ≤ it.' }),
    thresholds: PerGrade(Type.Number(), 'Per-grade thresholds, in grade order (e.g. 15 / 25 / 40 / 50 cm).'),
  },
  { additionalProperties: false },
);

export const RateCondition = Type.Object(
  {
    type: Type.Literal('rate'),
    ...Input,
    window: DurationString,
    direction: Type.Enum(['rise', 'fall'], { default: 'rise', description: 'rise: value now minus the oldest value in the window; fall: the opposite.' }),
    thresholds: PerGrade(Type.Number({ exclusiveMinimum: 0 }), 'Per-grade change over the window.'),
  },
  { additionalProperties: false },
);

export const NoDataCondition = Type.Object(
  {
    type: Type.Literal('no_data'),
    metric: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Watch this metric only; default: every reading from the device.' })),
    after: PerGrade(DurationString, 'Per-grade silence before the grade holds (e.g. yellow after 2h, orange after 6h).'),
  },
  { additionalProperties: false },
);

export const StateCondition = Type.Object(
  {
    type: Type.Literal('state'),
    metric: Type.String({ minLength: 1, maxLength: 64, description: 'A state metric or event (alarm_state, cover_state, a camera analytics event).' }),
    states: PerGrade(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }), 'Per-grade states that raise it, e.g. red: [alarm], yellow: [fault, tamper].'),
  },
  { additionalProperties: false },
);

export const LeafCondition = Type.Union([ThresholdCondition, RateCondition, NoDataCondition, StateCondition]);

/**
 * All / any over one device's leaves. A leaf yields a grade level; `all` takes the lowest,
 * `any` the highest. A state leaf listing one grade only is read as a gate: in `all` it holds
 * at every grade (e.g. cover open AND depth grades).
 */
export const CombinationCondition = Type.Object(
  {
    type: Type.Enum(['all', 'any']),
    conditions: Type.Array(LeafCondition, { minItems: 2, maxItems: 16 }),
  },
  { additionalProperties: false },
);

/** k of n devices in the same grid block within a window (two smoke alarms in one building → red). */
export const KOfNCondition = Type.Object(
  {
    type: Type.Literal('k_of_n'),
    of: Type.Union([LeafCondition, CombinationCondition]),
    k: PerGrade(Type.Integer({ minimum: 1, maximum: 10000 }), 'Per-grade number of distinct devices whose `of` condition held within the window.'),
    window: DurationString,
    blockDigits: Type.Optional(Type.Integer({ minimum: 1, maximum: 17, description: 'How many leading digits of the block code make "the same block" (default 17: the responsibility block).' })),
  },
  { additionalProperties: false },
);

export const Condition = Type.Union([ThresholdCondition, RateCondition, NoDataCondition, StateCondition, CombinationCondition, KOfNCondition]);

export const Scope = Type.Object(
  {
    kinds: Type.Array(Type.String(), { default: [], description: 'Device kinds (empty: every kind whose adapter exposes the metrics).' }),
    devices: Type.Array(Type.String(), { default: [], description: 'Device ids (empty: all in the other filters).' }),
    blocks: Type.Array(Type.String({ pattern: '^[0-9]{1,17}$' }), { default: [], description: 'Grid-block code prefixes.' }),
    tags: Type.Array(Type.String(), { default: [], description: 'Device tags; a device needs all of them.' }),
  },
  { additionalProperties: false, default: {} },
);

export const Schedule = Type.Object(
  {
    timezone: Type.String({ default: 'Asia/Shanghai', description: 'IANA zone the windows are read in.' }),
    windows: Type.Array(
      Type.Object(
        {
          months: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 12 }), { minItems: 1, description: 'Months (1–12), e.g. flood season [6,7,8,9].' })),
          weekdays: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { minItems: 1, description: 'ISO weekdays, 1 = Monday.' })),
          from: Type.Optional(Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'Local start time HH:MM.' })),
          to: Type.Optional(Type.String({ pattern: '^([01][0-9]|2[0-4]):[0-5][0-9]$', description: 'Local end time HH:MM; before `from` means overnight.' })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
  },
  { additionalProperties: false, description: 'When the rule may raise or upgrade warnings; outside it, warnings can only come down.' },
);

export const Acknowledge = Type.Object(
  {
    deadline: Type.Optional(DurationString),
    remindEvery: Type.Optional(DurationString),
    chain: Type.Optional(Type.Array(Type.Enum(['duty_officer', 'leader_on_duty', 'head']), { minItems: 1, description: 'Who is called, in order, when the deadline passes unanswered.' })),
  },
  { additionalProperties: false, description: '叫应: the person on duty must acknowledge within the deadline or it escalates.' },
);

export const GradeActions = Type.Object(
  {
    notify: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Notifier channel names (config `notifiers`), e.g. ops-webhook, block-broadcast.' }),
    acknowledge: Type.Optional(Type.Union([Type.Boolean(), Acknowledge])),
    openCase: Type.Boolean({ default: false, description: 'Open a case for the district (the cases issue consumes this).' }),
    picture: Type.Boolean({ default: false, description: 'Ask for a live picture of the scene (the video issue consumes this).' }),
  },
  { additionalProperties: false },
);

export const GradeSettings = Type.Object(
  {
    for: Type.Optional(DurationString),
    actions: Type.Optional(GradeActions),
  },
  { additionalProperties: false },
);

export const Rule = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,79}$', description: 'Stable id; the warning fingerprint is rule id + device (or block).' }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.String({ default: '', maxLength: 2000 }),
    enabled: Type.Boolean({ default: true }),
    category: Type.Enum(['rainstorm', 'gale', 'flash_flood', 'geological', 'fire', 'gas', 'structure', 'equipment', 'other'], { default: 'other', description: 'Picks the 叫应 call plan (seed 003 §四2).' }),
    scope: Scope,
    condition: Condition,
    for: DurationDefault('0s'),
    grades: PerGrade(GradeSettings, 'Per-grade `for` and actions; a grade with no entry uses the rule defaults.'),
    clear: Type.Object(
      {
        hysteresis: Type.Number({ minimum: 0, default: 0, description: 'A grade comes down only when the value is past its threshold by this margin (in the input’s unit).' }),
        clearFor: DurationDefault('0s'),
      },
      { additionalProperties: false, default: {} },
    ),
    schedule: Type.Optional(Schedule),
    tags: Type.Array(Ident, { default: [] }),
  },
  { additionalProperties: false },
);

export const RuleSet = Type.Object(
  { rules: Type.Array(Rule, { maxItems: 10000 }) },
  { additionalProperties: false },
);

export type Rule = Static<typeof Rule>;
export type RuleSet = Static<typeof RuleSet>;
export type Condition = Static<typeof Condition>;
export type LeafCondition = Static<typeof LeafCondition>;
export type CombinationCondition = Static<typeof CombinationCondition>;
export type KOfNCondition = Static<typeof KOfNCondition>;
export type ThresholdCondition = Static<typeof ThresholdCondition>;
export type RateCondition = Static<typeof RateCondition>;
export type NoDataCondition = Static<typeof NoDataCondition>;
export type StateCondition = Static<typeof StateCondition>;
export type Schedule = Static<typeof Schedule>;
export type GradeActions = Static<typeof GradeActions>;
export type Acknowledge = Static<typeof Acknowledge>;
export type GradeSettings = Static<typeof GradeSettings>;
export type Scope = Static<typeof Scope>;

export function gradeLevel(g: Grade): 1 | 2 | 3 | 4 {
  return (grades.indexOf(g) + 1) as 1 | 2 | 3 | 4;
}

export function gradeOf(level: GradeLevel): Grade | null {
  return level === 0 ? null : (grades[level - 1] ?? null);
}
