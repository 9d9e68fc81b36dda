import t from 'tap';
import { checkCalendar, defaultCalendar, dutyTimeBetween, onDuty, type DutyCalendar } from './calendar.js';

/** A Shanghai wall-clock time. 2026-01-05 is a Monday. */
const sh = (local: string) => Date.parse(`${local}:00+08:00`);
const unit = (calendar: DutyCalendar) => ({ calendar });
const MIN = 60_000;

void t.test('tier 1 keeps watch round the clock, every day', async (t) => {
  const u = unit(defaultCalendar(1));
  for (const at of ['2026-01-04T03:00', '2026-01-05T00:00', '2026-01-10T23:59', '2026-01-11T12:00']) t.ok(onDuty(u, sh(at)), at);
  t.equal(dutyTimeBetween(u, sh('2026-01-05T00:00'), sh('2026-01-07T00:00')), 48 * 60 * MIN);
});

void t.test('tier 2: government duty hours every day, weekends and holidays included', async (t) => {
  const u = unit({ ...defaultCalendar(2), holidays: ['2026-01-01'] });
  t.ok(onDuty(u, sh('2026-01-10T10:00')), 'Saturday morning');
  t.ok(onDuty(u, sh('2026-01-01T10:00')), 'a holiday');
  t.notOk(onDuty(u, sh('2026-01-10T20:00')), 'Saturday evening');
  t.notOk(onDuty(u, sh('2026-01-05T08:29')), 'a minute before');
  t.ok(onDuty(u, sh('2026-01-05T08:30')), 'from is inclusive');
  t.notOk(onDuty(u, sh('2026-01-05T17:30')), 'to is exclusive');
});

void t.test('tier 3: office hours Monday to Friday, holidays and make-up days', async (t) => {
  const u = unit({ ...defaultCalendar(3), holidays: ['2026-01-01'], workdays: ['2026-01-04'] });
  t.ok(onDuty(u, sh('2026-01-05T09:00')), 'Monday 09:00');
  t.notOk(onDuty(u, sh('2026-01-05T18:00')), 'Monday 18:00');
  t.notOk(onDuty(u, sh('2026-01-10T09:00')), 'Saturday');
  t.notOk(onDuty(u, sh('2026-01-01T09:00')), 'New Year’s Day, a Thursday holiday');
  t.ok(onDuty(u, sh('2026-01-04T09:00')), 'a Sunday worked as a make-up day');
  t.notOk(onDuty(u, sh('2026-01-03T09:00')), 'an ordinary Saturday');
});

void t.test('overnight windows run into the next day from the day they start', async (t) => {
  const u = unit({ timezone: 'Asia/Shanghai', windows: [{ weekdays: [5], from: '22:00', to: '06:00' }], holidays: [], workdays: [] });
  t.ok(onDuty(u, sh('2026-01-09T23:00')), 'Friday night');
  t.ok(onDuty(u, sh('2026-01-10T05:59')), 'Saturday early morning');
  t.notOk(onDuty(u, sh('2026-01-10T06:00')), 'Saturday 06:00');
  t.notOk(onDuty(u, sh('2026-01-09T21:59')), 'Friday before the window');
  t.notOk(onDuty(u, sh('2026-01-08T23:00')), 'Thursday night');
  t.equal(dutyTimeBetween(u, sh('2026-01-09T00:00'), sh('2026-01-12T00:00')), 8 * 60 * MIN);
});

void t.test('dutyTimeBetween counts only duty time, merging overlapping windows', async (t) => {
  const office = unit(defaultCalendar(3));
  t.equal(dutyTimeBetween(office, sh('2026-01-09T17:00'), sh('2026-01-12T09:00')), 60 * MIN, 'Friday 17:00 → Monday 09:00 is one duty hour');
  t.equal(dutyTimeBetween(office, sh('2026-01-05T00:00'), sh('2026-01-12T00:00')), 5 * 9 * 60 * MIN, 'a working week');
  t.equal(dutyTimeBetween(office, sh('2026-01-05T10:00'), sh('2026-01-05T10:00')), 0, 'empty range');
  t.equal(dutyTimeBetween(office, sh('2026-01-05T12:00'), sh('2026-01-05T10:00')), 0, 'reversed range');
  const overlapping = unit({ timezone: 'Asia/Shanghai', windows: [{ weekdays: [1], from: '00:00', to: '12:00' }, { weekdays: [1], from: '06:00', to: '18:00' }], holidays: [], workdays: [] });
  t.equal(dutyTimeBetween(overlapping, sh('2026-01-05T00:00'), sh('2026-01-06T00:00')), 18 * 60 * MIN);
});

void t.test('other time zones, across a daylight-saving change', async (t) => {
  const ny = unit({ ...defaultCalendar(3), timezone: 'America/New_York' });
  // 2026-03-09 is the Monday after clocks went forward: 08:30 EDT = 12:30 UTC.
  t.ok(onDuty(ny, Date.parse('2026-03-09T12:30:00Z')));
  t.notOk(onDuty(ny, Date.parse('2026-03-09T12:29:00Z')));
  t.ok(onDuty(ny, Date.parse('2026-03-06T13:30:00Z')), 'the Friday before, 08:30 EST');
});

void t.test('checkCalendar refuses unknown zones and empty windows', async (t) => {
  t.throws(() => checkCalendar({ ...defaultCalendar(1), timezone: 'Mars/Olympus' }), { code: 'GW_ERR_VALIDATION' });
  t.throws(() => checkCalendar({ ...defaultCalendar(1), windows: [{ weekdays: [1], from: '08:00', to: '08:00' }] }), { code: 'GW_ERR_VALIDATION' });
  t.doesNotThrow(() => checkCalendar(defaultCalendar(1)), '00:00–24:00 is a whole day');
});
