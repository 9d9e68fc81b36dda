import t from 'tap';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { BLOCK, T0, harness, transition, waterlogging } from './test-support.js';
import { timeline } from './repo.js';
import { broadcastRequest, sseChannel } from '../outbox/channels/index.js';
import type { OutboxMessage } from '../outbox/types.js';

t.teardown(stopSharedPostgres);

void t.test('raise, upgrade, downgrade, clear: one warning graded in place, with a timeline', async (t) => {
  const h = await harness(t);
  await h.apply([transition('wl-1', 0, 2, T0)]);
  h.clock.advance(1000);
  await h.apply([transition('wl-1', 2, 4, T0 + 1000)]);
  h.clock.advance(1000);
  await h.apply([transition('wl-1', 4, 3, T0 + 2000)]);
  h.clock.advance(1000);
  await h.apply([transition('wl-1', 3, 0, T0 + 3000)]);

  const rows = await h.warnings();
  t.equal(rows.length, 1, 'one warning');
  const w = rows[0];
  if (!w) return;
  t.match(w, { fingerprint: 'waterlogging/wl-1', grade: 3, peak_grade: 4, state: 'cleared', raised_at_ms: T0, cleared_at_ms: T0 + 3000, rule_version: 3, category: 'rainstorm', block_code: BLOCK });
  const changes = (await h.timelineTypes(w.id)).filter((x) => ['raised', 'upgraded', 'downgraded', 'cleared'].includes(x));
  t.same(changes, ['raised', 'upgraded', 'downgraded', 'cleared']);
  t.same((await h.events(['warning.raised', 'warning.updated', 'warning.cleared'])).map((e) => e.type), ['warning.raised', 'warning.updated', 'warning.updated', 'warning.cleared']);
  const raised = (await h.events(['warning.raised']))[0];
  t.match(raised, { subject: { type: 'warning', id: String(w.id) }, grade: 'yellow', blockCode: BLOCK, exercise: false });
  t.match(raised?.data, { warning: { id: String(w.id), grade: 'yellow', state: 'active', kind: 'waterlogging' }, transition: { from: null, to: 'yellow', reason: 'depth_cm 27 at grade 2' } });
  t.same((await h.events(['warning.case_requested'])).length, 1, 'orange opens a case once (red asks again: no second event)');
  t.same((await h.events(['warning.picture_requested'])).length, 1, 'red asks for a picture');
  t.ok(w.case_requested_at_ms !== null && w.picture_requested_at_ms !== null);
});

void t.test('a clear and a new raise make a new warning; replays change nothing', async (t) => {
  const h = await harness(t);
  const batch = [transition('wl-1', 0, 2, T0), transition('wl-1', 2, 0, T0 + 1000)];
  await h.apply(batch);
  await h.apply(batch);
  t.equal((await h.warnings()).length, 1, 'a re-applied batch does not raise again');
  await h.apply([transition('wl-1', 0, 1, T0 + 5000)]);
  const rows = await h.warnings();
  t.equal(rows.length, 2, 'the raise after the clear is a new warning');
  t.match(rows.map((r) => r.state), ['cleared', 'active']);
  await h.apply([transition('wl-1', 0, 1, T0 + 5000)]);
  t.equal((await h.events(['warning.raised'])).length, 2, 'the same raise again emits nothing');
});

void t.test('notifications: one outbox message per channel plus MQTT, idempotent on re-apply', async (t) => {
  const h = await harness(t);
  const up = transition('wl-1', 0, 3, T0);
  await h.apply([up]);
  const msgs = await h.outbox();
  const id = (await h.warnings())[0]?.id;
  t.same(msgs.map((m) => m.channel).sort(), ['mqtt', 'ops-webhook', 'sms']);
  t.same(msgs.map((m) => m.key).sort(), ['mqtt', 'ops-webhook', 'sms'].map((ch) => `warning:${id}:orange:${T0}:${ch}`));
  const mqtt = msgs.find((m) => m.channel === 'mqtt');
  t.equal(mqtt?.payload.topic, 'cityops/v1/warnings/orange/waterlogging');
  t.match(mqtt?.payload, { event: 'warning.raised', grade: 'orange', warning: { id: String(id), grade: 'orange' }, transition: { to: 'orange' } });
  t.notOk(msgs.find((m) => m.channel === 'sms')?.payload.topic, 'only the mqtt message names a topic');

  // The engine replays the same transition after a crash: nothing new.
  await h.apply([up]);
  t.equal((await h.outbox()).length, 3);
  // …and even if the warning table had missed it, the outbox keys would hold.
  await h.db.query('UPDATE warnings SET transition_at_ms = $1::bigint - 1, grade = 2', [T0]);
  await h.apply([up]);
  t.equal((await h.outbox()).length, 3, 'the keys make the enqueue idempotent');

  await h.apply([transition('wl-1', 3, 0, T0 + 60_000)]);
  const cleared = (await h.outbox()).filter((m) => m.key.includes(':cleared:'));
  t.same(cleared.map((m) => m.channel).sort(), ['mqtt', 'ops-webhook', 'sms'], 'every channel that heard of it hears it is lifted');
  t.equal(cleared.find((m) => m.channel === 'mqtt')?.payload.topic, 'cityops/v1/warnings/orange/waterlogging');
});

