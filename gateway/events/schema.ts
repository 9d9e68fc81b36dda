import { Type, type Static } from 'typebox';
import type { PlatformEvent } from './types.js';

/** The event envelope on the wire (docs/events.md); the same shape as `PlatformEvent`. */
export const PlatformEventSchema = Type.Object({
  id: Type.String({ description: 'The cursor: a decimal string, increasing.' }),
  type: Type.String({ description: 'Dotted name, `{area}.{what}`, e.g. warning.raised.' }),
  subject: Type.Object({ type: Type.String(), id: Type.String() }, { description: 'What the event is about, e.g. { type: "warning", id: "42" }.' }),
  blockCode: Type.Union([Type.String(), Type.Null()], { description: 'Grid block of the subject, where it has one.' }),
  grade: Type.Union([Type.Enum(['blue', 'yellow', 'orange', 'red']), Type.Null()], { description: 'Warning grade, where it has one.' }),
  exercise: Type.Boolean({ description: 'True for drills (演练): not a real incident.' }),
  at: Type.String({ description: 'When it happened, ISO 8601 in UTC+8.' }),
  atMs: Type.Number({ description: 'The same instant in milliseconds since the Unix epoch.' }),
  data: Type.Record(Type.String(), Type.Unknown(), { description: 'The payload; per type in docs/events.md.' }),
});

// The contract's interface and this schema must not drift apart: same keys, and what the
// schema admits is a PlatformEvent (the interface's grade also admits undefined, never sent).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const inStep: [Same<keyof Static<typeof PlatformEventSchema>, keyof PlatformEvent>, Static<typeof PlatformEventSchema> extends PlatformEvent ? true : false] = [true, true];
void inStep;

const cursor = Type.String({ pattern: '^[0-9]{1,15}$', description: 'An event id: only events after it.' });
const types = Type.String({ description: 'Comma-separated types or prefixes: `warning.raised,warning.updated`, `warning.*`.' });

export const ListQuery = Type.Object({
  after: Type.Optional(cursor),
  types: Type.Optional(types),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
});

export const StreamQuery = Type.Object({
  after: Type.Optional(Type.String({ ...cursor, description: 'Replay events after this id first. Without it (and without Last-Event-ID) the stream starts with new events.' })),
  types: Type.Optional(types),
});

export const StreamHeaders = Type.Object({
  'last-event-id': Type.Optional(Type.String({ ...cursor, description: 'Sent by EventSource on reconnect; wins over `after`.' })),
});

export const EventPage = Type.Object({
  events: Type.Array(PlatformEventSchema),
  next: Type.String({ description: 'The cursor for the next call (the last id returned, or the one passed in).' }),
});
