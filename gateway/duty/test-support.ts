/**
 * Test parts for the duty tests (not used by the service). The outbox and event feed are built
 * in parallel by other areas; these stand in for them through the same interfaces, on the same
 * real database and inside the same transactions, so a rolled-back call is never "sent".
 * The outbox table has no unique key on purpose: a double send shows up as a duplicate row.
 */
import { pino } from 'pino';
import type { Db, Queryable } from '../storage/db.js';
import type { EventFeed, NewEvent, PlatformEvent } from '../events/types.js';
import type { EnqueueInput, Outbox } from '../outbox/types.js';
import type { ShiftInput, Person } from './schema.js';
import { FakeClock } from '../core/clock.js';
import { testConfig } from '../http/test-support.js';
import { createDuty, type DutyService } from './callouts.js';

export interface SentMessage {
  channel: string;
  key: string;
  payload: Record<string, unknown>;
}

export async function tableOutbox(db: Db, channels = ['phone-gateway', 'sms-gateway']): Promise<Outbox & { sent(): Promise<SentMessage[]> }> {
  await db.query('CREATE TABLE IF NOT EXISTS test_outbox (id bigserial PRIMARY KEY, channel text NOT NULL, key text NOT NULL, payload jsonb NOT NULL)');
  return {
    async enqueue(tx: Queryable, m: EnqueueInput) {
      const r = await tx.query<{ id: number }>('INSERT INTO test_outbox (channel, key, payload) VALUES ($1, $2, $3) RETURNING id', [m.channel, m.key, JSON.stringify(m.payload)]);
      return { id: String(r.rows[0]?.id), duplicate: false };
    },
    register: () => undefined,
    hasChannel: (name) => channels.includes(name),
    poke: () => undefined,
    start: () => undefined,
    stop: async () => undefined,
    async sent() {
      return (await db.query<SentMessage>('SELECT channel, key, payload FROM test_outbox ORDER BY id')).rows;
    },
  };
}

export async function tableFeed(db: Db, clock: { now(): number }): Promise<EventFeed & { types(subjectId?: string): Promise<string[]> }> {
  await db.query('CREATE TABLE IF NOT EXISTS test_events (id bigserial PRIMARY KEY, at_ms bigint NOT NULL, event jsonb NOT NULL)');
  const list = async (): Promise<PlatformEvent[]> => {
    const r = await db.query<{ id: number; at_ms: number; event: NewEvent }>('SELECT id, at_ms, event FROM test_events ORDER BY id');
    return r.rows.map((x) => ({ ...x.event, id: String(x.id), atMs: x.at_ms, at: new Date(x.at_ms).toISOString(), blockCode: x.event.blockCode ?? null, grade: x.event.grade ?? null, exercise: x.event.exercise ?? false }));
  };
  return {
    transaction: (fn) => db.transaction((tx) => fn(tx, async (e) => {
      const atMs = clock.now();
      const r = await tx.query<{ id: number }>('INSERT INTO test_events (at_ms, event) VALUES ($1, $2) RETURNING id', [atMs, JSON.stringify(e)]);
      return { ...e, id: String(r.rows[0]?.id), atMs, at: new Date(atMs).toISOString(), blockCode: e.blockCode ?? null, grade: e.grade ?? null, exercise: e.exercise ?? false };
    })),
    list,
    subscribe: () => () => undefined,
    close: async () => undefined,
    async types(subjectId) {
      return (await list()).filter((e) => subjectId === undefined || e.subject.id === subjectId).map((e) => e.type);
    },
  };
}

export async function testDuty(db: Db, clock = new FakeClock()) {
  const outbox = await tableOutbox(db);
  const feed = await tableFeed(db, clock);
  const duty: DutyService = createDuty({ db, clock, logger: pino({ level: 'silent' }), outbox, feed, config: testConfig(), publicUrl: 'https://ops.example.cn/' });
  return { duty, outbox, feed, clock };
}

export const person = (id: string, name: string, phone: string): Person => ({ id, name, phone });

/** A shift over [from, to) with two duty officers, a leader on duty and a head. */
export function shift(fromMs: number, toMs: number, over: Partial<ShiftInput> = {}, tag = ''): ShiftInput {
  return {
    startsAt: new Date(fromMs).toISOString(),
    endsAt: new Date(toMs).toISOString(),
    blocks: [],
    kinds: [],
    people: {
      duty_officer: [person(`officer-a${tag}`, '张三', '13812345678'), person(`officer-b${tag}`, '李四', '13912345678')],
      leader_on_duty: [person(`leader${tag}`, '王五', '13712345678')],
      head: [person(`head${tag}`, '赵六', '13612345678')],
    },
    ...over,
  };
}
