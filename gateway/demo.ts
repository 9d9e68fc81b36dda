import type { Logger } from './core/log.js';
import { systemClock, type Clock } from './core/clock.js';
import type { RunningGateway } from './service.js';
import { startTown } from '../simulators/sensors/town.js';
import { seedDemoDuty } from '../simulators/sensors/duty-seed.js';

/**
 * The simulated town that `npm start` runs when nothing is configured: a few devices of every
 * built-in kind, provisioned through the gateway's own API as exercise devices and publishing
 * their adapters' real payloads over MQTT.
 */
export async function startDemoTown(opts: { gateway: RunningGateway; logger: Logger; clock?: Clock }): Promise<{ stop(): Promise<void> }> {
  const { gateway, logger } = opts;
  const clock = opts.clock ?? systemClock;
  const demo = gateway.config.demo;
  const log = logger.child({ component: 'demo' });
  await seedDemoDuty({ httpUrl: gateway.urls.http, adminToken: gateway.adminToken, nowMs: clock.now() }).catch((e: Error) =>
    log.warn({ err: e.message }, 'could not put the simulated duty roster in place: 叫应 calls will find nobody on duty'),
  );
  const town = await startTown({
    httpUrl: gateway.urls.http,
    mqttUrl: gateway.urls.mqtt,
    adminToken: gateway.adminToken,
    devicesPerKind: demo.devicesPerKind,
    intervalMs: demo.intervalMs,
    scenario: demo.scenario,
    logger: log,
    clock,
  });
  log.warn(
    { devices: town.devices, scenario: demo.scenario, speed: demo.speed, readings: `${gateway.urls.http}/api/v1/devices?tag=simulated` },
    'DEMO: a simulated town is running (every device and reading it makes is marked as an exercise). Turn it off with CITYOPS_DEMO=0 or any configuration (a cityops.yaml or CITYOPS_* variable).',
  );
  return town;
}
