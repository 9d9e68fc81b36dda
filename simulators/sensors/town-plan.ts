/**
 * The simulated town on paper: which devices, where, in which grid block. Yueyang street
 * (岳阳街道), Songjiang district, Shanghai: the old town centre around lon 121.225, lat 31.03.
 * Pure and deterministic: the same options give the same town, so restarts find the same ids.
 */
import { sensorAdapters } from '../../adapters/index.js';
import type { DeviceKind, SensorAdapter } from '../../adapters/types.js';
import { wgs84ToGcj02 } from '../../gateway/devices/coords.js';
import type { DeviceInput } from '../../gateway/devices/schema.js';
import { uniform } from './prng.js';
import { wireResolutionMs } from './payloads.js';

/** Town code of the block codes: 6-digit county (310117 Songjiang) + 3-digit street. */
export const townCode = '310117006';
/** WGS-84 box the devices are spread over (about 3.8 km × 3.3 km). */
export const townBox = { west: 121.205, east: 121.245, south: 31.015, north: 31.045 } as const;

const roads = ['人民北路', '中山中路', '谷阳北路', '乐都路', '荣乐东路', '西林北路', '松汇中路', '方塔北路', '玉树路', '茸梅路', '长桥街', '庙前街'];
const rivers = ['通波塘', '古浦塘', '沈泾塘', '市河'];

const labels: Partial<Record<DeviceKind, { name: string; owner: string }>> = {
  waterlogging: { name: '道路积水监测', owner: '松江区排水管理所' },
  water_level: { name: '河道水位站', owner: '松江区水务局' },
  smoke: { name: '独立式烟感', owner: '岳阳街道消防安全办' },
  manhole_cover: { name: '智能井盖', owner: '松江区市政道路管理所' },
  gas: { name: '燃气报警器', owner: '松江燃气公司' },
  electrical_fire: { name: '电气火灾探测器', owner: '岳阳街道消防安全办' },
  tilt: { name: '房屋倾斜监测', owner: '岳阳街道房屋安全办' },
};

/** The adapters the town simulates: every built-in sensor adapter that can encode, but the generic one. */
export function simulatedAdapters(): SensorAdapter[] {
  return sensorAdapters.filter((a) => a.kind !== 'generic' && a.encode !== undefined && a.exposes.length > 0);
}

export interface TownPlanOptions {
  /** Devices of each adapter; or give `total` to spread that many over the adapters. */
  devicesPerKind?: number;
  total?: number;
  intervalMs: number;
  seed?: number;
  /** Id prefix, `sim` by default: `sim-waterlogging-0001`. */
  prefix?: string;
}

/** The provisioning body of every device (`POST /api/v1/devices/import`), in a stable order. */
export function planTown(opts: TownPlanOptions): DeviceInput[] {
  const adapters = simulatedAdapters();
  const counts = adapters.map((_, i) => {
    if (opts.total === undefined) return opts.devicesPerKind ?? 3;
    return Math.floor(opts.total / adapters.length) + (i < opts.total % adapters.length ? 1 : 0);
  });
  const seed = (opts.seed ?? 1) >>> 0;
  const prefix = opts.prefix ?? 'sim';
  const out: DeviceInput[] = [];
  adapters.forEach((adapter, a) => {
    const sameKind = adapters.filter((x) => x.kind === adapter.kind).length;
    const stem = sameKind > 1 ? adapter.id : adapter.kind.replace(/_/g, '-');
    const period = Math.max(opts.intervalMs, wireResolutionMs(adapter));
    for (let n = 1; n <= (counts[a] ?? 0); n++) {
      const id = `${prefix}-${stem}-${String(n).padStart(4, '0')}`;
      out.push(deviceInput({ id, adapter, index: out.length, seed, heartbeatMs: Math.max(5000, Math.round(period * 2)) }));
    }
  });
  return out;
}

function deviceInput(d: { id: string; adapter: SensorAdapter; index: number; seed: number; heartbeatMs: number }): DeviceInput {
  const { id, adapter } = d;
  // Halton points spread the devices evenly over the town; the seed shifts the pattern.
  const x = (halton(d.index + 1, 2) + uniform(d.seed, 'town-x')) % 1;
  const y = (halton(d.index + 1, 3) + uniform(d.seed, 'town-y')) % 1;
  const wgs = { lon: townBox.west + x * (townBox.east - townBox.west), lat: townBox.south + y * (townBox.north - townBox.south) };
  // Chinese map data is GCJ-02: a third of the town was surveyed on such a map.
  const gcj = d.index % 3 === 1;
  const p = gcj ? wgs84ToGcj02(wgs) : wgs;
  const road = roads[Math.floor(uniform(d.seed, `${id}/road`) * roads.length)] as string;
  const no = 1 + Math.floor(uniform(d.seed, `${id}/no`) * 399);
  const label = labels[adapter.kind] ?? { name: adapter.model, owner: '岳阳街道城运中心' };
  const address = adapter.kind === 'water_level'
    ? `上海市松江区岳阳街道 ${rivers[d.index % rivers.length] as string}（${road}桥）`
    : `上海市松江区岳阳街道 ${road}${no}号`;
  return {
    id,
    name: `${label.name} ${road} #${id.slice(-4)}`,
    kind: adapter.kind,
    adapter: adapter.id,
    location: { lon: round6(p.lon), lat: round6(p.lat), crs: gcj ? 'gcj02' : 'wgs84', address },
    blockCode: blockCodeAt(x, y),
    ownerUnit: label.owner,
    tags: ['simulated'],
    heartbeatMs: d.heartbeatMs,
    exercise: true,
  };
}

/**
 * Grid blocks follow the map: four grids (quadrants), six communities in each (3 × 2), sixteen
 * blocks in each community (4 × 4), so neighbouring devices share a block code prefix.
 */
export function blockCodeAt(x: number, y: number): string {
  const cell = (v: number, n: number) => Math.min(n - 1, Math.floor(v * n));
  const frac = (v: number, n: number) => v * n - cell(v, n);
  const gx = cell(x, 2);
  const gy = cell(y, 2);
  const [fx, fy] = [frac(x, 2), frac(y, 2)];
  const cx = cell(fx, 3);
  const cy = cell(fy, 2);
  const [bx, by] = [frac(fx, 3), frac(fy, 2)];
  const grid = 1 + gx + 2 * gy;
  const community = 1 + cx + 3 * cy;
  const block = 1 + cell(bx, 4) + 4 * cell(by, 4);
  return `${townCode}-${String(grid).padStart(2, '0')}-${String(community).padStart(3, '0')}-${String(block).padStart(3, '0')}`;
}

function halton(index: number, base: number): number {
  let f = 1;
  let r = 0;
  for (let i = index; i > 0; i = Math.floor(i / base)) {
    f /= base;
    r += f * (i % base);
  }
  return r;
}

const round6 = (v: number) => Math.round(v * 1e6) / 1e6;
