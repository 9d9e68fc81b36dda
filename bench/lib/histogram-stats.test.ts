import t from 'tap';
import { histogramStats } from '../rules-latency.js';

t.test('reads count, mean and the p99 bucket of one label from the Prometheus text form', async (t) => {
  const text = [
    '# HELP cityops_rules_flush_seconds x',
    'cityops_rules_flush_seconds_bucket{le="0.005",kind="urgent"} 90',
    'cityops_rules_flush_seconds_bucket{le="0.01",kind="urgent"} 98',
    'cityops_rules_flush_seconds_bucket{le="0.02",kind="urgent"} 100',
    'cityops_rules_flush_seconds_bucket{le="+Inf",kind="urgent"} 100',
    'cityops_rules_flush_seconds_sum{kind="urgent"} 0.5',
    'cityops_rules_flush_seconds_count{kind="urgent"} 100',
    'cityops_rules_flush_seconds_bucket{le="0.005",kind="full"} 1',
    'cityops_rules_flush_seconds_count{kind="full"} 1',
  ].join('\n');
  t.same(histogramStats(text, 'cityops_rules_flush_seconds', 'kind="urgent"'), { count: 100, meanMs: 5, p99BucketMs: 20 });
  t.same(histogramStats('', 'cityops_rules_flush_seconds', 'kind="urgent"'), { count: 0, meanMs: 0, p99BucketMs: Infinity }, 'nothing scraped');
});
