import { Type } from 'typebox';
import { Rule } from '../../rules/schema.js';

/** Request and response schemas of the rules API (gateway/rules/routes.ts). */

const GradeOrNull = Type.Union([Type.Enum(['blue', 'yellow', 'orange', 'red']), Type.Null()]);
const GradeCounts = Type.Object({ blue: Type.Integer(), yellow: Type.Integer(), orange: Type.Integer(), red: Type.Integer() });

export const ChangeJson = Type.Object({
  path: Type.String({ description: 'JSON pointer into the rule.' }),
  before: Type.Optional(Type.Unknown({ description: 'Absent when the path was added.' })),
  after: Type.Optional(Type.Unknown({ description: 'Absent when the path was removed.' })),
});

export const RuleVersionJson = Type.Object({
  ruleId: Type.String(),
  version: Type.Integer(),
  rule: Rule,
  hash: Type.String({ description: 'Content hash: live state survives a new version only when it is unchanged.' }),
  author: Type.String(),
  reason: Type.String(),
  createdAtMs: Type.Integer(),
  diff: Type.Array(ChangeJson, { description: 'Against the previous version; empty for version 1.' }),
});

export const ActiveRuleJson = Type.Object({
  ruleId: Type.String(),
  version: Type.Integer(),
  activatedAtMs: Type.Integer(),
  activatedBy: Type.String(),
  rule: Rule,
  hash: Type.String(),
});

export const WriteBody = Type.Object(
  {
    rule: Type.Unknown({ description: 'The rule (docs/rules.md); every problem is reported with its path.' }),
    reason: Type.String({ minLength: 1, maxLength: 500, description: 'Why: kept with the version.' }),
    activate: Type.Boolean({ default: false, description: 'Activate the new version at once.' }),
  },
  { additionalProperties: false },
);

export const ImportResultJson = Type.Object({
  created: Type.Array(Type.Object({ ruleId: Type.String(), version: Type.Integer() })),
  unchanged: Type.Array(Type.String()),
  activated: Type.Array(Type.Object({ ruleId: Type.String(), version: Type.Integer() })),
  deactivated: Type.Array(Type.String()),
});

export const ValidateResultJson = Type.Object({
  ok: Type.Boolean(),
  rules: Type.Integer({ description: 'Rules in a valid set.' }),
  errors: Type.Array(Type.Object({ path: Type.String(), problem: Type.String() })),
});

export const BacktestRequest = Type.Object(
  {
    rules: Type.Optional(Type.Array(Type.Unknown(), { minItems: 1, maxItems: 1000, description: 'Candidate rules inline (drafts, not stored).' })),
    ruleId: Type.Optional(Type.String({ description: 'Or a stored rule…' })),
    version: Type.Optional(Type.Integer({ minimum: 1, description: '…at this version (default: the latest).' })),
    from: Type.String({ format: 'date-time' }),
    to: Type.String({ format: 'date-time' }),
    devices: Type.Optional(Type.Array(Type.String(), { maxItems: 100000, description: 'Only these devices.' })),
    blocks: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9]{1,17}$' }), { description: 'Only devices in these grid blocks (code prefixes).' })),
    compare: Type.Boolean({ default: true, description: 'Also run the active versions of the same rules and report the difference.' }),
  },
  { additionalProperties: false },
);

const Warning = Type.Object({
  fingerprint: Type.String(),
  ruleId: Type.String(),
  ruleVersion: Type.Integer(),
  subject: Type.Object({ type: Type.String(), id: Type.String() }),
  blockCode: Type.String(),
  raisedAtMs: Type.Number(),
  clearedAtMs: Type.Union([Type.Number(), Type.Null()]),
  raised: Type.String(),
  peak: Type.String(),
  timeline: Type.Array(Type.Object({ atMs: Type.Number(), from: GradeOrNull, to: GradeOrNull, reason: Type.String() })),
});

const Run = Type.Object({
  warnings: Type.Array(Warning),
  transitions: Type.Integer(),
  counts: Type.Object({ raised: GradeCounts, peak: GradeCounts }),
});

const GradeDiff = Type.Object({ more: Type.Array(Warning), fewer: Type.Array(Warning) });

const Result = Type.Object({
  fromMs: Type.Number(),
  toMs: Type.Number(),
  readings: Type.Integer(),
  devices: Type.Integer(),
  candidate: Run,
  compare: Type.Union([Run, Type.Null()]),
  diff: Type.Union([Type.Object({ blue: GradeDiff, yellow: GradeDiff, orange: GradeDiff, red: GradeDiff }), Type.Null()]),
  summary: Type.String(),
});

export const BacktestJobJson = Type.Object({
  id: Type.String(),
  status: Type.Enum(['queued', 'running', 'done', 'failed']),
  createdAtMs: Type.Number(),
  startedAtMs: Type.Union([Type.Number(), Type.Null()]),
  finishedAtMs: Type.Union([Type.Number(), Type.Null()]),
  request: Type.Record(Type.String(), Type.Unknown()),
  progress: Type.Union([Type.Object({ readings: Type.Integer(), estimatedTotal: Type.Union([Type.Integer(), Type.Null()]), throughMs: Type.Number() }), Type.Null()]),
  result: Type.Union([Result, Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
});
