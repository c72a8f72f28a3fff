import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Bucket, bucketsOf, linearQuantile, tailQuantile } from './histogram.js';

const series = (le: string, pod: string, values: number[]) => ({
  labels: { le, pod },
  points: values.map((v, i) => [i * 5000, v] as [number, number]),
});

describe('bucketsOf', () => {
  it("sums each series' increase by bound, counts a counter reset from 0, and converts seconds to ms", () => {
    const b = bucketsOf(
      [
        series('0.1', 'a', [10, 20, 30]),
        series('0.1', 'b', [100, 5, 15]), // reset: 5 + 10
        series('0.25', 'a', [10, 25, 40]),
        series('0.25', 'b', [100, 8, 20]),
        series('+Inf', 'a', [10, 26, 42]),
        series('+Inf', 'b', [100, 9, 22]),
      ],
      1000,
    );
    expect(b).toEqual([
      { le: 100, count: 35 },
      { le: 250, count: 50 },
      { le: Number.POSITIVE_INFINITY, count: 54 },
    ]);
  });

  it('keeps the counts cumulative when scrapes disagree, and has nothing without +Inf or requests', () => {
    const b = bucketsOf([series('100', 'a', [0, 12]), series('250', 'a', [0, 10]), series('+Inf', 'a', [0, 14])], 1);
    expect(b!.map((x) => x.count)).toEqual([12, 12, 14]);
    expect(bucketsOf([series('100', 'a', [0, 12])], 1)).toBeUndefined();
    expect(bucketsOf([series('+Inf', 'a', [3, 3])], 1)).toBeUndefined();
  });
});

const ISTIO = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
const FINE = [5, 10, 20, 30, 50, 75, 100, 150, 200, 250, 300, 400, 500, 750, 1000];

/** The buckets of `n` requests whose latency is exponential with this mean (ms), counts rounded. */
function exponential(bounds: readonly number[], meanMs: number, n: number): Bucket[] {
  return [
    ...bounds.map((le) => ({ le, count: Math.round(n * (1 - Math.exp(-le / meanMs))) })),
    { le: Number.POSITIVE_INFINITY, count: n },
  ];
}
const trueQuantile = (meanMs: number, q: number) => -meanMs * Math.log(1 - q);

describe('linearQuantile', () => {
  it('reads as histogram_quantile does: linear within the bucket, 0 below the first bound, +Inf at the last', () => {
    const b: Bucket[] = [
      { le: 100, count: 50 },
      { le: 200, count: 90 },
      { le: 400, count: 99 },
      { le: Number.POSITIVE_INFINITY, count: 100 },
    ];
    expect(linearQuantile(b, 0.25)).toBe(50);
    expect(linearQuantile(b, 0.7)).toBe(150);
    expect(linearQuantile(b, 0.95)).toBeCloseTo(200 + (200 * 5) / 9);
    expect(linearQuantile(b, 0.995)).toBe(400);
    expect(linearQuantile([{ le: Number.POSITIVE_INFINITY, count: 0 }], 0.99)).toBeUndefined();
  });
});

describe('tailQuantile', () => {
  it("follows an exponential tail through Istio's coarse buckets, where the linear read is far off", () => {
    for (const meanMs of [20, 25, 30, 40, 45, 50]) {
      const b = exponential(ISTIO, meanMs, 1_000_000);
      const truth = trueQuantile(meanMs, 0.99);
      expect(Math.abs(tailQuantile(b, 0.99)! / truth - 1), `mean ${meanMs} ms`).toBeLessThan(0.01);
    }
    // p99 of 115 ms read between Istio's 100 and 250 ms bounds: the linear read says ~167 ms.
    const b = exponential(ISTIO, 25, 1_000_000);
    expect(linearQuantile(b, 0.99)!).toBeGreaterThan(160);
  });

  it('is within a few % with the counts of a real window, also when no request was past the upper bound', () => {
    // 300 requests/s for 60 s, p99 ≈ 115 ms: about 0.8 of them slower than 250 ms.
    const n = 18_000;
    const none = exponential(ISTIO, 25, n).map((x) => (x.le >= 250 ? { ...x, count: n } : x));
    const two = exponential(ISTIO, 25, n).map((x) => (x.le === 250 ? { ...x, count: n - 2 } : x));
    for (const b of [none, two])
      expect(Math.abs(tailQuantile(b, 0.99)! / trueQuantile(25, 0.99) - 1)).toBeLessThan(0.05);
  });

  it('falls in the same bucket as the linear read (both agree on the side of every bound)', () => {
    fc.assert(
      fc.property(fc.double({ min: 2, max: 400, noNaN: true }), fc.constantFrom(ISTIO, FINE), (meanMs, bounds) => {
        const b = exponential(bounds, meanMs, 100_000);
        const [tail, linear] = [tailQuantile(b, 0.99)!, linearQuantile(b, 0.99)!];
        const bucket = (x: number) => bounds.findIndex((le) => x <= le);
        expect(bucket(tail)).toBe(bucket(linear));
      }),
    );
  });

  it('gives the last finite bound when the quantile lies in +Inf, and nothing without requests', () => {
    const b: Bucket[] = [
      { le: 100, count: 10 },
      { le: 250, count: 50 },
      { le: Number.POSITIVE_INFINITY, count: 100 },
    ];
    expect(tailQuantile(b, 0.99)).toBe(250);
    expect(
      tailQuantile(
        [
          { le: 100, count: 0 },
          { le: Number.POSITIVE_INFINITY, count: 0 },
        ],
        0.99,
      ),
    ).toBeUndefined();
  });
});
