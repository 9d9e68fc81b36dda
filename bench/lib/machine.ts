/** What the benchmark ran on, for the report: results mean little without it. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { postgresBinDir } from '../../test/helpers/postgres.js';
import { mosquittoVersion } from './mosquitto.js';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  ramGiB: number;
  kernel: string;
  node: string;
  postgres: string | null;
  mosquitto: string | null;
  /** 1/5/15-minute load averages when the run started: other work on the machine skews results. */
  loadAverageAtStart: number[];
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) return m[1].trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown';
}

function postgresVersion(): string | null {
  try {
    const out = execFileSync(join(postgresBinDir(), 'postgres'), ['--version'], { encoding: 'utf8' });
    return /(\d+(\.\d+)*)/.exec(out)?.[1] ?? out.trim();
  } catch {
    return null;
  }
}

export function machineInfo(): MachineInfo {
  return {
    cpuModel: cpuModel(),
    cores: cpus().length,
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    postgres: postgresVersion(),
    mosquitto: mosquittoVersion() ?? null,
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
