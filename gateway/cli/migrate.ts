import type { Config } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import { openStorage } from '../storage/open.js';

/** `cityops migrate`: opening the storage applies migrations and TimescaleDB policies. */
export async function runMigrate(opts: { config: Config; logger: Logger }): Promise<number> {
  const db = await openStorage({ config: opts.config, logger: opts.logger });
  opts.logger.info({ mode: db.mode, driver: db.driver }, 'database is up to date');
  await db.close();
  return 0;
}
