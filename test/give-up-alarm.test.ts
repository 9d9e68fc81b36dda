/**
 * A case the district never takes: its message is given up only after district.maxAgeMs (24 h
 * here, on a fake clock), stays in the outbox, and an orange warning tells ops.
 */
import t from 'tap';
import { FakeClock } from '../gateway/core/clock.js';
import { stopSharedPostgres } from './helpers/postgres.js';
import { pgGateway } from './helpers/gateway.js';

t.teardown(stopSharedPostgres);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('a district message given up after its maximum age raises an orange warning and stays re-sendable', async (t) => {
  const clock = new FakeClock(Date.UTC(2026, 5, 1, 2, 0, 0));
  // Port 9 (discard) is closed on loopback: every attempt is refused.
  const gw = await pgGateway(t, { clock, overrides: { district: { primaryUrl: 'http://127.0.0.1:9', secret: 'k'.repeat(20), maxAgeMs: 86_400_000 } } });
  const made = await gw.api('POST', '/cases', { body: { category: 'rainstorm', title: '积水', block: '310117006001' } });
  t.equal(made.status, 201);
  const caseId = String(made.body.case.id);
  let alarm: { grade: string; subject: { id: string }; data?: unknown } | undefined;
  for (let i = 0; i < 200 && !alarm; i++) {
    clock.advance(15 * 60_000);
    await sleep(50);
    const list = await gw.api('GET', '/warnings?subject=delivery&state=open');
    for (const w of (list.body.warnings ?? []) as Array<{ grade: string; subject: { id: string } }>) {
      const m = await gw.api('GET', `/deliveries/${w.subject.id}`);
      if (m.body.subject?.type === 'case' && m.body.subject.id === caseId) alarm = w;
    }
  }
  if (!alarm) throw new Error('no give-up alarm');
  t.equal(alarm.grade, 'orange', 'orange: an accepted case did not reach the district');
  const msg = await gw.api('GET', `/deliveries/${alarm.subject.id}`);
  t.equal(msg.body.state, 'given_up', 'the message is kept, given up');
  t.match(msg.body.subject, { type: 'case', id: caseId });
  const elapsed = clock.now() - Date.UTC(2026, 5, 1, 2, 0, 0);
  t.ok(elapsed >= 86_400_000, `not before its maximum age (${Math.round(elapsed / 3_600_000)} h)`);
});
