import t from 'tap';
import { pino } from 'pino';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { chinaTime } from '../events/store.js';
import { T0 } from '../warnings/test-support.js';
import { createSla } from './service.js';
import type { SlaClockView } from './schema.js';
import { addUnit, slaHarness, type SlaHarness } from './test-support.js';

t.teardown(stopSharedPostgres);

/** A Shanghai wall-clock time. T0 is Monday 2026-06-01 10:00 there. */
const sh = (local: string) => Date.parse(`${local}:00+08:00`);
const MIN = 60_000;
const fireBrigade = { id: 'fire-brigade', tier: 1 } as const;

const clock = (clocks: SlaClockView[], name: string, seq?: number) => {
  const c = clocks.find((x) => x.clock === name && (seq === undefined || x.seq === seq));
  if (!c) throw new Error(`no ${name} clock ${seq ?? ''}`);
  return c;
};
const slaWarnings = (h: SlaHarness) => h.db.query<{ fingerprint: string; grade: number; state: string; subject_id: string; category: string; exercise: boolean; raised_at_ms: string }>(
  `SELECT fingerprint, grade, state, subject_id, category, exercise, raised_at_ms::text FROM warnings WHERE fingerprint LIKE 'sla/%' ORDER BY id`,
).then((r) => r.rows);

void t.test('report clocks count from the incident: an old incident is breached at the next tick, met late keeps both times', async (t) => {
  const h = await slaHarness(t);
  t.equal(h.clock.now(), sh('2026-06-01T10:00'));
  const kase = await h.open({ incidentAtMs: sh('2026-06-01T09:00') });
  let clocks = await h.sla.clocksOf(kase.id);
  t.match(clock(clocks, 'first_report'), { seq: 0, unit: null, startedAt: '2026-06-01T09:00:00.000+08:00', deadline: '2026-06-01T09:30:00.000+08:00', allowedMs: 30 * MIN, outcome: 'open' });
  t.match(clock(clocks, 'written_report'), { deadline: '2026-06-01T10:00:00.000+08:00', outcome: 'open' });

  t.equal(await h.sla.tick(h.clock.now()), 1, 'the first report is already late; the written one is due exactly now, not yet missed');
  clocks = await h.sla.clocksOf(kase.id);
  t.match(clock(clocks, 'first_report'), { breachedAt: '2026-06-01T09:30:00.000+08:00', outcome: 'missed' }, 'breached at the deadline, not at the tick');
  const [breach] = await h.events(['case.sla_breached']);
  t.match(breach, { subject: { type: 'case', id: kase.id }, blockCode: kase.blockCode, data: { clock: 'first_report', seq: 0, deadline: '2026-06-01T09:30:00.000+08:00', startedAt: '2026-06-01T09:00:00.000+08:00', case: { id: kase.id } } });
  t.match(await slaWarnings(h), [{ fingerprint: `sla/case/${kase.id}/first_report/0`, grade: 3, state: 'active', subject_id: kase.id, category: 'rainstorm', raised_at_ms: String(sh('2026-06-01T09:30')) }], 'an orange warning');
  t.equal((await h.db.query('SELECT 1 FROM callouts')).rows.length, 1, 'orange: 叫应 of the duty chain');
  t.equal(await h.sla.tick(h.clock.now()), 0, 'raised once');

  h.at(sh('2026-06-01T10:05'));
  await h.step(kase.id, 'reported', h.clock.now());
  clocks = await h.sla.clocksOf(kase.id);
  t.match(clock(clocks, 'first_report'), { metAt: '2026-06-01T10:05:00.000+08:00', breachedAt: '2026-06-01T09:30:00.000+08:00', outcome: 'late' });
  t.match(await slaWarnings(h), [{ state: 'cleared' }], 'the breach warning is cleared');
  t.match((await h.events(['case.sla_met']))[0]?.data, { clock: 'first_report', late: true, metAt: '2026-06-01T10:05:00.000+08:00' });

  t.equal(await h.sla.tick(h.clock.now()), 1, 'now the written report is missed');
  h.at(sh('2026-06-01T10:20'));
  await h.confirmReport(kase.id, h.clock.now());
  t.match(clock(await h.sla.clocksOf(kase.id), 'written_report'), { metAt: '2026-06-01T10:20:00.000+08:00', breachedAt: '2026-06-01T10:00:00.000+08:00', outcome: 'late' });
  t.same((await slaWarnings(h)).map((w) => w.state), ['cleared', 'cleared']);
});

