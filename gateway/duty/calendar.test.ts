import t from 'tap';
import { checkCalendar, defaultCalendar, dutyDeadline, dutyTimeBetween, onDuty, type DutyCalendar } from './calendar.js';

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

void t.test('dutyDeadline: tier 1 is plain addition, day and night', async (t) => {
  const u = unit(defaultCalendar(1));
  for (const at of ['2026-01-05T23:55', '2026-01-10T03:00', '2026-01-11T12:00']) {
    t.equal(dutyDeadline(u, sh(at), 20 * MIN), sh(at) + 20 * MIN, at);
  }
  t.equal(dutyDeadline(u, sh('2026-01-05T10:00') + 1234, 3 * 24 * 60 * MIN), sh('2026-01-08T10:00') + 1234, 'across days, to the millisecond');
});

void t.test('dutyDeadline: tier 3 counts office hours only (a Friday-evening dispatch waits for Monday)', async (t) => {
  const u = unit(defaultCalendar(3));
  t.equal(dutyDeadline(u, sh('2026-01-09T19:00'), 10 * MIN), sh('2026-01-12T08:40'), 'Friday 19:00 + 10 duty minutes = Monday 08:40');
  t.equal(dutyDeadline(u, sh('2026-01-09T17:25'), 10 * MIN), sh('2026-01-12T08:35'), 'five minutes on Friday, five on Monday');
  t.equal(dutyDeadline(u, sh('2026-01-09T17:20'), 10 * MIN), sh('2026-01-09T17:30'), 'ending exactly at the end of the window');
  t.equal(dutyDeadline(u, sh('2026-01-05T10:00'), 30 * MIN), sh('2026-01-05T10:30'), 'inside office hours: addition');
  const holiday = unit({ ...defaultCalendar(3), holidays: ['2026-01-12'] });
  t.equal(dutyDeadline(holiday, sh('2026-01-09T19:00'), 10 * MIN), sh('2026-01-13T08:40'), 'a Monday holiday moves it to Tuesday');
  for (const [from, d] of [['2026-01-09T19:00', 10], ['2026-01-07T16:00', 600], ['2026-01-10T12:00', 30]] as const) {
    const deadline = dutyDeadline(u, sh(from), d * MIN);
    t.equal(dutyTimeBetween(u, sh(from), deadline), d * MIN, `the inverse of dutyTimeBetween from ${from}`);
  }
});

void t.test('dutyDeadline: tier 2 every day in government hours, a week-long holiday, no duty at all', async (t) => {
  t.equal(dutyDeadline(unit(defaultCalendar(2)), sh('2026-01-10T20:00'), 30 * MIN), sh('2026-01-11T09:00'), 'Saturday evening → Sunday 09:00');
  const springFestival = ['2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20', '2026-02-23'];
  t.equal(dutyDeadline(unit({ ...defaultCalendar(3), holidays: springFestival }), sh('2026-02-13T17:30'), 10 * MIN), sh('2026-02-24T08:40'), 'across the Spring Festival holiday');
  t.equal(dutyDeadline(unit({ ...defaultCalendar(3), windows: [] }), sh('2026-01-05T10:00'), 10 * MIN), Number.POSITIVE_INFINITY, 'never on duty: no deadline');
  t.equal(dutyDeadline(unit(defaultCalendar(3)), sh('2026-01-10T10:00'), 0), sh('2026-01-10T10:00'), 'zero duration');
});
