/**
 * Scenarios: what the simulated town's sensors report, as a pure function of (seed, site,
 * elapsed time). `calm` is a normal day; the others replay an incident in a repeating cycle at
 * site 0 of the kinds it concerns (and a neighbour), while every other device stays calm:
 *
 * - `rainstorm`: rain builds to a 144 mm/h burst; road waterlogging passes 15 / 25 / 40 / 50 cm
 *   at site 0 (15 / 25 at site 1) and drains away; the river rises past its warning level;
 *   manholes fill; rain totals accumulate at the SL 651 stations. 40-minute cycle.
 * - `fire`: an electrical line overheats, then smoke and heat build at smoke alarm 0, which goes
 *   into alarm; its neighbour follows 2.5 minutes later. 30-minute cycle.
 * - `manhole`: water rises in well 0 past the contact probe, lifts the cover open and tilts it
 *   until the crew puts it back. 30-minute cycle.
 * - `gas-leak`: CH4 at kitchen 0 climbs past 25 and 50 %LEL; the linked valve shuts and the gas
 *   disperses. 30-minute cycle.
 *
 * Electrical fire monitors have occasional leakage episodes (300–480 mA) in every scenario.
 */
import type { DeviceKind, SensorAdapter } from '../../adapters/types.js';
import { GatewayError } from '../../gateway/core/errors.js';
import { scenarioNames, type KindModel, type ScenarioName, type Site, type Values } from './models/model.js';
import { manholeCover, waterLevel, waterlogging } from './models/water.js';
import { electricalFire, gas, smoke, tilt } from './models/safety.js';

export { scenarioNames, type ScenarioName, type Site, type Values } from './models/model.js';
export { manholeTimeline, rainstormTimeline } from './models/water.js';
export { fireTimeline, gasTimeline } from './models/safety.js';

const models: Partial<Record<DeviceKind, KindModel>> = {
  waterlogging,
  water_level: waterLevel,
  manhole_cover: manholeCover,
  smoke,
  gas,
  electrical_fire: electricalFire,
  tilt,
};

export interface Scenario {
  readonly name: ScenarioName;
  readonly seed: number;
  /** Values by metric name for `site`, `elapsedMs` after the scenario started. */
  valuesAt(site: Site, elapsedMs: number): Values;
}

export function isScenarioName(name: string): name is ScenarioName {
  return (scenarioNames as readonly string[]).includes(name);
}

/** Checks a name from a command line or a configuration; the error lists the known ones. */
export function parseScenarioName(name: string): ScenarioName {
  if (isScenarioName(name)) return name;
  throw new GatewayError('GW_ERR_VALIDATION', `unknown scenario "${name}"; known: ${scenarioNames.join(', ')}`, [{ field: 'scenario', message: 'unknown scenario' }]);
}

export function createScenario(name: ScenarioName | string, opts: { seed: number }): Scenario {
  const scenario = parseScenarioName(name);
  const seed = opts.seed >>> 0;
  return {
    name: scenario,
    seed,
    valuesAt(site, elapsedMs) {
      const model = models[site.kind];
      return model ? model({ site, scenario, seed, minutes: Math.max(0, elapsedMs) / 60_000 }) : {};
    },
  };
}

/** Numbers each device among those of its kind, in the order given: the first is site 0. */
export function assignSites(devices: ReadonlyArray<{ id: string; kind: DeviceKind }>): Site[] {
  const seen = new Map<DeviceKind, number>();
  return devices.map((d) => {
    const ordinal = seen.get(d.kind) ?? 0;
    seen.set(d.kind, ordinal + 1);
    return { id: d.id, kind: d.kind, ordinal };
  });
}

/**
 * The scenario's values restricted to what `adapter` exposes; a metric the kind's model does
 * not produce (another vendor's extra channel) gets a quiet value: the middle of its range, or
 * its first state.
 */
export function valuesForAdapter(adapter: Pick<SensorAdapter, 'exposes'>, scenario: Scenario, site: Site, elapsedMs: number): Values {
  const produced = scenario.valuesAt(site, elapsedMs);
  const out: Values = {};
  for (const spec of adapter.exposes) {
    const v = produced[spec.name];
    if (v !== undefined) out[spec.name] = v;
    else if (spec.type === 'numeric') out[spec.name] = spec.min <= 0 && spec.max >= 0 ? 0 : (spec.min + spec.max) / 2;
    else if (spec.states[0] !== undefined) out[spec.name] = spec.states[0];
  }
  return out;
}
