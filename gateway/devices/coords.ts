/**
 * Coordinate systems common in Chinese data. GCJ-02 ("Mars coordinates", used by AMap,
 * Tencent and most domestic map data) and BD-09 (Baidu) are offset from WGS-84 by hundreds of
 * metres; the gateway stores WGS-84 only and converts on input.
 *
 * GCJ-02 is a published-by-reverse-engineering forward transform (WGS-84 → GCJ-02) on the
 * Krasovsky 1940 ellipsoid; its inverse has no closed form, so `gcj02ToWgs84` iterates the
 * forward transform until the error is below 1e-9 degrees (~0.1 mm).
 */
export type CoordSystem = 'wgs84' | 'gcj02' | 'bd09';
export const coordSystems: readonly CoordSystem[] = ['wgs84', 'gcj02', 'bd09'];

export interface LonLat {
  lon: number;
  lat: number;
}

const A = 6378245.0; // Krasovsky 1940 semi-major axis
const EE = 0.006693421622965943; // its first eccentricity squared
const X_PI = (Math.PI * 3000.0) / 180.0;

/** GCJ-02 applies only inside mainland China's rough bounding box; outside it equals WGS-84. */
export function outsideChina({ lon, lat }: LonLat): boolean {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function transformLat(x: number, y: number): number {
  let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
  r += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
  return r;
}

function transformLon(x: number, y: number): number {
  let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
  r += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
  return r;
}

export function wgs84ToGcj02(p: LonLat): LonLat {
  if (outsideChina(p)) return { ...p };
  const dLat0 = transformLat(p.lon - 105.0, p.lat - 35.0);
  const dLon0 = transformLon(p.lon - 105.0, p.lat - 35.0);
  const radLat = (p.lat / 180.0) * Math.PI;
  const magic = 1 - EE * Math.sin(radLat) * Math.sin(radLat);
  const sqrtMagic = Math.sqrt(magic);
  const dLat = (dLat0 * 180.0) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
  const dLon = (dLon0 * 180.0) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return { lon: p.lon + dLon, lat: p.lat + dLat };
}

/** Inverts a near-identity transform by fixed-point iteration: finds w with forward(w) = p. */
function invert(forward: (q: LonLat) => LonLat, p: LonLat, start: LonLat): LonLat {
  let w = start;
  for (let i = 0; i < 30; i++) {
    const f = forward(w);
    const dLon = f.lon - p.lon;
    const dLat = f.lat - p.lat;
    w = { lon: w.lon - dLon, lat: w.lat - dLat };
    if (Math.abs(dLon) < 1e-10 && Math.abs(dLat) < 1e-10) break;
  }
  return w;
}

export function gcj02ToWgs84(p: LonLat): LonLat {
  if (outsideChina(p)) return { ...p };
  return invert(wgs84ToGcj02, p, p);
}

export function gcj02ToBd09({ lon, lat }: LonLat): LonLat {
  const z = Math.sqrt(lon * lon + lat * lat) + 0.00002 * Math.sin(lat * X_PI);
  const theta = Math.atan2(lat, lon) + 0.000003 * Math.cos(lon * X_PI);
  return { lon: z * Math.cos(theta) + 0.0065, lat: z * Math.sin(theta) + 0.006 };
}

/** BD-09 → GCJ-02: Baidu's published approximate inverse, refined by iteration to ~1e-10°. */
export function bd09ToGcj02(p: LonLat): LonLat {
  return invert(gcj02ToBd09, p, bd09ToGcj02Approx(p));
}

function bd09ToGcj02Approx({ lon, lat }: LonLat): LonLat {
  const x = lon - 0.0065;
  const y = lat - 0.006;
  const z = Math.sqrt(x * x + y * y) - 0.00002 * Math.sin(y * X_PI);
  const theta = Math.atan2(y, x) - 0.000003 * Math.cos(x * X_PI);
  return { lon: z * Math.cos(theta), lat: z * Math.sin(theta) };
}

/** Converts a point given in `from` to WGS-84. */
export function toWgs84(p: LonLat, from: CoordSystem): LonLat {
  switch (from) {
    case 'wgs84':
      return { ...p };
    case 'gcj02':
      return gcj02ToWgs84(p);
    case 'bd09':
      return gcj02ToWgs84(bd09ToGcj02(p));
  }
}

/** Great-circle distance in metres (haversine on a 6,371 km sphere). */
export function distanceMetres(a: LonLat, b: LonLat): number {
  const R = 6371008.8;
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(h));
}