void t.test('notification payloads carry what channels read: block, text and the drill flag on top', async (t) => {
  const h = await harness(t);
  await h.apply([transition('wl-1', 0, 4, T0, { exercise: true })]);
  const id = String((await h.warnings())[0]?.id);
  const msg = (await h.outbox()).find((m) => m.channel === 'block-broadcast');
  t.match(msg?.payload, { event: 'warning.raised', warningId: id, blockCode: BLOCK, kind: 'waterlogging', deviceId: 'wl-1', exercise: true, grade: 'red', text: /^红色预警：Red warning "道路积水" at wl-1: depth_cm 55/ });
  if (!msg) return;
  const outboxMessage = (m: typeof msg): OutboxMessage => ({ id: '1', channel: m.channel, key: m.key, payload: m.payload, orderKey: null, subject: { type: 'warning', id }, attempts: 0, createdAtMs: T0, state: 'pending' });
  t.match(broadcastRequest(outboxMessage(msg)), { block: BLOCK, grade: 'red', text: /^红色预警/ }, 'a broadcast controller can play it');

  const delivered = await sseChannel({ feed: h.feed }).deliver(outboxMessage(msg), new AbortController().signal);
  t.ok(delivered.ok);
  t.match((await h.events(['notification']))[0], { blockCode: BLOCK, grade: 'red', exercise: true }, 'the sse notification says it is a drill, in its block');

  h.clock.advance(1000);
  await h.apply([transition('wl-1', 4, 0, T0 + 1000, { reason: 'depth_cm 3 below 12 for 10m' })]);
  const lifted = (await h.outbox()).find((m) => m.channel === 'block-broadcast' && m.key.includes(':cleared:'));
  t.match(lifted?.payload, { event: 'warning.cleared', blockCode: BLOCK, grade: 'red', text: '红色预警解除：Red warning "道路积水" at wl-1 lifted: depth_cm 3 below 12 for 10m' });
});

void t.test('callout events commit with the warning change, not on a later duty tick', async (t) => {
  const h = await harness(t);
  await h.apply([transition('wl-1', 0, 3, T0)]);
  const id = String((await h.warnings())[0]?.id);
  const callouts = async () => (await h.events()).filter((e) => e.type.startsWith('callout.')).map((e) => e.type);
  t.same(await callouts(), ['callout.unstaffed'], 'the first call (nobody rostered here) is on the feed at once');
  await h.service.acknowledge(id, { name: 'ops one', principalId: 'u1', role: 'ops' }, {});
  t.same(await callouts(), ['callout.unstaffed', 'callout.acknowledged']);
  await h.service.clear(id, { name: 'ops one', principalId: 'u1', role: 'ops' }, 'water gone');
  t.same(await callouts(), ['callout.unstaffed', 'callout.acknowledged', 'callout.cancelled'], 'a manual clear closes the callout');
  await h.apply([transition('wl-2', 0, 4, T0 + 10)]);
  await h.apply([transition('wl-2', 4, 0, T0 + 20)]);
  t.same((await callouts()).slice(3), ['callout.unstaffed', 'callout.cancelled'], 'an engine clear cancels the callout in the same commit');
  const pending = await h.db.query('SELECT id FROM callout_log WHERE pending_event IS NOT NULL');
  t.equal(pending.rows.length, 0, 'nothing left for the tick to emit');
});

void t.test('叫应: orange and red start a callout; the clear cancels it', async (t) => {
  const h = await harness(t);
  await h.apply([transition('wl-1', 0, 2, T0)]);
  const id = String((await h.warnings())[0]?.id);
  t.equal(await h.duty.status(id), null, 'yellow: no callout');
  await h.apply([transition('wl-1', 2, 3, T0 + 1000)]);
  t.match(await h.duty.status(id), { state: 'calling', role: 'duty_officer' }, 'orange (config acknowledgeGrades): a callout');
  await h.apply([transition('wl-1', 3, 0, T0 + 2000)]);
  t.match(await h.duty.status(id), { state: 'cancelled' }, 'the clear cancels it');
});

