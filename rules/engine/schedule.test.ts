import t from 'tap';
import { compileSchedule } from './schedule.js';
import { brief, harness, rule, T0 } from './test-helpers.js';

/** An instant given as Shanghai local time (UTC+8, no DST). */
const sh = (y: number, mo: number, d: number, h = 0, mi = 0): number => Date.UTC(y, mo - 1, d, h - 8, mi);

t.test('flood-season months in Asia/Shanghai', async (t) => {
  const s = compileSchedule({ timezone: 'Asia/Shanghai', windows: [{ months: [6, 7, 8, 9] }] });
  t.equal(s.isActive(sh(2025, 6, 1, 0, 0)), true);
  t.equal(s.isActive(sh(2025, 5, 31, 23, 59)), false);
  t.equal(s.isActive(Date.UTC(2025, 4, 31, 16, 30)), true, '16:30 UTC on 31 May is already June in Shanghai');
  t.equal(s.isActive(sh(2025, 10, 1, 0, 0)), false);
  t.equal(s.nextActive(sh(2025, 1, 15, 12)), sh(2025, 6, 1), 'next opening: 1 June 00:00 local');
});

t.test('overnight windows belong to the day they start', async (t) => {
  const s = compileSchedule({ timezone: 'Asia/Shanghai', windows: [{ weekdays: [5], from: '22:00', to: '06:00' }] });
  // 2025-07-04 is a Friday.
  t.equal(s.isActive(sh(2025, 7, 4, 21, 59)), false);
  t.equal(s.isActive(sh(2025, 7, 4, 22, 0)), true);
  t.equal(s.isActive(sh(2025, 7, 5, 3, 0)), true, 'Saturday 03:00 is Friday night');
  t.equal(s.isActive(sh(2025, 7, 5, 6, 0)), false);
  t.equal(s.isActive(sh(2025, 7, 5, 22, 30)), false, 'Saturday night is not listed');
  t.equal(s.isActive(sh(2025, 7, 4, 3, 0)), false, 'Friday 03:00 is Thursday night');
  t.equal(s.nextActive(sh(2025, 7, 5, 12)), sh(2025, 7, 11, 22));
});

t.test('plain day windows, several windows, other zones', async (t) => {
  const s = compileSchedule({ timezone: 'Asia/Shanghai', windows: [{ from: '08:00', to: '12:00' }, { from: '14:00', to: '18:00' }] });
  t.equal(s.isActive(sh(2025, 7, 1, 8)), true);
  t.equal(s.isActive(sh(2025, 7, 1, 12)), false);
  t.equal(s.nextActive(sh(2025, 7, 1, 12, 30)), sh(2025, 7, 1, 14));
  t.equal(s.nextActive(sh(2025, 7, 1, 19)), sh(2025, 7, 2, 8));
  const ny = compileSchedule({ timezone: 'America/New_York', windows: [{ from: '09:00', to: '10:00' }] });
  t.equal(ny.isActive(Date.UTC(2025, 6, 1, 13, 30)), true, 'EDT is UTC−4 in July');
  t.equal(ny.isActive(Date.UTC(2025, 0, 15, 14, 30)), true, 'EST is UTC−5 in January');
  t.throws(() => compileSchedule({ timezone: 'Mars/Olympus', windows: [{}] }));
});

t.test('a rule may not raise outside its schedule; the run starts when the window opens; it may come down', async (t) => {
  // T0 is 08:00 Shanghai; the window opens at 09:00.
  const r = rule({ id: 'day', condition: { type: 'threshold', metric: 'depth_cm', thresholds: { yellow: 25 } }, for: '10m', schedule: { windows: [{ from: '09:00', to: '17:00' }] } });
  const h = harness([r]);
  t.same(brief(h.read('d1', 'depth_cm', 0, 30).transitions), []);
  t.same(brief(h.advance(3599).transitions), []);
  t.same(brief(h.advance(5000).transitions), ['day/d1 0→2 @4200'], '09:00 + 10m');
  // After 17:00: no new raise, but it comes down.
  t.same(brief(h.read('d1', 'depth_cm', 9 * 3600 + 60, 10).transitions), ['day/d1 2→0 @32460']);
  t.same(brief(h.read('d1', 'depth_cm', 9 * 3600 + 120, 30).transitions), []);
  t.same(brief(h.advance(10 * 3600).transitions), []);
  t.ok(T0 > 0);
});
