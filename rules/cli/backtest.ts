import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../../gateway/config/load.js';
import { systemClock } from '../../gateway/core/clock.js';
import { allDevices } from '../../gateway/devices/repo.js';
import { openStorage } from '../../gateway/storage/open.js';
import { RuleStore } from '../../gateway/rules/store.js';
import { runBacktest } from '../../gateway/rules/backtest.js';
import type { DeviceContext, VersionedRule } from '../engine/types.js';
import { formatProblem, loadRules } from '../load.js';
import { processIo, type CliIo } from './io.js';

export const backtestUsage = `cityops rules backtest <ruleId|file|dir> --from ISO --to ISO [--version N] [--devices a,b] [--blocks prefix,…] [--no-compare] [--config FILE]
  Replays stored readings through the engine: the rule's latest (or --version) stored version,
  or the rules in a file; compared with the active versions of the same rules. Progress on
  stderr; the summary and then the JSON result on stdout.`;

/** `cityops rules backtest`: opens the configured storage (as `cityops migrate` does) and runs the backtest here. */
export async function runBacktestCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      version: { type: 'string' },
      devices: { type: 'string' },
      blocks: { type: 'string' },
      'no-compare': { type: 'boolean', default: false },
      config: { type: 'string' },
    },
    allowPositionals: true,
  });
  const target = positionals[0];
  const fromMs = Date.parse(values.from ?? '');
  const toMs = Date.parse(values.to ?? '');
  if (!target || positionals.length > 1 || !Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs <= fromMs) {
    io.err(`${!target ? 'name a rule id or a rule file' : 'give --from and --to as ISO times, --to after --from'}\n\n${backtestUsage}`);
    return 2;
  }
  const config = loadConfig(values.config !== undefined ? { file: values.config } : {}).config;
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const db = await openStorage({ config, logger });
  try {
    const store = new RuleStore({ db, clock: systemClock, validation: { notifiers: config.notifiers.map((n) => n.name) } });
    let rules: VersionedRule[];
    if (existsSync(target)) {
      const loaded = loadRules(target);
      if (!loaded.ok) {
        for (const p of loaded.errors) io.err(formatProblem(p));
        return 1;
      }
      rules = loaded.rules.map((rule) => ({ rule, version: 0 }));
    } else {
      const v = values.version !== undefined ? await store.getVersion(target, Number(values.version)) : await store.latest(target);
      if (!v) {
        io.err(`rule "${target}" is neither a file nor a stored rule`);
        return 1;
      }
      rules = [{ rule: v.rule, version: v.version }];
    }
    const ids = new Set(rules.map((r) => r.rule.id));
    const active = values['no-compare'] ? [] : (await store.activeRules()).filter((r) => ids.has(r.rule.id));
    const compare = active.length > 0 ? active : undefined;
    const devices: DeviceContext[] = (await allDevices(db)).map(({ device: d }) => ({ id: d.id, kind: d.kind, blockCode: d.blockCode.replace(/-/g, ''), tags: d.tags, exercise: d.exercise }));
    const list = (s: string | undefined) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined);
    const deviceIds = list(values.devices);
    const blocks = list(values.blocks);
    const result = await runBacktest({
      db,
      devices,
      rules,
      ...(compare ? { compare } : {}),
      fromMs,
      toMs,
      ...(deviceIds ? { deviceIds } : {}),
      ...(blocks ? { blocks } : {}),
      onProgress: (p) => io.err(`backtest: ${p.readings} readings${p.estimatedTotal !== null ? ` of ~${p.estimatedTotal}` : ''}, through ${new Date(p.throughMs).toISOString()}`),
    });
    io.out(result.summary);
    io.out(JSON.stringify(result, null, 2));
    return 0;
  } finally {
    await db.close();
  }
}
