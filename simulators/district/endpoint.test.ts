/**
 * The link modes over real sockets: down really stops listening (and comes back on the same
 * port), status, slow, a seeded flaky share, refuse.
 */
import t from 'tap';
import type { DistrictSimulator } from './types.js';
import { deliverCase, testSecret, testSimulator } from './test-support.js';

async function outcome(sim: DistrictSimulator, url: string, caseId: string, signal?: AbortSignal): Promise<string> {
  try {
    const r = await deliverCase(url, testSecret, caseId, signal ? { signal } : {});
    return r.json.ok === true ? 'ok' : `${r.status} ${String(r.json.error)}`;
  } catch (e) {
    const cause = (e as Error).cause as { code?: string } | undefined;
    return `error ${cause?.code ?? (e as Error).name}`;
  }
}

/** A link that went down: a pooled connection may see the reset first; a new one is refused. */
async function refused(sim: DistrictSimulator, url: string, caseId: string): Promise<string> {
  const first = await outcome(sim, url, caseId);
  return first === 'error UND_ERR_SOCKET' ? outcome(sim, url, caseId) : first;
}

t.test('down closes the port (connection refused) and up listens again on the same one', async (t) => {
  const sim = await testSimulator(t);
  t.equal(await outcome(sim, sim.primaryUrl, '1'), 'ok', 'a pooled keep-alive connection is open');
  await sim.setMode('primary', { type: 'down' });
  t.same(sim.modes(), { primary: { type: 'down' }, backup: { type: 'up' } });
  t.equal(await refused(sim, sim.primaryUrl, '2'), 'error ECONNREFUSED');
  const health = await fetch(`${sim.primaryUrl}/health`).then(() => 'answered', (e: Error) => (e.cause as { code?: string }).code);
  t.equal(health, 'ECONNREFUSED', 'the health probe fails too');
  t.equal(await outcome(sim, sim.backupUrl, '2'), 'ok', 'the backup link still takes deliveries');

  await sim.setMode('primary', { type: 'up' });
  t.equal(await outcome(sim, sim.primaryUrl, '3'), 'ok', 'the same URL works again');
  t.same(sim.deliveries().map((d) => `${d.caseId}@${d.endpoint}`), ['1@primary', '2@backup', '3@primary']);

  await sim.setMode('both', { type: 'down' });
  t.equal(await refused(sim, sim.backupUrl, '4'), 'error ECONNREFUSED');
  await sim.setMode('both', { type: 'down' });
  await sim.setMode('both', { type: 'up' });
  t.equal(await outcome(sim, sim.backupUrl, '4'), 'ok');
});

t.test('status N answers N to deliveries and probes, and stores nothing', async (t) => {
  const sim = await testSimulator(t);
  await sim.setMode('primary', { type: 'status', status: 503 });
  t.equal(await outcome(sim, sim.primaryUrl, '1'), '503 simulated HTTP 503');
  t.equal((await fetch(`${sim.primaryUrl}/health`)).status, 503);
  t.equal(await outcome(sim, sim.backupUrl, '1'), 'ok');
  t.match(sim.stats(), { received: 2, unique: 1, failedByMode: 2 });
});

t.test('refuse answers 200 with ok: false, to the probe too', async (t) => {
  const sim = await testSimulator(t);
  await sim.setMode('backup', { type: 'refuse' });
  const r = await deliverCase(sim.backupUrl, testSecret, '1');
  t.same(r, { status: 200, json: { ok: false, code: 'simulated_refusal', error: 'the district platform refuses deliveries (simulated)' } });
  const health = await fetch(`${sim.backupUrl}/health`);
  t.equal(health.status, 200);
  t.match(await health.json(), { ok: false });
  t.equal(sim.stats().unique, 0);
});

t.test('slow delays the answer; a client that gives up first is not stored', async (t) => {
  const sim = await testSimulator(t);
  await sim.setMode('primary', { type: 'slow', delayMs: 300 });
  const impatient = new AbortController();
  const gaveUp = outcome(sim, sim.primaryUrl, '1', impatient.signal);
  await sim.waitFor((s) => s.stats().received === 1);
  impatient.abort();
  t.equal(await gaveUp, 'error AbortError');
  // Answered after the first one's delay ran out (same delay, later start).
  t.equal(await outcome(sim, sim.primaryUrl, '2'), 'ok', 'a patient client gets its answer');
  t.same(sim.deliveries().map((d) => d.caseId), ['2']);
  t.equal(sim.stats().received, 2);
  await sim.setMode('primary', { type: 'slow', delayMs: 60_000 });
  const pending = outcome(sim, sim.primaryUrl, '3');
  await sim.waitFor((s) => s.stats().received === 3);
  await sim.setMode('primary', { type: 'down' });
  t.match(await pending, /^error (UND_ERR_SOCKET|ECONNRESET)$/, 'going down drops a request still waiting');
});

t.test('flaky fails a seeded share with 500s and dropped connections, the same way each run', async (t) => {
  const run = async (seed: number) => {
    const sim = await testSimulator(t, { seed });
    await sim.setMode('both', { type: 'flaky', percent: 50 });
    const seen: string[] = [];
    for (let i = 0; i < 40; i++) seen.push(await outcome(sim, sim.primaryUrl, String(i)));
    return { seen, stats: sim.stats(), sim };
  };
  const a = await run(7);
  const b = await run(7);
  t.same(a.seen, b.seen, 'same seed, same choices');
  const kinds = new Set(a.seen.map((s) => s.split(' ')[0]));
  t.same([...kinds].sort(), ['500', 'error', 'ok'], 'successes, 500s and drops');
  t.ok(a.seen.includes('error UND_ERR_SOCKET') || a.seen.includes('error ECONNRESET'), 'a drop resets the connection');
  const failures = a.seen.filter((s) => s !== 'ok').length;
  t.equal(a.stats.failedByMode, failures);
  t.equal(a.stats.unique, 40 - failures);
  t.ok(failures > 8 && failures < 32, `about half fail (${failures} of 40)`);

  await a.sim.setMode('primary', { type: 'flaky', percent: 0 });
  t.equal(await outcome(a.sim, a.sim.primaryUrl, '100'), 'ok');
  await a.sim.setMode('primary', { type: 'flaky', percent: 100 });
  for (let i = 0; i < 5; i++) t.not(await outcome(a.sim, a.sim.primaryUrl, `10${i}`), 'ok');
});
