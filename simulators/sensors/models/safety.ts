/**
 * Fire and gas safety, and structures: smoke alarms, CH4 detectors with shut-off valves,
 * electrical fire monitors and structural tilt sensors.
 */
import { Curve } from '../curve.js';
import { uniform } from '../prng.js';
import { battery, clamp, daily, jitter, phase, round, siteConstant, wander, type KindModel } from './model.js';

export const fireTimeline = {
  periodMin: 30,
  /** Smoke obscuration added at the fire's site, %/m. */
  smoke: new Curve([[0, 0], [2, 0], [4, 1.5], [7, 9], [11, 14], [15, 14], [19, 2], [22, 0]]),
  /** Temperature rise at the fire's site, °C. */
  heat: new Curve([[0, 0], [3, 0], [8, 18], [12, 34], [16, 34], [22, 8], [26, 0]]),
  /** The neighbour's detector sees the same smoke later and thinner. */
  neighbour: { delayMin: 2.5, share: 0.6 },
  /** The detector's own alarm threshold (photoelectric chamber), %/m. */
  alarmAtPctM: 3,
  /** The overheating line in the electrical fire monitor at the same site, °C added to line 2. */
  lineHeat: new Curve([[0, 0], [0.5, 0], [3, 40], [5, 58], [12, 58], [16, 0]]),
  /** The monitor's over-temperature threshold, °C. */
  overTempC: 80,
} as const;

export const gasTimeline = {
  periodMin: 30,
  /** %LEL at the leaking kitchen: past 25 (level 1) and 50 (level 2, GB/T 50493-2019). */
  leak: new Curve([[0, 0], [2, 0], [6, 20], [9, 45], [11, 64], [14, 52], [20, 12], [24, 0]]),
  /** The neighbouring detector's share of it. */
  neighbourShare: 0.14,
  /** The linked valve shuts at this %LEL and stays shut until reset at `resetAt` minutes. */
  shutAtPct: 50,
  resetAt: 27,
  /** Detectors warm up after power-on before they measure. */
  warmUpMin: 0.5,
} as const;

/** Minute of the cycle when the leak first reaches the valve's shut-off level. */
const valveShutAt = firstAtLeast(gasTimeline.leak, gasTimeline.shutAtPct);

function firstAtLeast(curve: Curve, level: number): number {
  for (let t = curve.start; t <= curve.end; t += 1 / 600) if (curve.at(t) >= level) return t;
  return Infinity;
}

export const smoke: KindModel = (m) => {
  const t = fireTimeline;
  let obscuration = Math.abs(siteConstant(m, 'chamber', 0.05, 0.2) + wander(m, 'chamber', 0.06, 3));
  let temp = siteConstant(m, 'room', 22, 26) + 1.5 * daily(m, 15) + wander(m, 'room', 0.3, 8);
  if (m.scenario === 'fire' && m.site.ordinal <= 1) {
    const p = phase(m.minutes, t.periodMin) - (m.site.ordinal === 1 ? t.neighbour.delayMin : 0);
    const share = m.site.ordinal === 1 ? t.neighbour.share : 1;
    obscuration += share * t.smoke.at(p);
    temp += share * t.heat.at(p);
  }
  // States follow the value as reported, so a reader never sees 3.00 %/m without an alarm.
  obscuration = round(clamp(obscuration + jitter(m, 'obscuration', 0.02), 0, 100), 2);
  const batteryPct = battery(m, 70, 100);
  // One detector in ten is on its last battery, as in any real town.
  const weak = m.site.ordinal % 10 === 9;
  const state = obscuration >= t.alarmAtPctM ? 'alarm' : weak ? 'low_battery' : 'normal';
  return {
    alarm_state: state,
    obscuration_pct_m: obscuration,
    temperature_c: round(clamp(temp + jitter(m, 'temp', 0.1), -20, 80), 1),
    battery_pct: weak ? Math.min(batteryPct, 12) : batteryPct,
  };
};

export const gas: KindModel = (m) => {
  const t = gasTimeline;
  if (m.minutes < t.warmUpMin) return { ch4_lel_pct: 0, valve_state: 'open', sensor_state: 'warming_up' };
  let ch4 = Math.abs(wander(m, 'ch4', 1.2, 4));
  let valve = 'open';
  if (m.scenario === 'gas-leak' && m.site.ordinal <= 1) {
    const p = phase(m.minutes, t.periodMin);
    ch4 += (m.site.ordinal === 0 ? 1 : t.neighbourShare) * t.leak.at(p);
    if (m.site.ordinal === 0 && p >= valveShutAt && p < t.resetAt) valve = 'closed';
  }
  return {
    ch4_lel_pct: round(clamp(ch4 + jitter(m, 'ch4', 0.2), 0, 100), 1),
    valve_state: valve,
    sensor_state: 'normal',
  };
};

/** Leakage episodes: in each 10-minute window a monitor has a 12 % chance of one, 90 s long. */
const leakWindowMin = 10;
const leakEpisodeMin = 1.5;

export const electricalFire: KindModel = (m) => {
  const base = siteConstant(m, 'residual', 15, 90);
  let residual = base + wander(m, 'residual', 6, 2);
  const window = Math.floor(m.minutes / leakWindowMin);
  const key = `${m.site.id}/leak`;
  if (uniform(m.seed, key, window) < 0.12) {
    const start = window * leakWindowMin + 1 + uniform(m.seed, `${key}-at`, window) * (leakWindowMin - 2 - leakEpisodeMin);
    const into = m.minutes - start;
    if (into >= 0 && into < leakEpisodeMin) {
      const peak = 320 + uniform(m.seed, `${key}-peak`, window) * 160;
      residual += (peak - base) * Math.sin((into / leakEpisodeMin) * Math.PI) ** 0.3;
    }
  }
  // Load follows the day: lines are warmest in the evening.
  const load = 5 * daily(m, 19);
  const fireHeat = m.scenario === 'fire' && m.site.ordinal === 0 ? fireTimeline.lineHeat.at(phase(m.minutes, fireTimeline.periodMin)) : 0;
  const temps = [1, 2, 3, 4].map((line) => {
    const v = siteConstant(m, `line-${line}`, 26, 34) - (line === 4 ? 3 : 0) + load + wander(m, `line-${line}`, 0.6, 6) + (line === 2 ? fireHeat : 0);
    return round(clamp(v, -40, 200), 1);
  });
  residual = Math.round(clamp(residual + jitter(m, 'residual', 2), 0, 3000));
  const hottest = Math.max(...temps);
  const event = residual >= 300 ? 'leakage' : hottest >= fireTimeline.overTempC ? 'over_temperature' : 'normal';
  return {
    residual_current_ma: residual,
    line_temp_1_c: temps[0] as number,
    line_temp_2_c: temps[1] as number,
    line_temp_3_c: temps[2] as number,
    line_temp_4_c: temps[3] as number,
    event_state: event,
  };
};

export const tilt: KindModel = (m) => {
  // A structure leans a little, breathes with the day's heat, and the sensor adds its noise.
  const thermal = 0.03 * daily(m, 14);
  return {
    angle_x_deg: round(siteConstant(m, 'lean-x', -0.8, 0.8) + thermal + wander(m, 'x', 0.02, 15) + jitter(m, 'x', 0.005), 3),
    angle_y_deg: round(siteConstant(m, 'lean-y', -0.8, 0.8) + wander(m, 'y', 0.02, 15) + jitter(m, 'y', 0.005), 3),
    angle_z_deg: round(90 - siteConstant(m, 'lean-z', 0.02, 0.2) + jitter(m, 'z', 0.005), 3),
  };
};
