import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from './load.js';
import { configTableMarkdown, configKeys } from './doc.js';
import { isGatewayError } from '../core/errors.js';

t.test('defaults with no file and no environment', async (t) => {
  const { config, unconfigured } = loadConfig({ env: {} , file: undefined });
  t.equal(unconfigured, true);
  t.equal(config.http.port, 8080);
  t.equal(config.mqtt.maxPacketBytes, 256 * 1024);
  t.equal(config.demo.enabled, false, 'the service itself defaults to no demo');
  t.equal(config.database.url, '');
});

t.test('environment overrides', async (t) => {
  const { config, unconfigured } = loadConfig({
    env: { CITYOPS_HTTP_PORT: '9090', CITYOPS_MQTT_PORT: '0', CITYOPS_DATA_DIR: '/tmp/x', DATABASE_URL: 'postgres://a@b/c', CITYOPS_DEMO: '1', CITYOPS_ADMIN_TOKEN: 'tok' },
  });
  t.equal(unconfigured, false);
  t.equal(config.http.port, 9090);
  t.equal(config.mqtt.port, 0);
  t.equal(config.dataDir, '/tmp/x');
  t.equal(config.database.url, 'postgres://a@b/c');
  t.equal(config.demo.enabled, true);
  t.equal(config.auth.adminToken, 'tok');
});

t.test('YAML file, then environment wins', async (t) => {
  const dir = t.testdir({ 'c.yaml': 'http:\n  port: 7000\nmqtt:\n  port: 7001\n' });
  const { config } = loadConfig({ file: join(dir, 'c.yaml'), env: { CITYOPS_MQTT_PORT: '7002' } });
  t.equal(config.http.port, 7000);
  t.equal(config.mqtt.port, 7002);
});

t.test('errors name the key', async (t) => {
  const dir = t.testdir({ 'bad.yaml': 'mqtt:\n  port: 70000\n', 'typo.yaml': 'mqt:\n  port: 1\n', 'notyaml.yaml': 'a: [1,\n' });
  const expectError = (fn: () => unknown, re: RegExp) => {
    try {
      fn();
      t.fail('expected an error');
    } catch (e) {
      t.ok(isGatewayError(e) && e.code === 'GW_ERR_BAD_CONFIG', 'GW_ERR_BAD_CONFIG');
      t.match((e as Error).message, re);
    }
  };
  expectError(() => loadConfig({ file: join(dir, 'bad.yaml'), env: {} }), /\/mqtt\/port/);
  expectError(() => loadConfig({ file: join(dir, 'typo.yaml'), env: {} }), /\/mqt.*not a known property/);
  expectError(() => loadConfig({ file: join(dir, 'notyaml.yaml'), env: {} }), /not valid YAML/);
  expectError(() => loadConfig({ env: { CITYOPS_HTTP_PORT: 'eighty' } }), /CITYOPS_HTTP_PORT must be a whole number/);
  expectError(() => loadConfig({ env: { CITYOPS_DEMO: 'maybe' } }), /CITYOPS_DEMO must be 0 or 1/);
});

t.test('docs/configuration.md lists every key as the schema has it', async (t) => {
  const doc = readFileSync('docs/configuration.md', 'utf8');
  t.ok(doc.includes(configTableMarkdown()), 'table is current (run: node --import tsx scripts/config-doc.ts)');
  for (const k of configKeys()) t.ok(k.description.length > 0, `${k.key} says why`);
});
