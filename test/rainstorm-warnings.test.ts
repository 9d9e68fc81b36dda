/**
 * The simulated town's rainstorm, end to end through the real stack: MQTT devices → ingest →
 * the default waterlogging rule → a warning that climbs blue → yellow → orange → red and comes
 * back down as the water recedes, seen through the warnings API and the SSE event stream.
 * A ScaledClock plays the 40-minute storm 60 times faster; assertions are on order, not time.
 */
import t from 'tap';
import { pino } from 'pino';
import mqtt from 'mqtt';
import { ScaledClock } from '../gateway/core/clock.js';
import { sseClient } from '../gateway/events/test-helpers.js';
import { startTown } from '../simulators/sensors/town.js';
import { stopSharedPostgres } from './helpers/postgres.js';
import { ADMIN, pgGateway } from './helpers/gateway.js';

t.teardown(stopSharedPostgres);

interface Entry {
  type: string;
  fromGrade: string | null;
  toGrade: string | null;
}

const level = (g: string | null): number => (g === null ? 0 : ['blue', 'yellow', 'orange', 'red'].indexOf(g) + 1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('rainstorm: the waterlogging warning climbs from blue to red and comes back down', async (t) => {
  const clock = new ScaledClock(60);
  const gw = await pgGateway(t, { clock });
  const sse = await sseClient(`${gw.urls.http}/api/v1/events/stream?types=warning.*`, { authorization: `Bearer ${ADMIN}` });
  t.teardown(() => sse.close());
  t.equal(sse.status, 200, 'SSE stream open');
  // The district centre's view over MQTT: a read-only subscriber with an API key.
  const key = await gw.api('POST', '/api-keys', { body: { name: 'district centre', role: 'district' } });
  const sub = await mqtt.connectAsync(gw.urls.mqtt, { username: 'apikey', password: key.body.key, reconnectPeriod: 0 });
  t.teardown(() => sub.endAsync());
  const onMqtt: Array<{ topic: string; body: { warning?: { id: string } } }> = [];
  sub.on('message', (topic, payload) => onMqtt.push({ topic, body: JSON.parse(payload.toString()) as { warning?: { id: string } } }));
  await sub.subscribeAsync('cityops/v1/warnings/#', { qos: 1 });

  const town = await startTown({
    httpUrl: gw.urls.http, mqttUrl: gw.urls.mqtt, adminToken: ADMIN, devicesPerKind: 1, intervalMs: 30_000,
    scenario: 'rainstorm', logger: pino({ level: 'silent' }), clock, scenarioOffsetMs: 3 * 60_000,
  });
  t.teardown(() => town.stop());

  // 60 s of scenario time per real second: the storm peaks at minute 13 and the road is dry by
  // minute 34; the default rule clears 10 minutes after the water is 3 cm under 15 cm.
  let warning: { id: string; state: string; grade: string; peakGrade: string; exercise: boolean } | undefined;
  const deadline = Date.now() + 150_000;
  while (Date.now() < deadline) {
    const list = await gw.api('GET', '/warnings?rule=waterlogging-depth&limit=10');
    warning = list.body.warnings?.[list.body.warnings.length - 1];
    if (warning?.state === 'cleared') break;
    await sleep(500);
  }
  if (!warning) throw new Error('no waterlogging warning was raised');
  t.equal(warning.state, 'cleared', 'the warning was lifted once the water receded');
  t.equal(warning.peakGrade, 'red', 'it reached red');
  t.ok(warning.exercise, 'the simulated town raises exercise warnings');

  const detail = await gw.api('GET', `/warnings/${warning.id}`);
  const changes = (detail.body.timeline as Entry[]).filter((e) => ['raised', 'upgraded', 'downgraded', 'cleared'].includes(e.type));
  const path = changes.map((e) => e.toGrade ?? 'cleared');
  t.same(path.slice(0, 4), ['blue', 'yellow', 'orange', 'red'], `raised at blue and upgraded one grade at a time (${path.join(' → ')})`);
  t.equal(path[path.length - 1], 'cleared', 'ends cleared');
  const peak = path.indexOf('red');
  t.same(path.slice(peak), ['red', 'orange', 'yellow', 'blue', 'cleared'], 'comes down a grade at a time as the water recedes');
  t.ok(changes.slice(peak + 1).every((e) => level(e.toGrade) < level(e.fromGrade)), 'after the peak every change is a downgrade or the clear');

  // The same story on the event stream, in order, for this warning.
  const mine = () => sse.messages.filter((m) => m.data !== undefined && (JSON.parse(m.data) as { subject: { id: string } }).subject.id === warning.id);
  const until = Date.now() + 10_000;
  while (mine().filter((m) => m.event === 'warning.cleared').length === 0 && Date.now() < until) await sleep(100);
  const events = mine().map((m) => m.event);
  t.equal(events[0], 'warning.raised', 'SSE: raised first');
  t.equal(events[events.length - 1], 'warning.cleared', 'SSE: cleared last');
  t.equal(events.filter((e) => e === 'warning.updated').length, 6, 'SSE: every grade change in between (3 up, 3 down)');
  const topics = onMqtt.filter((m) => m.topic.endsWith('/waterlogging')).map((m) => m.topic.split('/')[3]);
  t.same([...new Set(topics)].sort(), ['blue', 'orange', 'red', 'yellow'], 'MQTT: the district subscriber got the warning on every grade topic');
  const ids = mine().map((m) => Number(m.id));
  t.same(ids, [...ids].sort((a, b) => a - b), 'SSE ids increase (resumable with Last-Event-ID)');
});
