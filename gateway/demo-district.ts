import { randomBytes } from 'node:crypto';
import type { Config } from './config/schema.js';
import type { Clock } from './core/clock.js';
import type { Logger } from './core/log.js';
import { startDistrictSimulator } from '../simulators/district/index.js';
import type { DistrictSimulator } from '../simulators/district/types.js';
import { demoUnit } from '../simulators/sensors/duty-seed.js';

const minute = 60_000;

/**
 * The simulated district platform of the demo: started before the gateway (whose configuration
 * then points at its two links, with fresh keys), told the gateway's address once it runs, and
 * answering every case on a schedule that meets the seeds' deadlines: accepted after a minute,
 * dispatched to the demo drainage unit, signed 3 minutes later, on site after 12 more, handled,
 * verified and closed. Only when no district is configured.
 */
export async function startDemoDistrict(config: Config, clock: Clock, logger: Logger): Promise<{ config: Config; connect(gatewayUrl: string): void; stop(): Promise<void> } | undefined> {
  if (config.district.primaryUrl !== '') return undefined;
  const secret = randomBytes(24).toString('base64url');
  const feedbackSecret = randomBytes(24).toString('base64url');
  const sim: DistrictSimulator = await startDistrictSimulator({ secret, host: '127.0.0.1', clock, logger, keepBodies: true });
  const log = logger.child({ component: 'demo' });
  log.warn({ primary: sim.primaryUrl, backup: sim.backupUrl, control: sim.controlUrl }, 'DEMO: a simulated district platform receives cases and warnings and answers with feedback');
  return {
    config: { ...config, district: { ...config.district, primaryUrl: sim.primaryUrl, backupUrl: sim.backupUrl, secret, feedbackSecret } },
    connect(gatewayUrl) {
      sim.setFeedback({
        gatewayUrl, secret: feedbackSecret, unit: { ...demoUnit },
        acceptAfterMs: minute, dispatchAfterMs: 2 * minute, signAfterMs: 3 * minute, arriveAfterMs: 12 * minute,
        handleAfterMs: 20 * minute, verifyAfterMs: 5 * minute, closeAfterMs: 5 * minute,
      });
    },
    stop: () => sim.close(),
  };
}
