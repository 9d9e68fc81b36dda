import t from 'tap';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { caseStatuses, type CaseStatus } from './types.js';
import { allowedFrom, steps, timeColumns, type Step } from './lifecycle.js';
import { addUnit, caseHarness, pathTo } from './test-support.js';

t.teardown(stopSharedPostgres);

/** Where a legal step lands: resumed goes back to the status the suspension began at. */
function landing(from: CaseStatus, step: Step): CaseStatus {
  if (step !== 'resumed') return step;
  // The status before `suspended` on the way there.
  const before = pathTo[from][pathTo[from].length - 2];
  return before === undefined || before === 'resumed' ? 'new' : before;
}

void t.test('every step from every status: legal ones move, illegal ones change nothing', async (t) => {
  const h = await caseHarness(t);
  let legal = 0;
  let illegal = 0;
  for (const status of caseStatuses) {
    // One case at this status for all the illegal steps (they must leave it as it is).
    const probe = await h.walk((await h.open()).id, pathTo[status]);
    t.equal(probe.status, status, `reached ${status}`);
    for (const step of steps) {
      if (allowedFrom[step].includes(status)) {
        const c = await h.walk((await h.open()).id, pathTo[status]);
        h.clock.advance(60_000);
        const before = (await h.events(['case.status'])).length;
        const after = await h.cases.transition({ caseId: c.id, to: step, actor: { type: 'user', id: 'u-ops' }, note: `${status} → ${step}`, ...(step === 'dispatched' ? { unit: { id: 'u9', tier: 2 } } : {}) });
        const to = landing(status, step);
        t.equal(after.status, to, `${status} --${step}--> ${to}`);
        if (step in timeColumns) t.equal(after.times[step as keyof typeof timeColumns], new Date(h.clock.now() + 8 * 3600_000).toISOString().replace('Z', '+08:00'), `${step} time stored`);
        const events = await h.events(['case.status']);
        t.equal(events.length, before + 1, 'one case.status event');
        const e = events[events.length - 1];
        t.match(e?.data, { from: status, to, actor: { type: 'user', id: 'u-ops' }, note: `${status} → ${step}`, case: { id: c.id, status: to } });
        const detail = await h.cases.detail(c.id);
        t.match(detail?.transitions.at(-1), { from: status, to, step, actor: { type: 'user', id: 'u-ops' } }, 'transition row with its actor');
        legal++;
      } else {
        const row = await h.row(probe.id);
        const eventsBefore = (await h.events()).length;
        const transitionsBefore = (await h.cases.detail(probe.id))?.transitions.length;
        await t.rejects(
          h.cases.transition({ caseId: probe.id, to: step, actor: { type: 'user', id: 'u-ops' }, ...(step === 'dispatched' ? { unit: { id: 'u9', tier: 2 } } : {}) }),
          { code: 'GW_ERR_CASE_TRANSITION', message: new RegExp(`is ${status}: it cannot be ${step}`) },
          `${status} --${step}--> refused`,
        );
        t.same(await h.row(probe.id), row, 'the case is unchanged');
        t.equal((await h.events()).length, eventsBefore, 'no event');
        t.equal((await h.cases.detail(probe.id))?.transitions.length, transitionsBefore, 'no transition row');
        illegal++;
      }
    }
  }
  t.equal(legal + illegal, caseStatuses.length * steps.length);
  t.ok(legal >= 20 && illegal >= 50, `${legal} legal and ${illegal} illegal steps tried`);
});

void t.test('the classic bad steps are named in the error', async (t) => {
  const h = await caseHarness(t);
  const c = await h.open();
  await t.rejects(h.cases.transition({ caseId: c.id, to: 'closed', actor: { type: 'district', id: 'district' } }), {
    code: 'GW_ERR_CASE_TRANSITION', status: 409, message: `case ${c.id} is new: it cannot be closed (closed is allowed from handled, verified)`,
  });
  await t.rejects(h.cases.transition({ caseId: '999999', to: 'reported', actor: { type: 'district', id: 'district' } }), { code: 'GW_ERR_NOT_FOUND', message: 'case 999999 does not exist' });
  await t.rejects(h.cases.transition({ caseId: 'abc', to: 'reported', actor: { type: 'district', id: 'district' } }), { code: 'GW_ERR_NOT_FOUND' });
});

