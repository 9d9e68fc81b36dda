/** Command-line flags of `npm run bench:ingest`. */
import { parseArgs } from 'node:util';
import type { Engine } from './protocol.js';

export const targetNames = ['cityops', 'embedded', 'aedes', 'mosquitto'] as const;
export type TargetName = (typeof targetNames)[number];

export interface BenchOptions {
  connections: number;
  window: number;
  warmupS: number;
  durationS: number;
  embeddedWarmupS: number;
  embeddedDurationS: number;
  targets: TargetName[];
  engine: Engine;
  /** Unique payloads per connection; enough for `maxRate` msgs/s over the longest run. */
  poolPerConnection: number;
  maxRate: number;
  /** Gateway config overrides by dotted path (`--set ingest.batchMaxRows=10000`), both CityOps targets. */
  overrides: Record<string, unknown>;
  cpuProf: boolean;
  outDir: string;
  /** Extra node flags for the gateway processes (e.g. --max-semi-space-size=64). */
  gatewayNodeArgs: string[];
  /** mosquitto's max_inflight_messages towards the subscriber. */
  mosquittoInflight: number;
}

export const usage = `npm run bench:ingest -- [flags]
  --connections N         publisher connections (default 32), one device each
  --window N              QoS 1 messages in flight per connection (default 32)
  --warmup S              warm-up seconds before the measured window (default 5)
  --duration S            measured seconds (default 20)
  --embedded-warmup S     warm-up of the embedded-database target (default 3)
  --embedded-duration S   measured seconds of the embedded-database target (default 10)
  --targets LIST          comma list of cityops,embedded,aedes,mosquitto (default all)
  --engine raw|mqttjs     load generator client (default raw: hand-written packets)
  --max-rate N            msgs/s the unique-payload pools must last for (default 60000)
  --set key=value         gateway config override, repeatable (e.g. ingest.batchMaxRows=10000)
  --mosquitto-inflight N  mosquitto max_inflight_messages (default 100; 0 = unlimited)
  --node-arg FLAG         node flag for the gateway processes, repeatable (default: --max-semi-space-size=64, as npm start)
  --cpu-prof              write a V8 CPU profile of each gateway process and print its top functions
  --out DIR               where results go (default bench/results)`;

function positive(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${v}`);
  return n;
}

/** `a.b=3` → { 'a.b': 3 } (loadConfig takes dotted paths); numbers and booleans are typed. */
export function parseOverrides(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--set wants key=value, got ${pair}`);
    const raw = pair.slice(eq + 1);
    out[pair.slice(0, eq)] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return out;
}

export function parseFlags(argv: readonly string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      connections: { type: 'string' },
      window: { type: 'string' },
      warmup: { type: 'string' },
      duration: { type: 'string' },
      'embedded-warmup': { type: 'string' },
      'embedded-duration': { type: 'string' },
      targets: { type: 'string' },
      engine: { type: 'string' },
      'max-rate': { type: 'string' },
      set: { type: 'string', multiple: true },
      'cpu-prof': { type: 'boolean' },
      'mosquitto-inflight': { type: 'string' },
      'node-arg': { type: 'string', multiple: true },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const targets = (values.targets ?? targetNames.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  for (const t of targets) if (!(targetNames as readonly string[]).includes(t)) throw new Error(`unknown target ${t}; known: ${targetNames.join(', ')}`);
  const engine = values.engine ?? 'raw';
  if (engine !== 'raw' && engine !== 'mqttjs') throw new Error(`--engine must be raw or mqttjs, got ${engine}`);
  const o = {
    connections: Math.round(positive('connections', values.connections, 32)),
    window: Math.round(positive('window', values.window, 32)),
    warmupS: positive('warmup', values.warmup, 5),
    durationS: positive('duration', values.duration, 20),
    embeddedWarmupS: positive('embedded-warmup', values['embedded-warmup'], 3),
    embeddedDurationS: positive('embedded-duration', values['embedded-duration'], 10),
    maxRate: positive('max-rate', values['max-rate'], 60_000),
  };
  if (o.window > 1000) throw new Error('--window above 1000 is not a realistic device');
  const longest = Math.max(o.warmupS + o.durationS, o.embeddedWarmupS + o.embeddedDurationS);
  return {
    ...o,
    targets: targets as TargetName[],
    engine,
    poolPerConnection: Math.max(o.window * 4, Math.ceil((o.maxRate * longest) / o.connections)),
    overrides: parseOverrides(values.set ?? []),
    cpuProf: values['cpu-prof'] ?? false,
    // The flags `npm start` and the Docker image run the gateway with (package.json, Dockerfile).
    gatewayNodeArgs: values['node-arg'] ?? ['--max-semi-space-size=64'],
    outDir: values.out ?? 'bench/results',
    mosquittoInflight: values['mosquitto-inflight'] === undefined ? 100 : Math.max(0, Math.round(Number(values['mosquitto-inflight']) || 0)),
  };
}
