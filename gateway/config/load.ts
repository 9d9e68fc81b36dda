import { readFileSync, existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigSchema, type Config } from './schema.js';
import { validate } from '../core/schema.js';
import { GatewayError } from '../core/errors.js';

/** Environment overrides: variable → config path. docs/configuration.md documents each. */
export const envOverrides: ReadonlyArray<{ env: string; path: string; type: 'int' | 'bool' | 'string' }> = [
  { env: 'CITYOPS_HTTP_HOST', path: 'http.host', type: 'string' },
  { env: 'CITYOPS_HTTP_PORT', path: 'http.port', type: 'int' },
  { env: 'CITYOPS_PUBLIC_URL', path: 'http.publicUrl', type: 'string' },
  { env: 'CITYOPS_MQTT_HOST', path: 'mqtt.host', type: 'string' },
  { env: 'CITYOPS_MQTT_PORT', path: 'mqtt.port', type: 'int' },
  { env: 'CITYOPS_DATA_DIR', path: 'dataDir', type: 'string' },
  { env: 'DATABASE_URL', path: 'database.url', type: 'string' },
  { env: 'CITYOPS_DEMO', path: 'demo.enabled', type: 'bool' },
  { env: 'CITYOPS_DEMO_SPEED', path: 'demo.speed', type: 'int' },
  { env: 'CITYOPS_ADMIN_TOKEN', path: 'auth.adminToken', type: 'string' },
  { env: 'CITYOPS_LOG_LEVEL', path: 'log.level', type: 'string' },
  { env: 'CITYOPS_DISTRICT_PRIMARY_URL', path: 'district.primaryUrl', type: 'string' },
  { env: 'CITYOPS_DISTRICT_BACKUP_URL', path: 'district.backupUrl', type: 'string' },
  { env: 'CITYOPS_DISTRICT_SECRET', path: 'district.secret', type: 'string' },
  { env: 'CITYOPS_DISTRICT_FEEDBACK_SECRET', path: 'district.feedbackSecret', type: 'string' },
];

export interface LoadOptions {
  /** YAML file; when absent, CITYOPS_CONFIG, then ./cityops.yaml if it exists. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Values that win over file and environment (tests, CLI flags). */
  overrides?: Record<string, unknown>;
}

export interface LoadedConfig {
  config: Config;
  /** The file read, if any. */
  file: string | undefined;
  /** True when neither a file nor any override variable was given (npm start turns the demo on then). */
  unconfigured: boolean;
}

export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.CITYOPS_CONFIG ?? (existsSync('cityops.yaml') ? 'cityops.yaml' : undefined);
  let raw: unknown = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new GatewayError('GW_ERR_BAD_CONFIG', `cannot read configuration file ${file}: ${(e as Error).message}`);
    }
    try {
      raw = parseYaml(text) ?? {};
    } catch (e) {
      throw new GatewayError('GW_ERR_BAD_CONFIG', `configuration file ${file} is not valid YAML: ${(e as Error).message}`);
    }
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      throw new GatewayError('GW_ERR_BAD_CONFIG', `configuration file ${file} must hold a mapping of keys at the top level`);
    }
  }
  let usedEnv = false;
  for (const o of envOverrides) {
    const v = env[o.env];
    if (v === undefined || v === '') continue;
    usedEnv = true;
    setPath(raw as Record<string, unknown>, o.path, coerce(o.env, v, o.type));
  }
  for (const [path, v] of Object.entries(opts.overrides ?? {})) setPath(raw as Record<string, unknown>, path, v);
  const config = validate(ConfigSchema, raw, { what: file ? `configuration (${file} + environment)` : 'configuration (environment)', code: 'GW_ERR_BAD_CONFIG' });
  return { config, file, unconfigured: !file && !usedEnv };
}

function coerce(name: string, value: string, type: 'int' | 'bool' | 'string'): unknown {
  if (type === 'string') return value;
  if (type === 'bool') {
    if (/^(1|true|yes|on)$/i.test(value)) return true;
    if (/^(0|false|no|off)$/i.test(value)) return false;
    throw new GatewayError('GW_ERR_BAD_CONFIG', `${name} must be 0 or 1 (got "${value}")`);
  }
  if (!/^\d+$/.test(value)) throw new GatewayError('GW_ERR_BAD_CONFIG', `${name} must be a whole number (got "${value}")`);
  return Number(value);
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] as string] = value;
}
