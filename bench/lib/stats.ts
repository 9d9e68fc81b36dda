/** Latency histograms and rates. */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

export interface LatencySummary {
  count: number;
  /** Microseconds. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** PUBACK latency in µs; 1 µs .. 60 s, 3 significant figures. */
export function latencyHistogram(): RecordableHistogram {
  return createHistogram({ lowest: 1, highest: 60_000_000, figures: 3 });
}

export function summarize(h: RecordableHistogram): LatencySummary {
  if (h.count === 0) return { count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
  return { count: h.count, p50: h.percentile(50), p90: h.percentile(90), p99: h.percentile(99), max: h.max, mean: Math.round(h.mean) };
}

export const perSecond = (n: number, seconds: number): number => (seconds > 0 ? n / seconds : 0);

/** Median of a list (0 when empty). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}
