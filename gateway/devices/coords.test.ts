import t from 'tap';
import { toWgs84, wgs84ToGcj02, gcj02ToBd09, gcj02ToWgs84, distanceMetres, outsideChina } from './coords.js';

// Reference point: Tiananmen, WGS-84 (116.391275, 39.906217). The GCJ-02 and BD-09 values
// below are what AMap and Baidu's public converters give for it (to 1e-6).
const wgs = { lon: 116.391275, lat: 39.906217 };

t.test('GCJ-02 forward offset is hundreds of metres in Beijing', async (t) => {
  const g = wgs84ToGcj02(wgs);
  const d = distanceMetres(wgs, g);
  t.ok(d > 100 && d < 1000, `offset ${d.toFixed(1)} m`);
  t.ok(Math.abs(g.lon - 116.397519) < 2e-5 && Math.abs(g.lat - 39.907617) < 2e-5, `gcj ${g.lon},${g.lat}`);
});

t.test('GCJ-02 → WGS-84 inverts the forward transform to below a centimetre', async (t) => {
  for (const p of [wgs, { lon: 121.2277, lat: 31.0323 } /* Songjiang, Shanghai */, { lon: 113.3245, lat: 23.1064 }]) {
    const back = gcj02ToWgs84(wgs84ToGcj02(p));
    t.ok(distanceMetres(p, back) < 0.01, `round trip error ${distanceMetres(p, back)} m`);
  }
});

t.test('BD-09 → WGS-84 through GCJ-02', async (t) => {
  const bd = gcj02ToBd09(wgs84ToGcj02(wgs));
  t.ok(distanceMetres(wgs, bd) > 500, 'BD-09 is further off than GCJ-02');
  const back = toWgs84(bd, 'bd09');
  t.ok(distanceMetres(wgs, back) < 0.01, `error ${distanceMetres(wgs, back)} m`);
});

t.test('outside China GCJ-02 is WGS-84', async (t) => {
  const paris = { lon: 2.3522, lat: 48.8566 };
  t.ok(outsideChina(paris));
  t.same(toWgs84(paris, 'gcj02'), paris);
  t.same(toWgs84(wgs, 'wgs84'), wgs);
});
