/**
 * Scenario curves, checked on scenario time (no waiting): the rainstorm's depths cross the
 * warning grades in order and recede, gas crosses 25 and 50 %LEL, the fire spreads to the
 * neighbour, the manhole opens; and every payload the fleet would send, for every scenario,
 * adapter and site, decodes and validates against the adapter's declared ranges.
 */
import t from 'tap';
import { decodeAndValidate } from '../../adapters/validate.js';
import type { DeviceKind } from '../../adapters/types.js';
import { assignSites, createScenario, fireTimeline, gasTimeline, manholeTimeline, rainstormTimeline, scenarioNames, type Site, type Values } from './scenarios.js';
import { buildPayload, payloadSource } from './payloads.js';
import { simulatedAdapters } from './town-plan.js';

const site = (kind: DeviceKind, ordinal: number): Site => ({ id: `sim-${kind.replace(/_/g, '-')}-${String(ordinal + 1).padStart(4, '0')}`, kind, ordinal });

/** Samples one metric every `stepS` seconds over [fromMin, toMin). */
function series(name: string, s: Site, metric: string, fromMin: number, toMin: number, stepS = 1): Array<{ min: number; v: number | string }> {
  const sc = createScenario(name, { seed: 11 });
  const out: Array<{ min: number; v: number | string }> = [];
  for (let sec = fromMin * 60; sec < toMin * 60; sec += stepS) out.push({ min: sec / 60, v: (sc.valuesAt(s, sec * 1000) as Values)[metric] as number | string });
  return out;
}

const firstAt = (xs: Array<{ min: number; v: number | string }>, pred: (v: number | string) => boolean) => xs.find((x) => pred(x.v))?.min ?? Infinity;
const max = (xs: Array<{ v: number | string }>) => Math.max(...xs.map((x) => x.v as number));

t.test('rainstorm: waterlogging at site 0 passes 15, 25, 40 and 50 cm in order, then recedes', async (t) => {
  const { periodMin } = rainstormTimeline;
  const depth = series('rainstorm', site('waterlogging', 0), 'depth_cm', 0, periodMin);
  const at = [15, 25, 40, 50].map((level) => firstAt(depth, (v) => (v as number) >= level));
  t.ok(at.every(Number.isFinite), `crosses every grade (minutes ${at.map((m) => m.toFixed(1)).join(', ')})`);
  t.same([...at].sort((a, b) => a - b), at, 'in rising order');
  t.ok((at[3] as number) - (at[0] as number) >= 3, 'over minutes, not at once');
  const peakAt = depth.reduce((best, x) => ((x.v as number) > (best.v as number) ? x : best)).min;
  const after = depth.filter((x) => x.min > peakAt);
  t.ok(firstAt(after, (v) => (v as number) < 15) < periodMin, 'falls back below 15 cm');
  t.equal(depth[depth.length - 1]?.v, 0, 'the road is dry again at the end of the cycle');
  t.equal(depth[0]?.v, 0, 'and dry before the rain');

  const second = series('rainstorm', site('waterlogging', 1), 'depth_cm', 0, periodMin);
  t.ok(max(second) >= 25 && max(second) < 40, `site 1 reaches 25 cm, not 40 (${max(second)})`);
  t.ok(max(series('rainstorm', site('waterlogging', 3), 'depth_cm', 0, periodMin, 10)) < 15, 'site 3 stays below 15 cm');
  t.ok(series('calm', site('waterlogging', 0), 'depth_cm', 0, 120, 30).every((x) => x.v === 0), 'calm: no standing water');
  const next = series('rainstorm', site('waterlogging', 0), 'depth_cm', periodMin, 2 * periodMin, 10);
  t.ok(max(next) >= 50, 'the storm comes back in the next cycle');
});