void t.test('the ticker raises a breach within one tick of the deadline and not before', async (t) => {
  const h = await slaHarness(t, { tickMs: 1000 });
  const kase = await h.open();
  await h.step(kase.id, 'reported', h.clock.now());
  await h.confirmReport(kase.id, h.clock.now());
  h.at(T0 + MIN);
  const dispatchedAt = h.clock.now();
  await h.step(kase.id, 'dispatched', dispatchedAt, fireBrigade);
  const deadline = dispatchedAt + 10 * MIN;
  t.equal(Date.parse(clock(await h.sla.clocksOf(kase.id), 'sign').deadline), deadline, 'tier 1, not in the registry: round the clock');

  h.sla.start();
  h.at(deadline - 2000); // fires the first tick on the way
  await h.sla.idle();
  const seen: Array<[number, number]> = [];
  for (let i = 0; i < 4; i++) {
    h.clock.advance(1000);
    await h.sla.idle();
    seen.push([h.clock.now() - deadline, (await h.events(['case.sla_breached'])).length]);
  }
  t.same(seen, [[-1000, 0], [0, 0], [1000, 1], [2000, 1]], 'not at the deadline itself (the full time is allowed), raised at the first tick after it');
  t.match(clock(await h.sla.clocksOf(kase.id), 'sign'), { breachedAt: chinaTime(deadline), outcome: 'missed' });
  t.match(await slaWarnings(h), [{ fingerprint: `sla/case/${kase.id}/sign/1`, grade: 2, state: 'active' }], 'a yellow warning');
  t.equal((await h.db.query('SELECT 1 FROM callouts')).rows.length, 0, 'yellow: no 叫应');
});

void t.test('deadlines per tier follow the unit\'s duty calendar', async (t) => {
  const h = await slaHarness(t);
  await addUnit(h.db, 'finance', 3);
  await addUnit(h.db, 'water', 1);
  const reported = async () => {
    const k = await h.open();
    await h.step(k.id, 'reported', h.clock.now());
    await h.confirmReport(k.id, h.clock.now());
    return k;
  };
  h.at(sh('2026-06-05T19:00')); // Friday evening
  const office = await reported();
  await h.step(office.id, 'dispatched', h.clock.now(), { id: 'finance', tier: 3 });
  const clocks = await h.sla.clocksOf(office.id);
  t.match(clock(clocks, 'sign', 1), { unit: { id: 'finance', tier: 3 }, startedAt: '2026-06-05T19:00:00.000+08:00', deadline: '2026-06-08T08:40:00.000+08:00', allowedMs: 10 * MIN });
  t.match(clock(clocks, 'arrive', 1), { deadline: '2026-06-08T09:00:00.000+08:00', allowedMs: 30 * MIN }, 'tier 3: 30 minutes of office hours');

  h.at(sh('2026-06-06T20:00')); // Saturday evening
  const telecom = await reported();
  await h.step(telecom.id, 'dispatched', h.clock.now(), { id: 'telecom', tier: 2 });
  t.match(clock(await h.sla.clocksOf(telecom.id), 'sign'), { deadline: '2026-06-07T08:40:00.000+08:00' }, 'tier 2 not in the registry: government hours, Sunday included');
  const water = await reported();
  await h.step(water.id, 'dispatched', h.clock.now(), { id: 'water', tier: 1 });
  t.match(clock(await h.sla.clocksOf(water.id), 'arrive'), { deadline: '2026-06-06T20:20:00.000+08:00' }, 'tier 1: 20 minutes round the clock');

  h.at(sh('2026-06-07T08:39'));
  t.equal(await h.sla.tick(h.clock.now()), 2, 'Sunday 08:39: only the tier-1 unit\'s clocks have run out');
  h.at(sh('2026-06-07T08:41'));
  t.equal(await h.sla.tick(h.clock.now()), 1, 'the tier-2 unit\'s sign clock at 08:40');
  h.at(sh('2026-06-08T08:39'));
  t.equal(await h.sla.tick(h.clock.now()), 1, 'Monday 08:39: the tier-2 arrive clock (09:00 Sunday) only; the tier-3 unit still has a minute');
  h.at(sh('2026-06-08T08:40') + 1);
  t.equal(await h.sla.tick(h.clock.now()), 1, 'the tier-3 sign clock, Monday 08:40');
});

