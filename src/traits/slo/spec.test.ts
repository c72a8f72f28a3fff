import { describe, expect, it } from 'vitest';
import { formatPropertyPath } from '../../oam/render/runtime-traits.js';
import { parseSlo } from './spec.js';

const problems = (props: unknown) => {
  const r = parseSlo(props, 'web');
  return r.ok ? [] : r.problems.map((p) => `${formatPropertyPath(p.path)}: ${p.message}`);
};

describe('parseSlo', () => {
  it('the example of the issue, with its defaults', () => {
    const r = parseSlo(
      {
        latency: { percentile: 99, max: '200ms' },
        successRate: { min: 99.5 },
        replicas: { min: 2, max: 30 },
        window: '1m',
      },
      'web',
    );
    expect(r).toEqual({
      ok: true,
      value: {
        component: 'web',
        latency: { percentile: 99, quantile: 0.99, maxMs: 200 },
        successRate: { min: 99.5 },
        replicas: { min: 2, max: 30 },
        windowMs: 60_000,
        intervalMs: 15_000,
        scaleDownStabilizationMs: 60_000,
      },
    });
    expect(parseSlo({ latency: { percentile: 95, max: 150 } }, 'web')).toMatchObject({
      ok: true,
      value: { latency: { maxMs: 150 }, replicas: { min: 1, max: 10 } },
    });
  });

  it.each([
    [{}, 'latency: {percentile: 99, max: 200ms}, not nothing'],
    [
      { latency: { percentile: 100, max: '1s' } },
      'latency.percentile: a percentile from 50 to 99.99 (99 is p99), not 100',
    ],
    [
      { latency: { percentile: 99, max: 'fast' } },
      'latency.max: a duration such as "200ms" (or milliseconds), not "fast"',
    ],
    [{ latency: { percentile: 99, max: '1s', p: 1 } }, 'latency.p: unknown field: latency has percentile and max'],
    [
      { latency: { percentile: 99, max: '1s' }, successRate: { min: 101 } },
      'successRate.min: a share of requests from 0 to 100, not 101',
    ],
    [{ latency: { percentile: 99, max: '1s' }, replicas: { min: 0 } }, 'replicas.min: an integer ≥ 1, not 0'],
    [
      { latency: { percentile: 99, max: '1s' }, replicas: { min: 5, max: 3 } },
      'replicas.max: at least replicas.min (5), not 3',
    ],
    [
      { latency: { percentile: 99, max: '1s' }, window: '5s' },
      'window: a duration of at least 10s such as "1m", not "5s"',
    ],
    [
      { latency: { percentile: 99, max: '1s' }, target: 3 },
      'target: unknown field: an slo has latency, successRate, replicas, window, interval, scaleDownStabilization',
    ],
  ])('refuses %j', (props, says) => {
    expect(problems(props)).toEqual([says]);
  });
});
