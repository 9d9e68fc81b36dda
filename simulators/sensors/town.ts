/**
 * The simulated town: provision its devices through the gateway's API, then run them as a
 * fleet over MQTT. `npm start`'s demo (gateway/demo.ts) and `npm run simulate` both use it.
 */
import type { Logger } from '../../gateway/core/log.js';
import type { Clock } from '../../gateway/core/clock.js';
import { startFleet, type Fleet, type FleetStats } from './fleet.js';
import { provisionTown } from './provision.js';
import { parseScenarioName } from './scenarios.js';

export interface TownOptions {
  httpUrl: string;
  mqttUrl: string;
  adminToken: string;
  /** Devices of each built-in sensor adapter; or give `totalDevices` to spread over them. */
  devicesPerKind?: number;
  totalDevices?: number;
  intervalMs: number;
  scenario: string;
  logger: Logger;
  seed?: number;
  qos?: 0 | 1;
  scenarioOffsetMs?: number;
  prefix?: string;
  /** The fleet's time (a ScaledClock plays a scenario faster); default the system clock. */
  clock?: Clock;
}

export interface Town {
  devices: number;
  fleet: Fleet;
  stats(): FleetStats;
  stop(): Promise<void>;
}

export async function startTown(opts: TownOptions): Promise<Town> {
  // A wrong scenario name fails before anything is created.
  const scenario = parseScenarioName(opts.scenario);
  const seed = opts.seed ?? 20240529;
  const devices = await provisionTown({
    httpUrl: opts.httpUrl,
    token: opts.adminToken,
    intervalMs: opts.intervalMs,
    seed,
    logger: opts.logger,
    ...(opts.totalDevices !== undefined ? { total: opts.totalDevices } : { devicesPerKind: opts.devicesPerKind ?? 3 }),
    ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}),
  });
  const fleet = await startFleet({
    mqttUrl: opts.mqttUrl,
    devices,
    scenario,
    intervalMs: opts.intervalMs,
    seed,
    logger: opts.logger,
    ...(opts.qos !== undefined ? { qos: opts.qos } : {}),
    ...(opts.scenarioOffsetMs !== undefined ? { scenarioOffsetMs: opts.scenarioOffsetMs } : {}),
    ...(opts.clock !== undefined ? { clock: opts.clock } : {}),
  });
  return { devices: devices.length, fleet, stats: () => fleet.stats(), stop: () => fleet.stop() };
}
