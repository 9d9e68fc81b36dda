/**
 * A shape over time given by a few (time, value) points, joined by smoothstep easing so the
 * value leaves and reaches each point gently (water does not rise in straight lines), and flat
 * before the first and after the last point. Between two points it is monotonic, so "crosses
 * 25 cm between minute 8 and 10" is a statement a test can check.
 */
export type CurvePoint = readonly [time: number, value: number];

const ease = (u: number) => u * u * (3 - 2 * u);
/** ∫₀ˣ ease(u) du. */
const easeIntegral = (x: number) => x * x * x - (x * x * x * x) / 2;

export class Curve {
  private readonly points: readonly CurvePoint[];

  constructor(points: readonly CurvePoint[]) {
    if (points.length === 0) throw new RangeError('a curve needs at least one point');
    for (let i = 1; i < points.length; i++) {
      if ((points[i] as CurvePoint)[0] <= (points[i - 1] as CurvePoint)[0]) throw new RangeError('curve times must increase');
    }
    this.points = points;
  }

  get start(): number {
    return (this.points[0] as CurvePoint)[0];
  }

  get end(): number {
    return (this.points[this.points.length - 1] as CurvePoint)[0];
  }

  at(t: number): number {
    const pts = this.points;
    const first = pts[0] as CurvePoint;
    const last = pts[pts.length - 1] as CurvePoint;
    if (t <= first[0]) return first[1];
    if (t >= last[0]) return last[1];
    for (let i = 1; i < pts.length; i++) {
      const [t1, v1] = pts[i] as CurvePoint;
      if (t <= t1) {
        const [t0, v0] = pts[i - 1] as CurvePoint;
        return v0 + (v1 - v0) * ease((t - t0) / (t1 - t0));
      }
    }
    return last[1];
  }

  /** ∫ value dt over [a, b], exact (used for rain totals from an intensity curve). */
  integral(a: number, b: number): number {
    return b >= a ? this.primitive(b) - this.primitive(a) : -(this.primitive(a) - this.primitive(b));
  }

  /** ∫ from the first point's time to t (negative before it). */
  private primitive(t: number): number {
    const pts = this.points;
    const first = pts[0] as CurvePoint;
    if (t <= first[0]) return (t - first[0]) * first[1];
    let sum = 0;
    for (let i = 1; i < pts.length; i++) {
      const [t0, v0] = pts[i - 1] as CurvePoint;
      const [t1, v1] = pts[i] as CurvePoint;
      const len = t1 - t0;
      if (t <= t1) {
        const x = (t - t0) / len;
        return sum + len * (v0 * x + (v1 - v0) * easeIntegral(x));
      }
      sum += (len * (v0 + v1)) / 2;
    }
    const last = pts[pts.length - 1] as CurvePoint;
    return sum + (t - last[0]) * last[1];
  }
}
