import { backtestUsage, runBacktestCli } from './backtest.js';
import { checkUsage, runCheckCli } from './check.js';
import { processIo, type CliIo } from './io.js';
import { runTestCli, testUsage } from './test.js';

const usage = `Usage: cityops rules <command>

  check <file|dir> [--config FILE]        validate rules offline (exit 1 on errors)
  test <rules> --fixtures <dir|file>      run fixtures through the engine, print diffs
  backtest <ruleId|file|dir> --from --to  replay stored readings against rules
  help                                    this, and each command's options

docs/rules.md has the rule model and the fixture format.`;

/** `cityops rules …`: dispatched from gateway/cli/main.ts before any configuration is loaded. */
export async function runRulesCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'check':
        return runCheckCli(rest, io);
      case 'test':
        return runTestCli(rest, io);
      case 'backtest':
        return await runBacktestCli(rest, io);
      case 'help':
      case '--help':
      case '-h':
        io.out([usage, checkUsage, testUsage, backtestUsage].join('\n\n'));
        return 0;
      case undefined:
        io.err(usage);
        return 2;
      default:
        io.err(`unknown rules command "${command}"\n\n${usage}`);
        return 2;
    }
  } catch (e) {
    // parseArgs refuses unknown options with a TypeError that names the option.
    if (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS')) {
      io.err(`${e.message}\n(cityops rules help lists the options)`);
      return 2;
    }
    throw e;
  }
}