void t.test('re-dispatch stops the previous clocks and starts new ones; a stopped miss stays a miss', async (t) => {
  const h = await slaHarness(t);
  const kase = await h.open();
  await h.step(kase.id, 'reported', T0);
  await h.confirmReport(kase.id, T0);
  h.at(T0 + MIN);
  await h.step(kase.id, 'dispatched', T0 + MIN, fireBrigade);
  h.at(T0 + 12 * MIN);
  t.equal(await h.sla.tick(h.clock.now()), 1, 'sign missed');
  h.at(T0 + 13 * MIN);
  await h.step(kase.id, 'dispatched', T0 + 13 * MIN, { id: 'telecom', tier: 2 });
  let clocks = await h.sla.clocksOf(kase.id);
  t.match(clock(clocks, 'sign', 1), { outcome: 'missed', stoppedAt: chinaTime(T0 + 13 * MIN), breachedAt: chinaTime(T0 + 11 * MIN) });
  t.match(clock(clocks, 'arrive', 1), { outcome: 'stopped' }, 'stopped before its deadline: not a miss');
  t.match(clock(clocks, 'sign', 2), { unit: { id: 'telecom', tier: 2 }, deadline: chinaTime(T0 + 23 * MIN), outcome: 'open' });
  t.match(clock(clocks, 'arrive', 2), { deadline: chinaTime(T0 + 43 * MIN), outcome: 'open' });
  t.match(await slaWarnings(h), [{ fingerprint: `sla/case/${kase.id}/sign/1`, state: 'cleared' }], 'the first unit\'s warning has nothing left to chase');

  await h.step(kase.id, 'signed', T0 + 20 * MIN);
  h.at(T0 + 45 * MIN);
  t.equal(await h.sla.tick(h.clock.now()), 1, 'arrival missed');
  await h.step(kase.id, 'arrived', T0 + 50 * MIN);
  clocks = await h.sla.clocksOf(kase.id);
  t.match(clock(clocks, 'sign', 2), { outcome: 'met', metAt: chinaTime(T0 + 20 * MIN) });
  t.match(clock(clocks, 'arrive', 2), { outcome: 'late', metAt: chinaTime(T0 + 50 * MIN), breachedAt: chinaTime(T0 + 43 * MIN) });
  t.same((await slaWarnings(h)).map((w) => [w.fingerprint.split('/').slice(3).join('/'), w.state]), [['sign/1', 'cleared'], ['arrive/2', 'cleared']]);
  const met = await h.events(['case.sla_met']);
  t.same(met.map((e) => [e.data['clock'], e.data['seq'], e.data['late']]), [['first_report', 0, false], ['written_report', 0, false], ['sign', 2, false], ['arrive', 2, true]]);
});

void t.test('a step stamped before the deadline but reported after the breach counts as on time', async (t) => {
  const h = await slaHarness(t);
  const kase = await h.dispatched(fireBrigade, T0, { confirm: false });
  h.at(T0 + 11 * MIN);
  t.equal(await h.sla.tick(h.clock.now()), 1);
  await h.step(kase.id, 'signed', T0 + 9 * MIN); // the district's own time
  t.match(clock(await h.sla.clocksOf(kase.id), 'sign'), { outcome: 'met', breachedAt: chinaTime(T0 + 10 * MIN) });
  t.match(await slaWarnings(h), [{ state: 'cleared' }]);
});

void t.test('suspended pauses the unit\'s clocks in duty time; the report clocks run on', async (t) => {
  const h = await slaHarness(t);
  await addUnit(h.db, 'finance', 3);
  const kase = await h.open();
  await h.step(kase.id, 'reported', T0);
  h.at(sh('2026-06-05T17:25')); // Friday, five office minutes left
  await h.step(kase.id, 'dispatched', h.clock.now(), { id: 'finance', tier: 3 });
  h.at(sh('2026-06-05T17:27'));
  await h.step(kase.id, 'suspended', h.clock.now());
  let clocks = await h.sla.clocksOf(kase.id);
  t.match(clock(clocks, 'sign'), { outcome: 'paused', pausedAt: '2026-06-05T17:27:00.000+08:00' });
  t.match(clock(clocks, 'written_report'), { outcome: 'open', pausedAt: null }, 'the report clocks do not pause');
  h.at(sh('2026-06-09T12:00'));
  t.equal(await h.sla.tick(h.clock.now()), 1, 'only the written report clock breaches while the case is suspended');
  await h.step(kase.id, 'dispatched', sh('2026-06-09T12:00')); // resumed: back to dispatched
  clocks = await h.sla.clocksOf(kase.id);
  t.equal(clocks.filter((c) => c.clock === 'sign').length, 1, 'resuming is not a new dispatch');
  t.match(clock(clocks, 'sign'), { outcome: 'open', pausedAt: null, deadline: '2026-06-09T12:08:00.000+08:00' }, '8 duty minutes were left');
  t.match(clock(clocks, 'arrive'), { deadline: '2026-06-09T12:28:00.000+08:00' });
});

