import { mkdir, readFile, stat, writeFile, chmod } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import { newSecret } from './secrets.js';

export const adminTokenFile = 'admin-token';
const bootstrapPrefix = 'coa_';

/**
 * The bootstrap admin token: `auth.adminToken` (CITYOPS_ADMIN_TOKEN) when set; otherwise the
 * one in `{dataDir}/admin-token`, generated with mode 0600 on first start. The log says where
 * the file is, never the token. The service calls this once and passes the result to buildApp.
 */
export async function ensureAdminToken(opts: { config: Pick<Config, 'dataDir' | 'auth'>; logger: Logger }): Promise<string> {
  const { config, logger } = opts;
  if (config.auth.adminToken !== '') {
    logger.info('bootstrap admin token taken from the configuration (auth.adminToken / CITYOPS_ADMIN_TOKEN)');
    if (config.auth.adminToken.length < 16) logger.warn('the configured bootstrap admin token is short; use at least 16 random characters');
    return config.auth.adminToken;
  }
  const dir = resolve(config.dataDir);
  const file = join(dir, adminTokenFile);
  await mkdir(dir, { recursive: true });
  try {
    // `wx` fails if the file exists, so two gateways starting at once cannot overwrite each other's token.
    await writeFile(file, newSecret(bootstrapPrefix) + '\n', { mode: 0o600, flag: 'wx' });
    logger.warn({ file }, 'generated a bootstrap admin token; read it from this file (readable by this user only)');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const mode = (await stat(file)).mode & 0o777;
    if (mode & 0o077) {
      await chmod(file, 0o600);
      logger.warn({ file, mode: mode.toString(8) }, 'bootstrap admin token file was readable by others; reset its mode to 0600');
    }
    logger.info({ file }, 'bootstrap admin token read from file');
  }
  const token = (await readFile(file, 'utf8')).trim();
  if (token.length < 16) throw new Error(`${file} holds no usable token (fewer than 16 characters); delete it to have a new one generated`);
  return token;
}
