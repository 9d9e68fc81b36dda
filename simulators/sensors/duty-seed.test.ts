import t from 'tap';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { ADMIN, pgGateway } from '../../test/helpers/gateway.js';
import { seedDemoDuty } from './duty-seed.js';

t.teardown(stopSharedPostgres);

t.test('the demo roster: two duty officers on post across the town, calls on the event stream, once', async (t) => {
  const gw = await pgGateway(t);
  const now = Date.now();
  await seedDemoDuty({ httpUrl: gw.urls.http, adminToken: ADMIN, nowMs: now });
  await seedDemoDuty({ httpUrl: gw.urls.http, adminToken: ADMIN, nowMs: now + 1000 });
  const shifts = await gw.api('GET', '/duty/shifts');
  t.equal(shifts.body.shifts.length, 1, 'a restart does not add a second shift');
  t.equal(shifts.body.shifts[0].people.duty_officer.length, 2, '双人在岗');
  const onDuty = await gw.api('GET', '/duty/on-duty?block=310117006-01-003-012&kind=waterlogging');
  t.equal(onDuty.status, 200);
  t.match(JSON.stringify(onDuty.body), /sim-officer-1/, 'someone is on duty for any block');
  const plan = await gw.api('GET', '/duty/call-plans/rainstorm');
  t.same(plan.body.steps.map((s: { role: string; channels: string[] }) => `${s.role}:${s.channels.join(',')}`), ['duty_officer:sse', 'leader_on_duty:sse', 'head:sse']);
});
