import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../core/log.js';
import { startGateway } from '../service.js';
import { ScaledClock, systemClock } from '../core/clock.js';

/**
 * `cityops start`. With --demo-if-unconfigured (what `npm start` passes) and no configuration
 * at all, the simulated town runs too, so a first `npm start` shows readings arriving.
 * Returns -1: the process keeps running until SIGINT/SIGTERM.
 */
export async function runStart(opts: { loaded: LoadedConfig; logger: Logger; demoIfUnconfigured: boolean }): Promise<number> {
  const { loaded, logger } = opts;
  let config = opts.demoIfUnconfigured && loaded.unconfigured ? { ...loaded.config, demo: { ...loaded.config.demo, enabled: true } } : loaded.config;
  // A demo may run faster than real time (demo.speed): gateway and town share one scaled clock.
  const clock = config.demo.enabled && config.demo.speed > 1 ? new ScaledClock(config.demo.speed) : systemClock;
  // Loaded only when wanted: a production image needs none of the simulator code.
  const district = config.demo.enabled ? await (await import('../demo-district.js')).startDemoDistrict(config, clock, logger) : undefined;
  if (district) config = district.config;
  const gw = await startGateway({ config, logger, clock });
  district?.connect(gw.urls.http);
  const demo = config.demo.enabled ? await (await import('../demo.js')).startDemoTown({ gateway: gw, logger, clock }) : undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    await demo?.stop();
    await gw.close();
    await district?.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  return -1;
}
