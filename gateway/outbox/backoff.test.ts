import t from 'tap';
import { backoffDelay, parseRetryAfter } from './backoff.js';

const policy = { baseMs: 1000, maxMs: 60_000 };

t.test('exponential with full jitter, capped', async (t) => {
  t.same([1, 2, 3, 4].map((n) => backoffDelay(policy, n, () => 0.999999)), [1000, 2000, 4000, 8000], 'the cap doubles per attempt');
  t.equal(backoffDelay(policy, 20, () => 0.999999), 60_000, 'never above backoffMaxMs');
  t.equal(backoffDelay(policy, 1000, () => 0.999999), 60_000, 'no overflow for large attempt counts');
  t.equal(backoffDelay(policy, 3, () => 0), 0, 'full jitter starts at 0');
  t.equal(backoffDelay(policy, 3, () => 0.5), 2000);
  for (let i = 0; i < 100; i++) {
    const d = backoffDelay(policy, 5);
    t.ok(d >= 0 && d <= 16_000, 'within [0, cap]');
  }
});

t.test('Retry-After: seconds or an HTTP date', async (t) => {
  const now = Date.UTC(2026, 0, 1, 8);
  t.equal(parseRetryAfter('120', now), 120_000);
  t.equal(parseRetryAfter(new Date(now + 30_000).toUTCString(), now), 30_000);
  t.equal(parseRetryAfter(new Date(now - 30_000).toUTCString(), now), 0, 'a date in the past: now');
  t.equal(parseRetryAfter('soon', now), undefined);
  t.equal(parseRetryAfter(undefined, now), undefined);
  t.equal(parseRetryAfter(null, now), undefined);
});