t.test('rainstorm: the river rises toward and past its warning level at site 0; rain accumulates', async (t) => {
  const { periodMin, river } = rainstormTimeline;
  const level = series('rainstorm', site('water_level', 0), 'level_m', 0, periodMin, 10);
  t.ok((level[0]?.v as number) < river.warningM - 0.3, `starts well below the warning level (${level[0]?.v} m)`);
  t.ok(max(level) >= river.warningM, `reaches the warning level ${river.warningM} m (${max(level)} m)`);
  t.ok(max(series('rainstorm', site('water_level', 1), 'level_m', 0, periodMin, 10)) < river.warningM, 'another station rises, below its warning level');
  const total = series('rainstorm', site('water_level', 0), 'rain_total_mm', 0, 2 * periodMin, 10).map((x) => x.v as number);
  t.ok(total.every((v, i) => i === 0 || v >= (total[i - 1] as number)), 'accumulated rain never decreases');
  t.ok((total[total.length - 1] as number) > 40, `two storms bring real rain (${total[total.length - 1]} mm)`);
  const rain = series('rainstorm', site('water_level', 0), 'rain_mm', 0, periodMin, 10);
  t.ok(max(rain) > 5 && rain.every((x) => (x.v as number) >= 0), `current rain peaks at ${max(rain)} mm per 5 minutes`);
  t.ok(series('calm', site('water_level', 0), 'rain_total_mm', 0, 60, 60).every((x) => x.v === 0), 'calm: no rain');
});

t.test('gas-leak: CH4 at site 0 climbs past 25 then 50 %LEL, the valve shuts, the gas disperses', async (t) => {
  const s0 = site('gas', 0);
  const ch4 = series('gas-leak', s0, 'ch4_lel_pct', 0, gasTimeline.periodMin);
  const valve = series('gas-leak', s0, 'valve_state', 0, gasTimeline.periodMin);
  const at25 = firstAt(ch4, (v) => (v as number) >= 25);
  const at50 = firstAt(ch4, (v) => (v as number) >= 50);
  t.ok(Number.isFinite(at25) && at50 > at25 + 1, `25 %LEL at ${at25.toFixed(1)} min, 50 %LEL at ${at50.toFixed(1)} min`);
  const shut = firstAt(valve, (v) => v === 'closed');
  t.ok(Math.abs(shut - at50) < 0.1, 'the valve shuts when 50 %LEL is reached');
  t.ok(firstAt(ch4.filter((x) => x.min > at50), (v) => (v as number) < 5) < gasTimeline.periodMin, 'the gas disperses');
  t.equal(valve[valve.length - 1]?.v, 'open', 'the valve is reset by the end of the cycle');
  t.ok(max(series('gas-leak', site('gas', 1), 'ch4_lel_pct', 1, 30, 5)) < 25, 'the neighbour smells it, below 25 %LEL');
  t.ok(max(series('calm', s0, 'ch4_lel_pct', 1, 120, 5)) < 5, 'calm: background only');
  t.equal(series('gas-leak', s0, 'sensor_state', 0, 0.1)[0]?.v, 'warming_up', 'detectors warm up after power-on');
});

t.test('fire: smoke alarm 0 goes into alarm with rising obscuration and heat; the neighbour follows', async (t) => {
  const { periodMin, alarmAtPctM } = fireTimeline;
  const alarm0 = firstAt(series('fire', site('smoke', 0), 'alarm_state', 0, periodMin), (v) => v === 'alarm');
  const alarm1 = firstAt(series('fire', site('smoke', 1), 'alarm_state', 0, periodMin), (v) => v === 'alarm');
  t.ok(Number.isFinite(alarm0) && alarm1 > alarm0 + 1, `site 0 at ${alarm0.toFixed(1)} min, neighbour at ${alarm1.toFixed(1)} min`);
  const obsc = series('fire', site('smoke', 0), 'obscuration_pct_m', 0, periodMin, 10);
  t.ok(max(obsc) > 3 * alarmAtPctM, `obscuration rises to ${max(obsc)} %/m`);
  t.ok(max(series('fire', site('smoke', 0), 'temperature_c', 0, periodMin, 10)) > 50, 'temperature rises');
  t.ok(series('fire', site('smoke', 2), 'alarm_state', 0, periodMin, 10).every((x) => x.v === 'normal'), 'other detectors stay normal');
  const line = series('fire', site('electrical_fire', 0), 'event_state', 0, periodMin, 5);
  t.ok(firstAt(line, (v) => v === 'over_temperature') < alarm0, 'an overheating line came before the smoke');
});