void t.test('dispatch: a unit is required, its tier comes from the registry or the caller', async (t) => {
  const h = await caseHarness(t);
  await addUnit(h.db, 'water-team', 2, h.clock.now());
  const c = await h.open();
  const actor = { type: 'district' as const, id: 'district' };
  await t.rejects(h.cases.transition({ caseId: c.id, to: 'dispatched', actor }), { code: 'GW_ERR_VALIDATION', message: /needs the unit/ });
  await t.rejects(h.cases.transition({ caseId: c.id, to: 'dispatched', actor, unit: { id: 'nobody' } }), { code: 'GW_ERR_VALIDATION', message: /"nobody" is not in the duty unit registry and no tier was given/ });
  t.equal((await h.cases.get(c.id))?.status, 'new', 'nothing changed');

  h.clock.advance(1000);
  const d = await h.cases.transition({ caseId: c.id, to: 'dispatched', actor, unit: { id: 'water-team', tier: 1 } });
  t.same(d.unit, { id: 'water-team', tier: 2 }, 'the registry tier wins');
  t.equal(d.times.reported, d.times.dispatched, 'dispatched straight from new: the district had it by then');
  await t.rejects(h.cases.transition({ caseId: c.id, to: 'dispatched', actor, unit: { id: 'water-team' } }), { code: 'GW_ERR_CASE_TRANSITION', message: /already dispatched to unit water-team/ });
  const again = await h.cases.transition({ caseId: c.id, to: 'dispatched', actor, unit: { id: 'road-team', tier: 3 } });
  t.same(again.unit, { id: 'road-team', tier: 3 }, 're-dispatch to another unit, tier as given');
  t.same((await h.cases.detail(c.id))?.transitions.map((x) => `${x.from ?? '-'}>${x.to}`), ['->new', 'new>dispatched', 'dispatched>dispatched']);
});

void t.test('returned, then dispatched again: the later steps of the first dispatch are cleared', async (t) => {
  const h = await caseHarness(t);
  const c = await h.walk((await h.open()).id, ['reported', 'dispatched', 'signed', 'arrived', 'returned']);
  t.equal(c.status, 'returned');
  t.not(c.times.signed, null, 'the returned dispatch keeps its times until the next one');
  const d = await h.cases.transition({ caseId: c.id, to: 'dispatched', actor: { type: 'district', id: 'district' }, unit: { id: 'u2', tier: 2 } });
  t.match(d, { status: 'dispatched', unit: { id: 'u2', tier: 2 }, times: { signed: null, arrived: null } });
  t.not(d.times.dispatched, c.times.dispatched);
});

void t.test('suspended and resumed: back to where it was, with the district case number kept', async (t) => {
  const h = await caseHarness(t);
  const c = await h.walk((await h.open()).id, ['reported', 'dispatched', 'signed']);
  const s = await h.cases.transition({ caseId: c.id, to: 'suspended', actor: { type: 'user', id: 'u-ops' }, note: '等待天气好转', districtCaseNo: 'QX-2026-0042' });
  t.match(s, { status: 'suspended', districtCaseNo: 'QX-2026-0042' });
  await t.rejects(h.cases.transition({ caseId: c.id, to: 'closed', actor: { type: 'user', id: 'u-ops' } }), { code: 'GW_ERR_CASE_TRANSITION' }, 'a suspended case is resumed before it goes on');
  const r = await h.cases.transition({ caseId: c.id, to: 'resumed', actor: { type: 'user', id: 'u-ops' } });
  t.equal(r.status, 'signed');
  const last = (await h.events(['case.status'])).at(-1);
  t.match(last?.data, { from: 'suspended', to: 'signed', step: 'resumed' });
  t.equal((await h.cases.detail(c.id))?.transitions.at(-1)?.step, 'resumed');
});

void t.test('markReported: new → reported by the district once, then only a new case number', async (t) => {
  const h = await caseHarness(t);
  const c = await h.open();
  h.clock.advance(5000);
  await h.cases.markReported(c.id, h.clock.now() - 1000, 'QX-1');
  const r = await h.cases.get(c.id);
  t.match(r, { status: 'reported', districtCaseNo: 'QX-1' });
  t.equal(r?.times.reported, new Date(h.clock.now() - 1000 + 8 * 3600_000).toISOString().replace('Z', '+08:00'), 'the acceptance time');
  t.match((await h.cases.detail(c.id))?.transitions.at(-1), { from: 'new', to: 'reported', actor: { type: 'district', id: 'district' } });
  const before = (await h.events()).length;
  await h.cases.markReported(c.id, h.clock.now());
  await h.cases.markReported(c.id, h.clock.now(), 'QX-1');
  t.equal((await h.events()).length, before, 'nothing new: no event');
  await h.cases.markReported(c.id, h.clock.now(), 'QX-2');
  const updated = await h.events(['case.updated']);
  t.equal(updated.length, 1);
  t.match(updated[0]?.data, { case: { id: c.id, districtCaseNo: 'QX-2', status: 'reported' } });
  t.equal((await h.cases.detail(c.id))?.transitions.length, 2, 'no second reported step');
  await t.rejects(h.cases.markReported('424242', h.clock.now()), { code: 'GW_ERR_NOT_FOUND' });

  // Dispatched before the acceptance arrived: the acceptance adds only the number.
  const d = await h.open();
  await h.cases.transition({ caseId: d.id, to: 'dispatched', actor: { type: 'district', id: 'district' }, unit: { id: 'u1', tier: 1 } });
  await h.cases.markReported(d.id, h.clock.now() + 10, 'QX-3');
  t.match(await h.cases.get(d.id), { status: 'dispatched', districtCaseNo: 'QX-3' });
});