void t.test('叫应: a warning that comes down below orange stops calling; back up, it calls again', async (t) => {
  const h = await harness(t);
  await h.apply([transition('wl-1', 0, 4, T0)]);
  const id = String((await h.warnings())[0]?.id);
  t.match(await h.duty.status(id), { state: 'calling' }, 'red: calling');
  await h.apply([transition('wl-1', 4, 3, T0 + 1000)]);
  t.match(await h.duty.status(id), { state: 'calling' }, 'orange still needs 叫应');
  await h.apply([transition('wl-1', 3, 2, T0 + 2000)]);
  t.match(await h.duty.status(id), { state: 'cancelled' }, 'yellow: the callout stops');
  await h.apply([transition('wl-1', 2, 3, T0 + 3000)]);
  t.match(await h.duty.status(id), { state: 'calling' }, 'orange again: a fresh callout');
});

void t.test('a silence keeps the record but sends nothing', async (t) => {
  const h = await harness(t);
  const r = await h.db.query<{ id: number }>(
    `INSERT INTO silences (device_ids, kinds, block_prefixes, rule_ids, starts_at_ms, ends_at_ms, author, reason, created_at_ms)
     VALUES ('{}', '{waterlogging}', '{310117006}', '{}', $1, $2, 'ops-1', 'pump station maintenance', $1) RETURNING id`,
    [T0 - 1000, T0 + 3_600_000],
  );
  const silenceId = String(r.rows[0]?.id);
  await h.apply([transition('wl-1', 0, 4, T0), transition('wl-2', 0, 3, T0, { blockCode: '320000000000000000' })]);
  const [silenced, loud] = await h.warnings();
  t.match(silenced, { device_id: 'wl-1', silenced: true, grade: 4, state: 'active' });
  t.match(loud, { device_id: 'wl-2', silenced: false });
  const entries = await timeline(h.db, String(silenced?.id));
  t.match(entries.find((e) => e.type === 'silenced'), { text: 'pump station maintenance', data: { silenceId } }, 'the timeline names the silence');
  t.same((await h.outbox()).filter((m) => m.key.startsWith(`warning:${silenced?.id}:`)), [], 'no notification');
  t.equal(await h.duty.status(String(silenced?.id)), null, 'no callout');
  t.equal(silenced?.case_requested_at_ms, null, 'no case');
  t.equal((await h.events(['warning.raised'])).length, 2, 'both recorded as events');
  t.ok((await h.outbox()).some((m) => m.key.startsWith(`warning:${loud?.id}:`)), 'the other block is notified');
  t.ok(await h.duty.status(String(loud?.id)), 'and called');

  // The silence ends: the next change is sent.
  h.clock.advance(3_600_000);
  await h.apply([transition('wl-1', 4, 3, T0 + 3_600_000)]);
  t.equal((await h.warning(String(silenced?.id))).silenced, false);
  t.ok((await h.outbox()).some((m) => m.key.startsWith(`warning:${silenced?.id}:orange:`)), 'notified once the silence is over');
});

void t.test('storm control: the 11th+ new warning in a block within a minute joins one storm warning', async (t) => {
  const h = await harness(t);
  const batch = Array.from({ length: 14 }, (_, i) => transition(`wl-${i + 1}`, 0, i === 12 ? 4 : 2, T0 + i));
  await h.apply(batch.slice(0, 10));
  t.equal((await h.outbox()).filter((m) => m.channel === 'mqtt').length, 10, 'ten notified one by one');
  h.clock.advance(10_000);
  await h.apply(batch.slice(10));
  const rows = await h.warnings();
  const storm = rows.find((r) => r.fingerprint === `storm/${BLOCK}`);
  t.ok(storm, 'a storm warning for the block');
  if (!storm) return;
  const members = rows.filter((r) => r.storm_id === storm.id).map((r) => r.device_id);
  t.same(members, ['wl-11', 'wl-12', 'wl-13', 'wl-14'], 'the 11th to the 14th are grouped');
  t.same((storm.data as { members: string[] }).members, rows.filter((r) => r.storm_id === storm.id).map((r) => String(r.id)), 'its data lists them');
  t.equal(storm.grade, 4, 'grade: the highest grouped');
  const memberIds = new Set(rows.filter((r) => r.storm_id === storm.id).map((r) => r.id));
  t.same((await h.outbox()).filter((m) => [...memberIds].some((id) => m.key.startsWith(`warning:${id}:`))), [], 'members are not notified one by one');
  const stormMsgs = (await h.outbox()).filter((m) => m.key.startsWith(`warning:${storm.id}:`));
  t.same(stormMsgs.map((m) => m.key.split(':')[2]).sort(), ['red', 'red', 'red', 'yellow', 'yellow'], 'the storm: raised at yellow (mqtt, ops-webhook), then red to all its notifiers');
  t.match(await h.duty.status(String(storm.id)), { state: 'calling' }, 'a red storm is 叫应 once');
  t.equal((await h.events(['warning.storm'])).length, 4);

  // A member's own change inside the open storm stays muted.
  h.clock.advance(1000);
  await h.apply([transition('wl-11', 2, 3, T0 + 20_000)]);
  t.equal((await h.outbox()).filter((m) => m.key.startsWith(`warning:${rows[10]?.id}:`)).length, 0, 'member upgrade not notified on its own');

  // A minute with no new member clears the storm (tick), and it tells who heard of it.
  h.clock.advance(58_000);
  await h.service.tick(h.clock.now());
  t.equal((await h.warning(storm.id)).state, 'active', 'not before a full minute after the last member joined');
  h.clock.advance(1000);
  await h.service.tick(h.clock.now());
  t.equal((await h.warning(storm.id)).state, 'cleared', 'cleared after a quiet minute');
  t.ok((await h.outbox()).some((m) => m.key.startsWith(`warning:${storm.id}:cleared:`)));
  await h.service.tick(h.clock.now());

  // Later, the block is calm again: a new warning is notified on its own.
  h.clock.advance(60_000);
  await h.apply([transition('wl-20', 0, 2, h.clock.now())]);
  const fresh = (await h.warnings()).find((r) => r.device_id === 'wl-20');
  t.equal(fresh?.storm_id, null);
  t.ok((await h.outbox()).some((m) => m.key.startsWith(`warning:${fresh?.id}:`)));
});

