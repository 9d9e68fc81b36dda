/**
 * CPU time and memory of the processes under test, from /proc (Linux): so the report can
 * show who was busy (the target, the generator, PostgreSQL) and that the generator had room.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticks: number | undefined;
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** Fields of /proc/PID/stat after the `(comm)` field, which may hold spaces. */
function statFields(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds used so far by one process (0 if it is gone). */
export function cpuSeconds(pid: number): number {
  const f = statFields(pid);
  // utime and stime are fields 14 and 15 of stat(5): 11 and 12 after comm.
  return f ? (Number(f[11]) + Number(f[12])) / clockTicks() : 0;
}

/** CPU seconds the whole machine has been busy (all cores, everything but idle and iowait). */
export function machineBusySeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    // cpu user nice system idle iowait irq softirq steal ...
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
    return busy / clockTicks();
  } catch {
    return 0;
  }
}

/** A process and its direct children (PostgreSQL's postmaster and backends). */
export function processTree(root: number): number[] {
  const pids = [root];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const f = statFields(pid);
    if (f && Number(f[1]) === root) pids.push(pid);
  }
  return pids;
}

export function treeCpuSeconds(root: number): number {
  return processTree(root).reduce((s, pid) => s + cpuSeconds(pid), 0);
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Resident set now, MiB. */
export const rssMiB = (pid: number): number => statusKb(pid, 'VmRSS') / 1024;
/** Peak resident set since the process started (VmHWM), MiB. */
export const peakRssMiB = (pid: number): number => statusKb(pid, 'VmHWM') / 1024;

/** CPU use between two points, as a share of one core (1.0 = one core busy the whole time). */
export class CpuMeter {
  private readonly start: number;
  private readonly t0 = performance.now();
  constructor(private readonly read: () => number) {
    this.start = read();
  }
  cores(): number {
    const seconds = (performance.now() - this.t0) / 1000;
    return seconds > 0 ? (this.read() - this.start) / seconds : 0;
  }
}