void t.test('a suspension after a deadline does not pause that clock: the miss stands', async (t) => {
  const h = await slaHarness(t);
  const kase = await h.dispatched(fireBrigade, T0, { confirm: false });
  h.at(T0 + 12 * MIN);
  await h.step(kase.id, 'suspended', T0 + 12 * MIN);
  const clocks = await h.sla.clocksOf(kase.id);
  t.match(clock(clocks, 'sign'), { outcome: 'open', pausedAt: null });
  t.match(clock(clocks, 'arrive'), { outcome: 'paused' });
  t.equal(await h.sla.tick(h.clock.now()), 1);
  t.match(clock(await h.sla.clocksOf(kase.id), 'sign'), { outcome: 'missed', breachedAt: chinaTime(T0 + 10 * MIN) });
});

void t.test('returned stops the unit clocks; closed stops the rest', async (t) => {
  const h = await slaHarness(t);
  const kase = await h.open();
  await h.step(kase.id, 'dispatched', T0 + MIN, fireBrigade);
  let clocks = await h.sla.clocksOf(kase.id);
  t.match(clock(clocks, 'first_report'), { outcome: 'met', metAt: chinaTime(T0 + MIN) }, 'a dispatch proves the district had the case');
  await h.step(kase.id, 'returned', T0 + 3 * MIN);
  clocks = await h.sla.clocksOf(kase.id);
  t.same(clocks.map((c) => [c.clock, c.seq, c.outcome]), [['first_report', 0, 'met'], ['written_report', 0, 'open'], ['arrive', 1, 'stopped'], ['sign', 1, 'stopped']], 'the written report is still owed');
  t.match(clock(clocks, 'sign', 1), { outcome: 'stopped', stoppedAt: chinaTime(T0 + 3 * MIN) });
  await h.step(kase.id, 'dispatched', T0 + 4 * MIN, fireBrigade);
  await h.step(kase.id, 'signed', T0 + 5 * MIN);
  await h.step(kase.id, 'arrived', T0 + 6 * MIN);
  await h.step(kase.id, 'handled', T0 + 7 * MIN);
  await h.step(kase.id, 'closed', T0 + 8 * MIN);
  clocks = await h.sla.clocksOf(kase.id);
  t.match(clock(clocks, 'written_report'), { outcome: 'stopped', stoppedAt: chinaTime(T0 + 8 * MIN) });
  t.same(clocks.filter((c) => c.seq === 2).map((c) => c.outcome), ['met', 'met']);
  h.at(T0 + 2 * 3600_000);
  t.equal(await h.sla.tick(h.clock.now()), 0, 'nothing left to breach');
});

void t.test('a clock stopped after its deadline is a miss even when no tick saw it', async (t) => {
  const h = await slaHarness(t);
  const kase = await h.dispatched(fireBrigade, T0, { confirm: false });
  h.at(T0 + 15 * MIN);
  await h.step(kase.id, 'returned', T0 + 15 * MIN);
  const clocks = await h.sla.clocksOf(kase.id);
  t.match(clock(clocks, 'sign'), { outcome: 'missed', breachedAt: null, stoppedAt: chinaTime(T0 + 15 * MIN) });
  t.match(clock(clocks, 'arrive'), { outcome: 'stopped' });
  t.equal(await h.sla.tick(h.clock.now()), 0, 'stopped: nothing to raise');
});

void t.test('two processes ticking together raise each breach once', async (t) => {
  const h = await slaHarness(t);
  const other = createSla({ db: h.db, clock: h.clock, logger: pino({ level: 'silent' }), feed: h.feed, warnings: h.service, config: h.config });
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    const k = await h.open({ exercise: i === 0 });
    ids.push(k.id);
  }
  h.at(T0 + 31 * MIN);
  const [a, b] = await Promise.all([h.sla.tick(h.clock.now()), other.tick(h.clock.now())]);
  t.equal((a ?? 0) + (b ?? 0), 6);
  t.equal((await h.events(['case.sla_breached'])).length, 6);
  const warnings = await slaWarnings(h);
  t.equal(warnings.length, 6);
  t.same(warnings.filter((w) => w.exercise).map((w) => w.subject_id), [ids[0]], 'an exercise case raises an exercise warning');
});

void t.test('the opened hook is idempotent and clocksOf of an unknown case is empty', async (t) => {
  const h = await slaHarness(t);
  const kase = await h.open();
  await h.feed.transaction((tx, emit) => h.sla.hook(tx, emit, { type: 'opened', case: kase }, h.clock.now()));
  t.equal((await h.sla.clocksOf(kase.id)).length, 2);
  t.same(await h.sla.clocksOf('999'), []);
  t.same(await h.sla.clocksOf('not-a-case'), []);
});
