import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../core/log.js';
import { isGatewayError } from '../core/errors.js';
import { runStart } from './start.js';
import { runMigrate } from './migrate.js';
import { runRulesCli } from '../../rules/cli/main.js';

const usage = `cityops — CityOps Gateway

Usage:
  cityops start [--config FILE] [--demo-if-unconfigured]   run the gateway
  cityops migrate [--config FILE]                          apply database migrations and exit
  cityops rules check|test|backtest …                      check and test rule sets offline
                                                           (cityops rules help)
  cityops help

Configuration: a YAML file (--config, CITYOPS_CONFIG or ./cityops.yaml) plus environment
overrides (CITYOPS_HTTP_PORT, CITYOPS_MQTT_PORT, CITYOPS_DATA_DIR, DATABASE_URL, CITYOPS_DEMO,
CITYOPS_ADMIN_TOKEN). See docs/configuration.md.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // Rule tools run offline with their own options: no configuration, no logger.
  if (command === 'rules') return runRulesCli(rest);
  const { values } = parseArgs({
    args: rest,
    options: { config: { type: 'string' }, 'demo-if-unconfigured': { type: 'boolean', default: false } },
    allowPositionals: false,
  });
  if (!command || command === 'help' || command === '--help') {
    console.log(usage);
    return 0;
  }
  const loaded = loadConfig(values.config !== undefined ? { file: values.config } : {});
  const config = loaded.config;
  const pretty = config.log.pretty || (process.stdout.isTTY && !process.env.CI);
  const logger = createLogger({ level: config.log.level, pretty });
  switch (command) {
    case 'start':
      return runStart({ loaded, logger, demoIfUnconfigured: values['demo-if-unconfigured'] === true });
    case 'migrate':
      return runMigrate({ config, logger });
    default:
      console.error(`unknown command "${command}"\n\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== -1) process.exitCode = code;
  },
  (e: unknown) => {
    if (isGatewayError(e)) console.error(`${e.code}: ${e.message}${e.details?.length ? `\n${e.details.map((d) => `  ${d.field ?? ''}: ${d.message}`).join('\n')}` : ''}`);
    else console.error(e);
    process.exitCode = 1;
  },
);