t.test('manhole: water rises under cover 0, lifts it open and tilted, the crew closes it', async (t) => {
  const s0 = site('manhole_cover', 0);
  const { periodMin, openAt, closeAt } = manholeTimeline;
  const water = firstAt(series('manhole', s0, 'water_state', 0, periodMin, 5), (v) => v === 'water');
  const open = series('manhole', s0, 'cover_state', 0, periodMin, 5);
  t.ok(water < openAt, `water under the cover at ${water} min, before it opens`);
  t.equal(firstAt(open, (v) => v === 'open'), openAt, 'opens');
  t.equal(firstAt(open.filter((x) => x.min > openAt), (v) => v === 'closed'), closeAt, 'closed again');
  t.ok(max(series('manhole', s0, 'tilt_x_deg', openAt + 1, closeAt, 5)) > 10, 'tilted past 10° while open');
  t.ok(series('calm', s0, 'tilt_x_deg', 0, 60, 30).every((x) => Math.abs(x.v as number) < 2), 'calm: lying flat');
});

t.test('electrical fire monitors have occasional leakage episodes in every scenario', async (t) => {
  const sc = createScenario('calm', { seed: 3 });
  let leaking = 0;
  let samples = 0;
  const sites = [0, 1, 2, 3, 4].map((o) => site('electrical_fire', o));
  for (let sec = 0; sec < 24 * 3600; sec += 15) {
    for (const s of sites) {
      const v = sc.valuesAt(s, sec * 1000);
      samples++;
      if (v.event_state === 'leakage') {
        leaking++;
        if ((v.residual_current_ma as number) < 300) t.fail(`leakage reported at ${String(v.residual_current_ma)} mA`);
      } else if ((v.residual_current_ma as number) >= 300) t.fail(`${String(v.residual_current_ma)} mA without a leakage event`);
    }
  }
  t.ok(leaking > 0, `leakage in ${leaking} of ${samples} samples`);
  t.ok(leaking / samples < 0.05, 'but rarely');
});

t.test('scenarios are deterministic by seed', async (t) => {
  const s = site('tilt', 0);
  t.same(createScenario('calm', { seed: 5 }).valuesAt(s, 123_456), createScenario('calm', { seed: 5 }).valuesAt(s, 123_456), 'same seed, same values');
  t.not(JSON.stringify(createScenario('calm', { seed: 5 }).valuesAt(s, 123_456)), JSON.stringify(createScenario('calm', { seed: 6 }).valuesAt(s, 123_456)), 'another seed, other values');
  t.throws(() => createScenario('hurricane', { seed: 1 }), { code: 'GW_ERR_VALIDATION', message: /known: calm, rainstorm, fire, manhole, gas-leak/ });
});

t.test('every payload of every scenario, adapter and site decodes and lies inside the adapter’s ranges', async (t) => {
  const adapters = simulatedAdapters();
  t.ok(adapters.length >= 7, 'the built-in sensor adapters, without generic');
  const devices = adapters.flatMap((a) => [0, 1, 2, 3].map((o) => ({ id: site(a.kind, o).id, kind: a.kind, adapter: a.id })));
  const sites = assignSites(devices);
  const base = Date.UTC(2024, 4, 29, 4, 0, 0);
  let checked = 0;
  for (const name of scenarioNames) {
    const scenario = createScenario(name, { seed: 99 });
    devices.forEach((d, i) => {
      const src = payloadSource(d, (sites[i] as Site).ordinal);
      const exposed = src.adapter.exposes.map((m) => m.name).sort();
      for (let sec = 0; sec < 45 * 60; sec += 15) {
        const time = base + sec * 1000 + 137;
        const bytes = buildPayload(src, scenario, { elapsedMs: sec * 1000, time, seq: sec / 15 });
        const res = decodeAndValidate(src.adapter, bytes, { deviceId: d.id, topic: `cityops/v1/devices/${d.id}/up`, receivedAt: time });
        checked++;
        if (!res.ok) {
          t.fail(`${name} ${d.id} at ${sec} s: ${res.error.code} ${res.error.message}`);
          return;
        }
        const metrics = [...new Set(res.readings.map((r) => r.metric))].sort();
        if (JSON.stringify(metrics) !== JSON.stringify(exposed)) {
          t.fail(`${name} ${d.id}: sends ${metrics.join(',')}, adapter exposes ${exposed.join(',')}`);
          return;
        }
        const r0 = res.readings[0];
        if (r0?.time !== undefined && (r0.time > time || time - r0.time >= 60_000)) t.fail(`${d.id}: device time ${r0.time} is not the report time ${time}`);
      }
    });
  }
  t.ok(checked > 10_000, `${checked} payloads decoded and validated`);
});
