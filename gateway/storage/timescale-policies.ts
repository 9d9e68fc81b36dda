import type { Queryable } from './db.js';
import type { Clock, ClockTimer } from '../core/clock.js';
import type { Logger } from '../core/log.js';

/**
 * TimescaleDB settings that come from the configuration (database.chunkInterval,
 * compressAfter, retainFor). Applied at every start, so a changed value takes effect: a policy
 * whose interval differs is removed and added again, an unchanged one is left alone. An empty
 * string turns that policy off. Each feature is applied on its own: one that fails (an older
 * TimescaleDB, a build without it) is logged and the others still apply.
 */
export interface TimescaleSettings {
  chunkInterval: string;
  compressAfter: string;
  retainFor: string;
}

export interface PolicyOutcome {
  feature: 'chunk_interval' | 'compression' | 'retention';
  status: 'unchanged' | 'applied' | 'removed' | 'failed';
  error?: string;
}

interface PolicyKind {
  feature: 'compression' | 'retention';
  proc: string;
  configKey: string;
  add: string;
  remove: string;
}

const compression: PolicyKind = {
  feature: 'compression',
  proc: 'policy_compression',
  configKey: 'compress_after',
  add: `SELECT add_compression_policy('readings', compress_after => $1::interval)`,
  remove: `SELECT remove_compression_policy('readings', if_exists => true)`,
};
const retention: PolicyKind = {
  feature: 'retention',
  proc: 'policy_retention',
  configKey: 'drop_after',
  add: `SELECT add_retention_policy('readings', drop_after => $1::interval)`,
  remove: `SELECT remove_retention_policy('readings', if_exists => true)`,
};

export async function applyTimescalePolicies(db: Queryable, s: TimescaleSettings, logger: Logger): Promise<PolicyOutcome[]> {
  const out: PolicyOutcome[] = [];
  try {
    // Affects chunks created from now on; existing chunks keep their size.
    await db.query(`SELECT set_chunk_time_interval('readings', $1::interval)`, [s.chunkInterval]);
    out.push({ feature: 'chunk_interval', status: 'applied' });
  } catch (e) {
    out.push({ feature: 'chunk_interval', status: 'failed', error: (e as Error).message });
  }
  out.push(await ensurePolicy(db, compression, s.compressAfter));
  out.push(await ensurePolicy(db, retention, s.retainFor));
  for (const o of out) {
    if (o.status === 'failed') logger.error({ feature: o.feature, err: o.error }, `TimescaleDB ${o.feature} could not be applied; continuing without it`);
    else if (o.status !== 'unchanged') logger.info({ feature: o.feature, status: o.status }, 'TimescaleDB policy');
  }
  return out;
}

async function ensurePolicy(db: Queryable, kind: PolicyKind, value: string): Promise<PolicyOutcome> {
  const feature = kind.feature;
  try {
    const current = await db.query<{ same: boolean | null }>(
      `SELECT (config->>$2)::interval = nullif($3, '')::interval AS same FROM timescaledb_information.jobs WHERE proc_name = $1 AND hypertable_name = 'readings'`,
      [kind.proc, kind.configKey, value],
    );
    const exists = current.rows.length > 0;
    if (value.trim() === '') {
      if (!exists) return { feature, status: 'unchanged' };
      await db.query(kind.remove);
      return { feature, status: 'removed' };
    }
    if (exists && current.rows.every((r) => r.same === true)) return { feature, status: 'unchanged' };
    if (exists) await db.query(kind.remove);
    await db.query(kind.add, [value]);
    return { feature, status: 'applied' };
  } catch (e) {
    return { feature, status: 'failed', error: (e as Error).message };
  }
}

export interface JobRunner {
  /** Runs every job whose schedule interval has passed since we last ran it. */
  runDue(): Promise<void>;
  stop(): void;
}

/**
 * Embedded PGlite has no background workers, so TimescaleDB's scheduler never runs there: this
 * runs the jobs (compression, retention, continuous-aggregate refresh) with `CALL run_job` on
 * their own schedule intervals. Against a real TimescaleDB server it is not needed.
 */
export function startJobRunner(opts: { db: Queryable; logger: Logger; clock: Clock; tickMs?: number }): JobRunner {
  const { db, logger, clock } = opts;
  const tickMs = opts.tickMs ?? 60_000;
  const lastRun = new Map<number, number>();
  let timer: ClockTimer | undefined;
  let stopped = false;

  async function runDue(): Promise<void> {
    const jobs = await db.query<{ job_id: number; proc_name: string; every_ms: number }>(
      `SELECT job_id, proc_name, (extract(epoch FROM schedule_interval) * 1000)::float8 AS every_ms FROM timescaledb_information.jobs WHERE scheduled ORDER BY job_id`,
    );
    for (const job of jobs.rows) {
      if (stopped) return;
      const last = lastRun.get(job.job_id);
      if (last !== undefined && clock.now() - last < job.every_ms) continue;
      lastRun.set(job.job_id, clock.now());
      const started = clock.now();
      try {
        // job_id is an integer from the catalog; CALL takes no bind parameters here.
        await db.query(`CALL run_job(${Math.trunc(job.job_id)})`);
        logger.debug({ job: job.job_id, proc: job.proc_name, ms: clock.now() - started }, 'TimescaleDB job ran');
      } catch (e) {
        logger.warn({ job: job.job_id, proc: job.proc_name, err: (e as Error).message }, 'TimescaleDB job failed');
      }
    }
  }

  const schedule = () => {
    if (stopped) return;
    timer = clock.setTimeout(() => {
      runDue()
        .catch((e: Error) => logger.warn({ err: e.message }, 'TimescaleDB job runner failed'))
        .finally(schedule);
    }, tickMs);
    timer.unref?.();
  };
  schedule();
  return {
    runDue,
    stop() {
      stopped = true;
      if (timer) clock.clearTimeout(timer);
    },
  };
}
