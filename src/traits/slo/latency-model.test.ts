import { describe, expect, it } from 'vitest';
import {
  fitLatencyModel,
  type LatencySample,
  podsFor,
  predictLatencyMs,
  quantileFactor,
  ratePerPodAt,
} from './latency-model.js';

const Q = 0.99;
/** The exact q-quantile, ms, of a pod with capacity `c` rps and service time `s` ms at `r` rps. */
const quantile = (c: number, s: number, r: number) => (quantileFactor(Q) * s) / (1 - r / c);
const samples = (c: number, s: number, rates: number[]): LatencySample[] =>
  rates.map((r, i) => ({ at: i * 15_000, ratePerPod: r, latencyMs: quantile(c, s, r) }));
const options = { quantile: Q, now: 0, halfLifeMs: 600_000, minSpread: 0.05, trustSpread: 0.25, targetMs: 200 };

describe('fitLatencyModel', () => {
  it.each([
    { pods: 'M/M/1 (100 rps, 10 ms)', c: 100, s: 10 },
    { pods: 'service shorter than 1/capacity (100 rps, 5 ms)', c: 100, s: 5 },
    { pods: 'service longer than 1/capacity (100 rps, 20 ms)', c: 100, s: 20 },
  ])('recovers $pods from exact quantiles at rates 30 % apart', ({ c, s }) => {
    const model = fitLatencyModel(samples(c, s, [40, 45, 50, 55]), options)!;
    expect(model.source).toBe('fit');
    expect(model.capacityRps).toBeCloseTo(c, 6);
    expect(model.serviceMs).toBeCloseTo(s, 6);
  });

  it('with one rate, puts one M/M/1 queue through it (exact when capacity = 1/service)', () => {
    const model = fitLatencyModel(samples(100, 10, [60, 60, 60]), options)!;
    expect(model).toMatchObject({ source: 'mm1', samples: 3 });
    expect(model.capacityRps).toBeCloseTo(100, 6);
    expect(model.serviceMs).toBeCloseTo(10, 6);
  });

  it('with rates close together, takes the line only where it allows less than the queue', () => {
    // 5 ms pods: the queue through them promises more than the truth, the line does not.
    const fast = fitLatencyModel(samples(100, 5, [60, 66]), options)!;
    expect(fast.source).toBe('fit');
    // One quantile read 10 % high at the lower rate (a histogram bucket's error) tilts the line to promise
    // more than the truth: the queue through the samples is taken instead.
    const tilted = samples(100, 10, [60, 69]);
    tilted[0]!.latencyMs *= 1.1;
    const model = fitLatencyModel(tilted, options)!;
    expect(model.source).toBe('mm1');
    expect(ratePerPodAt(model, Q, 200)!).toBeLessThan(
      ratePerPodAt({ ...model, capacityRps: 100, serviceMs: 10 }, Q, 200)!,
    );
  });

  it('weighs recent samples more: a slower release takes over within a half-life or two', () => {
    const old = samples(100, 10, [40, 50, 60]).map((s) => ({ ...s, at: 0 }));
    const now = samples(100, 20, [40, 50, 60]).map((s) => ({ ...s, at: 1_800_000 }));
    const model = fitLatencyModel([...old, ...now], { ...options, now: 1_800_000 })!;
    expect(model.serviceMs).toBeGreaterThan(18);
  });

  it('has no model without samples', () => {
    expect(fitLatencyModel([], options)).toBeUndefined();
  });
});

describe('predictions', () => {
  const model = { capacityRps: 100, serviceMs: 10, source: 'fit' as const, samples: 4 };

  it('predicts the quantile, unbounded at capacity', () => {
    expect(predictLatencyMs(model, Q, 50)).toBeCloseTo(2 * 4.60517 * 10, 3);
    expect(predictLatencyMs(model, Q, 100)).toBe(Number.POSITIVE_INFINITY);
  });

  it('gives the oracle: the fewest pods with p99 ≤ T are λ / (μ − ln(100)/T)', () => {
    for (const rps of [200, 900, 1000, 1500]) {
      const oracle = Math.ceil(rps / (100 - Math.log(100) / 0.2));
      expect(podsFor(rps, ratePerPodAt(model, Q, 200)!)).toBe(oracle);
    }
    expect(podsFor(1000, ratePerPodAt(model, Q, 200)!)).toBe(13);
  });

  it('has no rate for an objective the service time alone misses', () => {
    expect(ratePerPodAt(model, Q, 40)).toBeUndefined();
  });
});
