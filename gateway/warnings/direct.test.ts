import t from 'tap';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { T0, harness, transition, waterlogging } from './test-support.js';
import type { DirectWarningInput } from './direct.js';
import type { WarningView } from './schema.js';

t.teardown(stopSharedPostgres);

const breach = (over: Partial<DirectWarningInput> = {}): DirectWarningInput => ({
  fingerprint: 'sla/case/7/sign/1', subject: { type: 'case', id: '7' }, grade: 'yellow', title: '案件 7 签收超时',
  reason: 'not signed within 10 minutes of dispatch', category: 'rainstorm', blockCode: '310117006001', atMs: T0, ...over,
});

void t.test('a direct warning is raised, regraded in place, kept at the same grade, and cleared', async (t) => {
  const h = await harness(t);
  const raised = await h.service.setDirectNow(breach());
  t.match(raised, { grade: 'yellow', state: 'active', subject: { type: 'case', id: '7' }, ruleId: null });
  h.clock.advance(1000);
  const same = await h.service.setDirectNow(breach({ reason: 'still not signed' }));
  t.equal(same?.id, raised?.id, 'same fingerprint, same warning');
  const up = await h.service.setDirectNow(breach({ grade: 'orange', atMs: T0 + 2000 }));
  t.match(up, { id: raised?.id, grade: 'orange', peakGrade: 'orange' });
  const cleared = await h.service.setDirectNow(breach({ grade: null, atMs: T0 + 3000, reason: 'signed' }));
  t.match(cleared, { id: raised?.id, state: 'cleared' });
  t.equal(await h.service.setDirectNow(breach({ grade: null })), undefined, 'clearing again: nothing open');
  t.same((await h.events(['warning.raised', 'warning.updated', 'warning.cleared'])).map((e) => e.type), ['warning.raised', 'warning.updated', 'warning.cleared']);
  const notes = await h.outbox();
  t.ok(notes.some((n) => n.channel === 'mqtt' && n.payload['topic'] === 'cityops/v1/warnings/yellow/none'), 'announced on MQTT like rule warnings');
  t.match(notes[0]?.payload['text'], /案件 7 签收超时/, 'the notification text carries the given title');
});

void t.test('orange and above start 叫应 by the acknowledgeGrades policy; the title is the given one', async (t) => {
  const h = await harness(t);
  const w = await h.service.setDirectNow(breach({ fingerprint: 'external/cma/1', subject: { type: 'external', id: '1' }, grade: 'orange', title: '暴雨橙色预警' }));
  t.ok(w);
  const callouts = await h.db.query<{ warning_id: string; summary: string }>('SELECT warning_id, summary FROM callouts');
  t.equal(callouts.rows.length, 1, 'one callout');
  t.match(callouts.rows[0]?.summary, /暴雨橙色预警/);
});

void t.test('rule warnings open a case through the opener, in the same transaction, once', async (t) => {
  const opened: WarningView[] = [];
  const h = await harness(t, {
    cases: { openAtGrade: 'red' },
    caseOpener: { openForWarning: async (tx, _emit, w) => { await tx.query('SELECT 1'); opened.push(w); } },
  });
  const noCase = { version: 1, rule: { ...waterlogging.rule, grades: {} } };
  await h.apply([transition('wl-1', 0, 3, T0)], [noCase]);
  t.equal(opened.length, 0, 'orange without openCase: below the red policy');
  await h.apply([transition('wl-1', 3, 4, T0 + 1000)], [noCase]);
  t.equal(opened.length, 1, 'red opens a case by policy');
  t.match(opened[0], { grade: 'red', fingerprint: 'waterlogging/wl-1' });
  await h.apply([transition('wl-1', 4, 3, T0 + 2000), transition('wl-1', 3, 4, T0 + 3000)], [noCase]);
  t.equal(opened.length, 1, 'once per warning');
});
