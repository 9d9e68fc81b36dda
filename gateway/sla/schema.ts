import { Type, type Static } from 'typebox';

/**
 * SLA clocks of a case (docs/sla.md): the wire model of what `clocksOf` returns and the case
 * file shows. One schema gives the type and the check.
 */
export const slaClocks = ['first_report', 'written_report', 'sign', 'arrive'] as const;
export type SlaClockName = (typeof slaClocks)[number];
/** A unit's clocks: started per dispatch, counted in its duty time, scored monthly. */
export const unitClocks = ['sign', 'arrive'] as const satisfies readonly SlaClockName[];
export const reportClocks = ['first_report', 'written_report'] as const satisfies readonly SlaClockName[];

/**
 * met: on time; late: met after the deadline; missed: the deadline passed unmet (a miss even if
 * the clock was stopped later); stopped: ended unmet before its deadline (re-dispatch, 退单,
 * closed; not a miss); paused: the case is suspended; open: running.
 */
export const slaOutcomes = ['open', 'paused', 'met', 'late', 'missed', 'stopped'] as const;
export type SlaOutcome = (typeof slaOutcomes)[number];

const Time = Type.String({ description: 'ISO 8601 with +08:00.' });
const NullableTime = Type.Union([Time, Type.Null()]);

export const SlaClockView = Type.Object({
  clock: Type.Enum(slaClocks, { description: 'first_report, written_report (from the incident), sign, arrive (from the dispatch, in the unit\'s duty time).' }),
  seq: Type.Integer({ description: 'Dispatch number for sign and arrive (1 = first dispatch); 0 for the report clocks.' }),
  unit: Type.Union([Type.Object({ id: Type.String(), tier: Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3)]) }), Type.Null()]),
  startedAt: Time,
  allowedMs: Type.Union([Type.Integer(), Type.Null()], { description: 'The time it allows (duty time for sign and arrive).' }),
  deadline: Time,
  metAt: NullableTime,
  breachedAt: Type.Union([Time, Type.Null()], { description: 'When the deadline passed unmet (the deadline itself).' }),
  stoppedAt: NullableTime,
  pausedAt: NullableTime,
  outcome: Type.Enum(slaOutcomes),
});
export type SlaClockView = Static<typeof SlaClockView>;
