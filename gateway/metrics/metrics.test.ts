import t from 'tap';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { apiKey, bearer, testApp, testDb } from '../http/test-support.js';
import { createMetrics, metricNames } from './registry.js';

t.teardown(stopSharedPostgres);

void t.test('/metrics', async (t) => {
  const db = await testDb(t);
  const a = await testApp(t, { db });
  const b = await testApp(t, { db });
  a.metrics.readingsIn.inc({ source: 'mqtt', adapter: 'acme-wl100' }, 3);
  a.metrics.spoolFull.set(1);
  await a.app.inject({ url: '/healthz' });

  const local = await a.app.inject({ url: '/metrics' });
  t.equal(local.statusCode, 200, 'a scraper on this host needs no credentials');
  t.match(local.headers['content-type'], /^text\/plain/);
  for (const name of Object.values(metricNames)) t.match(local.body, new RegExp(`^# TYPE ${name} `, 'm'), name);
  for (const name of ['process_cpu_user_seconds_total', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) t.match(local.body, name, `default metric ${name}`);
  t.match(local.body, 'cityops_readings_total{source="mqtt",adapter="acme-wl100"} 3');
  t.match(local.body, /^cityops_spool_full 1$/m);
  t.match(local.body, /cityops_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} 1/);
  t.match(local.body, /^cityops_event_loop_lag_seconds \d/m);

  const other = await b.app.inject({ url: '/metrics' });
  t.notMatch(other.body, 'acme-wl100', 'each app instance has its own registry');

  const remote = await a.app.inject({ url: '/metrics', remoteAddress: '10.1.2.3' });
  t.equal(remote.statusCode, 401, 'from elsewhere, credentials are needed');
  const proxied = await a.app.inject({ url: '/metrics', headers: { 'x-forwarded-for': '10.1.2.3' } });
  t.equal(proxied.statusCode, 401, 'a local reverse proxy does not make a caller local');
  const viewer = await apiKey(a.app, { role: 'viewer', name: 'prometheus' });
  t.equal((await a.app.inject({ url: '/metrics', remoteAddress: '10.1.2.3', headers: bearer(viewer.key) })).statusCode, 200);
  const vendor = await apiKey(a.app, { role: 'vendor', vendor: 'acme' });
  t.equal((await a.app.inject({ url: '/metrics', headers: bearer(vendor.key) })).statusCode, 403);
});

void t.test('createMetrics without default metrics', async (t) => {
  const m = createMetrics({ defaultMetrics: false });
  t.teardown(() => m.close());
  const text = await m.registry.metrics();
  t.notMatch(text, 'process_cpu');
  t.match(text, metricNames.eventLoopLag);
  m.mqttRefusedConnections.inc({ reason: 'bad_credentials' });
  m.batchWriteSeconds.observe(0.02);
  t.match(await m.registry.metrics(), 'cityops_mqtt_refused_connections_total{reason="bad_credentials"} 1');
});
