/**
 * The district simulator as a process, for the benchmark and the simulated town:
 *   node --import tsx simulators/district/cli.ts --secret S [--feedback-url URL --feedback-secret F] [--ports p,b,c]
 * Prints one JSON line with its URLs when ready; SIGTERM or SIGINT stops it cleanly.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { ScaledClock, systemClock, type Clock } from '../../gateway/core/clock.js';
import { redactPaths } from '../../gateway/core/log.js';
import { startDistrictSimulator } from './index.js';
import type { FeedbackOptions } from './types.js';

const usage = `Usage: node --import tsx simulators/district/cli.ts --secret SECRET [options]

  --secret S            district.secret: deliveries must be signed with it (required; "" turns checks off)
  --host H              listen address (default 127.0.0.1)
  --ports P,B,C         primary, backup and control ports (default 0,0,0: free ports picked by the system)
  --tolerance-ms MS     allowed distance of X-CityOps-Timestamp from the clock (default 300000)
  --seed N              seed of the flaky mode (default 1)
  --strict              refuse JSON bodies that do not match the documented message schemas
  --no-bodies           keep only what identifies each delivery, not its body (long benchmark runs)
  --speed X             run the clock X times as fast as real time (feedback schedule, signature window)
  --clock-start MS      with --speed: the clock's start, Unix ms (default now)
  --feedback-url URL    the gateway's base URL: send feedback to URL/api/v1/district/feedback
  --feedback-secret S   district.feedbackSecret of the gateway
  --accept-after MS     feedback schedule, each delay after the step before (omitted: step skipped)
  --dispatch-after MS
  --sign-after MS
  --arrive-after MS
  --handle-after MS
  --verify-after MS
  --close-after MS
  --unit ID[:TIER[:NAME]]  the unit named in "dispatched" (default district-unit:1)
`;

class UsageError extends Error {}

function num(name: string, raw: string | undefined, check: (n: number) => boolean = (n) => n >= 0): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} ${raw} is not valid`);
  return n;
}

function ports(raw: string | undefined): { primary: number; backup: number; control: number } | undefined {
  if (raw === undefined) return undefined;
  const parts = raw.split(',').map((p) => num('ports', p, (n) => Number.isInteger(n) && n >= 0 && n < 65536));
  if (parts.length !== 3) throw new UsageError(`--ports ${raw} must be three ports: primary,backup,control`);
  return { primary: parts[0] ?? 0, backup: parts[1] ?? 0, control: parts[2] ?? 0 };
}

function unit(raw: string | undefined): FeedbackOptions['unit'] {
  if (raw === undefined) return undefined;
  const [id, tier, ...name] = raw.split(':');
  const t = tier === undefined || tier === '' ? 1 : Number(tier);
  if (!id || (t !== 1 && t !== 2 && t !== 3)) throw new UsageError(`--unit ${raw} must be ID[:TIER[:NAME]] with tier 1, 2 or 3`);
  return name.length > 0 ? { id, tier: t, name: name.join(':') } : { id, tier: t };
}

async function main(): Promise<number> {
  const { values: o } = parseArgs({
    options: {
      secret: { type: 'string' }, host: { type: 'string' }, ports: { type: 'string' }, 'tolerance-ms': { type: 'string' },
      seed: { type: 'string' }, 'no-bodies': { type: 'boolean' }, strict: { type: 'boolean' }, speed: { type: 'string' }, 'clock-start': { type: 'string' },
      'feedback-url': { type: 'string' }, 'feedback-secret': { type: 'string' },
      'accept-after': { type: 'string' }, 'dispatch-after': { type: 'string' }, 'sign-after': { type: 'string' }, 'arrive-after': { type: 'string' },
      'handle-after': { type: 'string' }, 'verify-after': { type: 'string' }, 'close-after': { type: 'string' }, unit: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (o.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (o.secret === undefined) throw new UsageError('--secret is required (the gateway\'s district.secret)');
  if ((o['feedback-url'] === undefined) !== (o['feedback-secret'] === undefined)) throw new UsageError('--feedback-url and --feedback-secret go together');
  const speed = num('speed', o.speed, (n) => n > 0);
  const clock: Clock = speed !== undefined ? new ScaledClock(speed, num('clock-start', o['clock-start']) ?? Date.now()) : systemClock;
  const delays = {
    acceptAfterMs: num('accept-after', o['accept-after']), dispatchAfterMs: num('dispatch-after', o['dispatch-after']),
    signAfterMs: num('sign-after', o['sign-after']), arriveAfterMs: num('arrive-after', o['arrive-after']),
    handleAfterMs: num('handle-after', o['handle-after']), verifyAfterMs: num('verify-after', o['verify-after']), closeAfterMs: num('close-after', o['close-after']),
  };
  const u = unit(o.unit);
  const feedback: FeedbackOptions | undefined = o['feedback-url'] !== undefined && o['feedback-secret'] !== undefined
    ? { gatewayUrl: o['feedback-url'], secret: o['feedback-secret'], ...Object.fromEntries(Object.entries(delays).filter(([, v]) => v !== undefined)), ...(u ? { unit: u } : {}) }
    : undefined;
  const p = ports(o.ports);
  const tolerance = num('tolerance-ms', o['tolerance-ms']);
  const seed = num('seed', o.seed, Number.isInteger);
  // Logs go to stderr: stdout carries the ready line a parent process reads.
  const logger = pino({ level: process.env.CITYOPS_LOG_LEVEL ?? 'info', redact: { paths: redactPaths, censor: '[redacted]' }, base: { service: 'district-simulator' } }, pino.destination(2));

  const sim = await startDistrictSimulator({
    secret: o.secret, clock, logger, keepBodies: o['no-bodies'] !== true, strict: o.strict === true,
    ...(o.host !== undefined ? { host: o.host } : {}),
    ...(p ? { ports: p } : {}),
    ...(tolerance !== undefined ? { toleranceMs: tolerance } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(feedback ? { feedback } : {}),
  });
  console.log(JSON.stringify({ ready: true, primaryUrl: sim.primaryUrl, backupUrl: sim.backupUrl, controlUrl: sim.controlUrl, pid: process.pid }));

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sim.close();
  logger.info({ stats: sim.stats() }, 'district simulator stopped');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    const err = e as Error;
    console.error(`district simulator: ${err.message}`);
    if (e instanceof UsageError || (err.name === 'TypeError' && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) console.error(`\n${usage}`);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
