import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { Socket, connect as netConnect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t, { type Test } from 'tap';
import { WebSocket } from 'ws';
import { connectClient, connectDevice, connectReturnCode, fixedHeader, rawSocket, startBroker, waitFor } from './test-helpers.js';

async function httpServer(t: Test): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return { server, port: (server.address() as AddressInfo).port };
}

void t.test('MQTT over WebSocket on the HTTP server, at the configured path only', async (t) => {
  const { server, port } = await httpServer(t);
  const { broker, policy } = await startBroker(t, { httpServer: server, mqtt: { websocketPath: '/mqtt' } });
  t.same(broker.addresses().ws, { path: '/mqtt' });

  const dev1 = await connectDevice(t, `ws://127.0.0.1:${port}/mqtt`, 'dev-1');
  await dev1.subscribeAsync('cityops/v1/devices/dev-1/down', { qos: 1 });
  const got = new Promise<string>((resolve) => dev1.once('message', (_topic, payload) => resolve(payload.toString())));
  await dev1.publishAsync('cityops/v1/devices/dev-1/up', 'over ws', { qos: 1 });
  t.equal(policy.published[0]?.payload.toString(), 'over ws', 'publish reaches the gate');
  await broker.publishPlatform('cityops/v1/devices/dev-1/down', 'cmd');
  t.equal(await got, 'cmd', 'and commands come back');
  t.equal(await connectReturnCode(`ws://127.0.0.1:${port}/mqtt`, { username: 'dev-1', password: 'nope' }), 5, 'same authentication');

  const other = new WebSocket(`ws://127.0.0.1:${port}/elsewhere`);
  const err = await new Promise<Error>((resolve) => other.once('error', resolve));
  t.match(err.message, /404/, 'another path is not upgraded');
});

void t.test('the packet guard covers WebSocket connections too', async (t) => {
  const { server, port } = await httpServer(t);
  const { broker } = await startBroker(t, { httpServer: server, mqtt: { websocketPath: '/mqtt', connectTimeoutMs: 60000 } });
  const ws = new WebSocket(`ws://127.0.0.1:${port}/mqtt`, 'mqtt');
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const closed = new Promise((resolve) => ws.once('close', resolve));
  ws.send(fixedHeader(0x10, 200 * 1024 * 1024));
  await closed;
  t.equal(broker.stats().oversizePackets, 1);
});

void t.test('TCP sockets get TCP_NODELAY', async (t) => {
  // Node has no getter for it, so watch the call. (WebSocket sockets get it too; Node's HTTP
  // server already sets it by default, so a test there could not fail.)
  const calls: Array<{ localPort: number | undefined; noDelay: boolean | undefined }> = [];
  const original = Socket.prototype.setNoDelay;
  Socket.prototype.setNoDelay = function (this: Socket, noDelay?: boolean) {
    calls.push({ localPort: this.localPort, noDelay });
    return original.call(this, noDelay);
  };
  t.teardown(() => {
    Socket.prototype.setNoDelay = original;
  });
  const { url, port } = await startBroker(t);
  await connectDevice(t, url, 'dev-1');
  t.same(calls.filter((c) => c.localPort === port).map((c) => c.noDelay), [true], 'the server side of the connection called setNoDelay(true)');
});

void t.test('a socket that never sends CONNECT is closed after the connect timeout', async (t) => {
  const { broker, port } = await startBroker(t, { mqtt: { connectTimeoutMs: 200 } });
  const raw = await rawSocket(t, port);
  await raw.closed;
  t.equal(raw.received().length, 0);
  await waitFor('the refusal count', () => broker.stats().refusedConnections.connect_timeout === 1);
  t.pass('counted as connect_timeout');
});

void t.test('port 0 binds a free port; close() closes listeners and open sockets', async (t) => {
  const { broker, port } = await startBroker(t, { mqtt: { connectTimeoutMs: 60000 } });
  t.equal(broker.addresses().tcp.host, '127.0.0.1');
  t.ok(port > 0, `bound to ${port}`);
  const silent = await rawSocket(t, port); // not an aedes client yet: the broker must still close it
  const done = await Promise.race([broker.close().then(() => 'closed'), sleep(5000, 'hung', { ref: false })]);
  t.equal(done, 'closed');
  await silent.closed;
  const refused = await new Promise<string>((resolve) => {
    const s = netConnect(port, '127.0.0.1');
    s.once('connect', () => resolve('connected'));
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });
  t.equal(refused, 'ECONNREFUSED', 'nothing listens any more');
  await broker.close(); // idempotent
});

const openssl = spawnSync('openssl', ['version'], { encoding: 'utf8' });
const noOpenssl = openssl.error || openssl.status !== 0 ? `openssl is not available to make a test certificate (${openssl.error?.message ?? openssl.stderr})` : false;

void t.test('MQTT over TLS with a certificate from the config', { skip: noOpenssl }, async (t) => {
  const dir = t.testdir();
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { encoding: 'utf8' });
  t.equal(gen.status, 0, `openssl made a test certificate ${gen.stderr}`);
  const ca = readFileSync(cert);

  void t.test('server certificate only', async (t) => {
    const { broker, policy } = await startBroker(t, { mqtt: { tls: { port: 0, certFile: cert, keyFile: key, caFile: '' } } });
    const tls = broker.addresses().tls;
    t.ok(tls && tls.port > 0, 'the TLS port is reported');
    const url = `mqtts://127.0.0.1:${tls?.port}`;
    const dev1 = await connectDevice(t, url, 'dev-1', { ca, rejectUnauthorized: true });
    await dev1.publishAsync('cityops/v1/devices/dev-1/up', 'secure', { qos: 1 });
    t.equal(policy.published[0]?.payload.toString(), 'secure');
  });

  void t.test('with caFile, clients must present a certificate', async (t) => {
    const { broker } = await startBroker(t, { mqtt: { tls: { port: 0, certFile: cert, keyFile: key, caFile: cert } } });
    const url = `mqtts://127.0.0.1:${broker.addresses().tls?.port}`;
    const without = await connectReturnCode(url, { username: 'dev-1', password: 'secret-1', ca, rejectUnauthorized: true });
    t.not(without, 0, 'no client certificate: refused during the handshake');
    const withCert = await connectClient(t, url, { username: 'dev-1', password: 'secret-1', ca, cert: ca, key: readFileSync(key), rejectUnauthorized: true });
    t.ok(withCert.connected, 'with one signed by the CA: connected');
  });

  void t.test('an unreadable certificate file is a config error naming the key', async (t) => {
    await t.rejects(startBroker(t, { mqtt: { tls: { port: 0, certFile: join(dir, 'missing.pem'), keyFile: key, caFile: '' } } }), { code: 'GW_ERR_BAD_CONFIG', message: /mqtt\.tls\.certFile/ });
  });
});
