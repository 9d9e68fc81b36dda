/**
 * Water: road waterlogging gauges, river / tide level stations (SL 651) and the water and cover
 * state of manholes. The rainstorm drives all three from one rain curve; the manhole scenario
 * floods one well until the water lifts its cover.
 *
 * Times are compressed for a demo: a storm that would take hours in Songjiang plays out in a
 * 40-minute cycle, so an operator sees each warning grade come and go.
 */
import { Curve } from '../curve.js';
import { battery, clamp, daily, jitter, phase, round, siteConstant, wander, type KindModel, type ModelInput } from './model.js';

export const rainstormTimeline = {
  periodMin: 40,
  /** Rain intensity, mm per minute (2.4 mm/min = 144 mm/h at the burst). */
  rain: new Curve([[0, 0], [1, 0], [4, 0.6], [8, 2.4], [14, 2.2], [18, 0.8], [22, 0.1], [24, 0]]),
  /** Standing water as a fraction of a site's peak depth: it lags the rain and drains slowly. */
  ponding: new Curve([[0, 0], [3, 0], [9, 0.45], [14, 1], [18, 1], [26, 0.35], [34, 0]]),
  /** Peak depth (cm) by site ordinal % 4: site 0 passes 15 / 25 / 40 / 50 cm, site 1 15 / 25. */
  peakDepthCm: [62, 34, 18, 6] as const,
  /** River rise as a fraction of a site's rise; the river answers late and falls slowly. */
  riverRise: new Curve([[0, 0], [5, 0], [20, 1], [28, 1], [40, 0]]),
  /** River stations: site 0 rises past its warning level (警戒水位). */
  river: { baseM: 2.75, warningM: 3.5, riseM: [0.95, 0.4] as const },
  /** Water in manholes rises with the storm; site 0's well fills to the cover. */
  wellRise: new Curve([[0, 0], [4, 0], [15, 1], [20, 1], [32, 0]]),
} as const;

export const manholeTimeline = {
  periodMin: 30,
  /** Water in site 0's well, cm above the floor: it reaches the contact probe, then the cover. */
  water: new Curve([[0, 0], [5, 0], [10, 1], [14, 1], [24, 0]]),
  /** Site 0's cover is lifted and tilted from `openAt` until the crew puts it back at `closeAt`. */
  openAt: 10,
  closeAt: 18,
  tiltDeg: { x: 28.5, y: -9.2 },
  /** The water-contact probe sits just under the cover. */
  probeCm: 180,
} as const;

/** Rain (mm) that fell in the `windowMin` minutes before `minutes`. */
function rainIn(minutes: number, windowMin: number): number {
  const { periodMin, rain } = rainstormTimeline;
  let total = 0;
  for (let a = minutes - windowMin; a < minutes; ) {
    const p = phase(a, periodMin);
    const step = Math.min(minutes - a, periodMin - p);
    total += rain.integral(p, p + step);
    a += step;
  }
  return total;
}

/** Rain (mm) since the scenario started. */
function rainSinceStart(minutes: number): number {
  const { periodMin, rain } = rainstormTimeline;
  const cycles = Math.floor(minutes / periodMin);
  return cycles * rain.integral(0, periodMin) + rain.integral(0, phase(minutes, periodMin));
}

/** A site's share of the town's rain: cells of a storm are not uniform. */
const rainFactor = (m: ModelInput) => siteConstant(m, 'rain-factor', 0.85, 1.15);

export const waterlogging: KindModel = (m) => {
  const { periodMin, ponding, peakDepthCm } = rainstormTimeline;
  let depth = 0;
  if (m.scenario === 'rainstorm') {
    const peak = (peakDepthCm[m.site.ordinal % peakDepthCm.length] as number) * rainFactor(m);
    depth = peak * ponding.at(phase(m.minutes, periodMin));
  }
  // A dry road reads 0: the gauge reports no water rather than sensor noise.
  const reading = depth < 0.5 ? 0 : clamp(depth + jitter(m, 'depth', 0.4), 0, 300);
  return {
    depth_cm: round(reading, 1),
    battery_pct: battery(m, 62, 100),
    water_temp_c: round(siteConstant(m, 'water-temp', 17, 21) + 2 * daily(m, 15) + wander(m, 'water-temp', 0.4, 10), 1),
  };
};

export const waterLevel: KindModel = (m) => {
  const { periodMin, riverRise, river } = rainstormTimeline;
  // Songjiang's rivers are tidal: a semi-diurnal tide of 12 h 25 min rides under everything.
  const tide = 0.12 * Math.sin((m.minutes / 745.2) * 2 * Math.PI + siteConstant(m, 'tide-phase', 0, 0.6));
  let level = river.baseM + 0.1 * (m.site.ordinal % 3) + tide + wander(m, 'level', 0.01, 5) + jitter(m, 'level', 0.003);
  let rain = 0;
  let total = 0;
  if (m.scenario === 'rainstorm') {
    const rise = m.site.ordinal === 0 ? river.riseM[0] : river.riseM[1];
    level += rise * riverRise.at(phase(m.minutes, periodMin));
    rain = rainIn(m.minutes, 5) * rainFactor(m);
    total = rainSinceStart(m.minutes) * rainFactor(m);
  }
  return {
    level_m: round(level, 3),
    rain_mm: round(rain, 1),
    rain_total_mm: round(total % 100000, 1),
    battery_v: round(12.8 + 0.3 * daily(m, 13) + jitter(m, 'vt', 0.03), 2),
  };
};

export const manholeCover: KindModel = (m) => {
  const base = siteConstant(m, 'well-water', 35, 70);
  let water = base;
  let open = false;
  let tiltX = siteConstant(m, 'tilt-x', -0.6, 0.6);
  let tiltY = siteConstant(m, 'tilt-y', -0.6, 0.6);
  if (m.scenario === 'rainstorm') {
    const rise = m.site.ordinal === 0 ? 195 - base : 60;
    water += rise * rainstormTimeline.wellRise.at(phase(m.minutes, rainstormTimeline.periodMin));
  } else if (m.scenario === 'manhole') {
    const t = manholeTimeline;
    const p = phase(m.minutes, t.periodMin);
    const rise = m.site.ordinal === 0 ? 196 - base : m.site.ordinal === 1 ? 150 - base : 0;
    water += rise * t.water.at(p);
    if (m.site.ordinal === 0 && p >= t.openAt && p < t.closeAt) {
      open = true;
      // The cover settles over half a minute as it is pushed up and slides aside.
      const settle = clamp((p - t.openAt) * 2, 0, 1);
      tiltX += t.tiltDeg.x * settle;
      tiltY += t.tiltDeg.y * settle;
    }
  }
  water = Math.round(clamp(water + jitter(m, 'water', 0.8), 0, 500));
  return {
    tilt_x_deg: round(tiltX + jitter(m, 'tilt-x', open ? 0.8 : 0.05), 2),
    tilt_y_deg: round(tiltY + jitter(m, 'tilt-y', open ? 0.8 : 0.05), 2),
    cover_state: open ? 'open' : 'closed',
    water_level_cm: water,
    water_state: water >= manholeTimeline.probeCm ? 'water' : 'dry',
    battery_pct: battery(m, 55, 100),
  };
};