void t.test('storm memory is rebuilt from the table after a restart', async (t) => {
  const h = await harness(t, { warnings: { stormPerBlockPerMinute: 3 } });
  await h.apply([1, 2, 3].map((i) => transition(`wl-${i}`, 0, 2, T0 + i)));
  // A new process on the same database: the three are still in its minute.
  const h2 = await harness(t, { db: h.db, warnings: { stormPerBlockPerMinute: 3 } });
  h2.clock.advance(5000);
  await h2.apply([transition('wl-4', 0, 2, T0 + 5000)]);
  const w4 = (await h2.warnings()).find((r) => r.device_id === 'wl-4');
  t.ok(w4?.storm_id, 'the 4th joins a storm');
  const h3 = await harness(t, { db: h.db, warnings: { stormPerBlockPerMinute: 3 } });
  h3.clock.advance(70_000);
  await h3.service.tick(h3.clock.now());
  t.equal((await h3.warning(w4?.storm_id ?? 0)).state, 'cleared', 'the open storm is known after a restart and cleared after its quiet minute');
});

void t.test('notices: a disabled rule becomes a system warning; late readings go on the timeline', async (t) => {
  const h = await harness(t);
  await h.apply([transition('wl-1', 0, 2, T0)]);
  const disabled = { type: 'rule_disabled' as const, ruleId: 'waterlogging', deviceId: null, atMs: T0 + 10, message: 'expression failed 100 times: division by zero' };
  await h.notice(disabled);
  await h.notice(disabled);
  const system = (await h.warnings()).filter((w) => w.fingerprint === 'system/rule/waterlogging');
  t.equal(system.length, 1, 'one system warning, however often the notice comes');
  t.match(system[0], { grade: 2, kind: null, block_code: '', state: 'active', reason: disabled.message });
  const ev = await h.events(['rule.disabled']);
  t.equal(ev.length, 1);
  t.match(ev[0], { subject: { type: 'rule', id: 'waterlogging' }, data: { ruleId: 'waterlogging', message: disabled.message } });
  t.same((await h.outbox()).filter((m) => m.key.startsWith(`warning:${system[0]?.id}:`)), [], 'a system warning goes to the feed only');

  await h.notice({ type: 'late_reading', ruleId: null, deviceId: 'wl-1', atMs: T0 - 7_200_000, message: 'reading 2 h old: stored, not evaluated' });
  const first = (await h.warnings())[0];
  t.ok((await h.timelineTypes(String(first?.id))).includes('late_reading'), 'on the open warning of the device');

  const resolved = await h.feed.transaction((tx, emit) => h.service.resolveRuleDisabled(tx, emit, 'waterlogging', 'version 4 activated', h.clock.now()));
  t.ok(resolved);
  t.equal((await h.warning(String(system[0]?.id))).state, 'cleared', 'cleared when the rule runs again');
});

void t.test('rule lookup: an unknown rule still records and publishes to MQTT', async (t) => {
  const h = await harness(t);
  await h.apply([transition('wl-1', 0, 3, T0, { ruleId: 'gone', fingerprint: 'gone/wl-1' })], [waterlogging]);
  t.same((await h.outbox()).map((m) => m.channel), ['mqtt']);
  t.equal((await h.warnings())[0]?.category, 'other');
});
