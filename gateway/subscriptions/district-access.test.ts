/**
 * Issue 5 point 5: the district role reads the event feed (pull and SSE) and the MQTT warning
 * topics, read-only, through a whole gateway on real PostgreSQL with a real district API key.
 */
import t from 'tap';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { pgGateway } from '../../test/helpers/gateway.js';
import { connectClient, subscribeCodes } from '../broker/test-helpers.js';
import { sseClient } from '../events/test-helpers.js';

t.teardown(stopSharedPostgres);

t.test('a district API key reads /events, /events/stream and the MQTT warning topics, and cannot publish', async (t) => {
  const gw = await pgGateway(t);
  const key = await gw.api('POST', '/api-keys', { body: { name: 'district centre', role: 'district' } });
  t.equal(key.status, 201);
  const district = { 'x-api-key': key.body.key as string };

  const emitted = await gw.feed.transaction((_tx, emit) => emit({ type: 'warning.raised', subject: { type: 'warning', id: '1' }, grade: 'red', data: { probe: true } }));
  const pull = await fetch(`${gw.urls.http}/api/v1/events?after=0&types=warning.*`, { headers: district });
  t.equal(pull.status, 200, 'pull');
  const page = (await pull.json()) as { events: Array<{ id: string }> };
  t.ok(page.events.some((e) => e.id === emitted.id), 'the district sees the event');

  const stream = await sseClient(`${gw.urls.http}/api/v1/events/stream?after=0`, district);
  t.teardown(() => stream.close());
  t.equal(stream.status, 200, 'stream');
  const [first] = await stream.until(1);
  t.equal(first?.id, emitted.id, 'the stream replays it');

  const ack = await fetch(`${gw.urls.http}/api/v1/warnings/1/comments`, { method: 'POST', headers: { ...district, 'content-type': 'application/json' }, body: '{"text":"x"}' });
  t.equal(ack.status, 403, 'the district writes nothing to warnings');

  const mqtt = await connectClient(t, gw.urls.mqtt, { username: 'apikey', password: key.body.key as string });
  t.same(await subscribeCodes(mqtt, ['cityops/v1/warnings/#', 'cityops/v1/devices/#', '#']), [1, 128, 128], 'warning topics only');
  const gone = new Promise<void>((resolve) => mqtt.once('close', () => resolve()));
  mqtt.publish('cityops/v1/warnings/red/waterlogging', 'forged', { qos: 1 });
  await gone;
  t.pass('a publish closes the connection: read-only');
});
