import t from 'tap';
import { Value } from 'typebox/value';
import { DeviceInput } from '../../gateway/devices/schema.js';
import { parseBlockCode } from '../../gateway/devices/block-code.js';
import { toWgs84 } from '../../gateway/devices/coords.js';
import { Curve } from './curve.js';
import { blockCodeAt, planTown, simulatedAdapters, townBox } from './town-plan.js';

t.test('a town of 500 devices, spread over every simulated adapter', async (t) => {
  const plan = planTown({ total: 500, intervalMs: 2000 });
  const adapters = simulatedAdapters();
  t.equal(plan.length, 500);
  const counts = adapters.map((a) => plan.filter((d) => d.adapter === a.id).length);
  t.ok(Math.max(...counts) - Math.min(...counts) <= 1, `even spread (${counts.join(', ')})`);
  t.equal(new Set(plan.map((d) => d.id)).size, 500, 'unique ids');
  t.ok(plan.some((d) => d.id === 'sim-waterlogging-0001') && plan.some((d) => d.id === 'sim-water-level-0072'), 'ids like sim-waterlogging-0001');
  t.same(plan.flatMap((d) => (Value.Check(DeviceInput, structuredClone(d)) ? [] : [d.id])), [], 'every row is a valid provisioning body');
  t.ok(plan.every((d) => d.exercise && d.tags.includes('simulated')), 'all exercise devices, tagged simulated');
  for (const d of plan) {
    const code = parseBlockCode(d.blockCode, { requireLevel: 'block' });
    if (!code.ok || !code.code.startsWith('310117006')) t.fail(`${d.id}: block code ${d.blockCode}`);
    const p = toWgs84(d.location, d.location.crs);
    if (p.lon < townBox.west - 1e-5 || p.lon > townBox.east + 1e-5 || p.lat < townBox.south - 1e-5 || p.lat > townBox.north + 1e-5) t.fail(`${d.id} lies outside the town`);
  }
  const gcj = plan.filter((d) => d.location.crs === 'gcj02').length;
  t.ok(gcj > 100 && gcj < 250, `some locations in GCJ-02 (${gcj})`);
  const blocks = new Set(plan.map((d) => d.blockCode)).size;
  t.ok(blocks > 100, `spread over many blocks (${blocks})`);
  const station = plan.find((d) => d.kind === 'water_level');
  t.ok((station?.heartbeatMs ?? 0) >= 120_000, 'an SL 651 station (one report a minute) gets a heartbeat to match');
  t.same(planTown({ total: 500, intervalMs: 2000 }), plan, 'deterministic: a restart plans the same town');
  t.equal(planTown({ devicesPerKind: 2, intervalMs: 2000, prefix: 'drill' })[0]?.id.startsWith('drill-'), true, 'prefix');
});

t.test('block codes follow the map', async (t) => {
  t.equal(blockCodeAt(0, 0), '310117006-01-001-001', 'south-west corner');
  t.equal(blockCodeAt(0.999, 0.999), '310117006-04-006-016', 'north-east corner');
  t.equal(blockCodeAt(0.1, 0.1).slice(0, 16), blockCodeAt(0.11, 0.11).slice(0, 16), 'near neighbours share a community');
});

t.test('curves ease between their points and integrate exactly', async (t) => {
  const c = new Curve([[0, 0], [10, 2], [20, 2], [30, 0]]);
  t.equal(c.at(-5), 0);
  t.equal(c.at(5), 1, 'half way is half the rise');
  t.equal(c.at(15), 2);
  t.equal(c.at(99), 0);
  let numeric = 0;
  for (let x = 0; x < 30; x += 0.001) numeric += c.at(x + 0.0005) * 0.001;
  t.ok(Math.abs(c.integral(0, 30) - 40) < 1e-9, 'area of the shape');
  t.ok(Math.abs(c.integral(3, 27) - (numeric - c.integral(0, 3) - c.integral(27, 30))) < 1e-3, 'partial segments match a numeric integral');
  t.throws(() => new Curve([[1, 0], [1, 1]]), RangeError);
});
