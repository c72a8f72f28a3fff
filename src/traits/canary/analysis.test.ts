import { describe, expect, it } from 'vitest';
import type { MetricsPort, QueryResult } from '../../ports/metrics.js';
import { analyse, metricQuery, runSummary, substitute, type AnalysisScope } from './analysis.js';
import type { MetricSpec } from './spec.js';

/** A metrics server that answers each PromQL (or the first key it contains) from a table, and records the queries. */
class FakeMetrics implements MetricsPort {
  readonly queries: string[] = [];
  constructor(private readonly answers: (promql: string) => QueryResult) {}
  async query(promql: string): Promise<QueryResult> {
    this.queries.push(promql);
    return this.answers(promql);
  }
}
const value = (v: number): QueryResult => ({ kind: 'value', value: v });
const byMetric = (table: { success?: QueryResult; latency?: QueryResult; custom?: QueryResult }) =>
  new FakeMetrics(
    (q) =>
      (q.startsWith('100 * (1 - ')
        ? table.success
        : q.startsWith('histogram_quantile(')
          ? table.latency
          : table.custom) ?? { kind: 'no-data' },
  );

const scope: AnalysisScope = { namespace: 'shop', workload: 'web-canary', service: 'web', window: '30s' };
const at = { step: 1, weight: 20, time: '2026-12-01T00:01:00.000Z' };

describe('metricQuery', () => {
  it(
    'success-rate: the non-5xx share of the canary pods requests, ' +
      'a missing 5xx series counting as 0 (or vector(0))',
    () => {
      const q = metricQuery({ name: 'success-rate', min: 99 }, scope);
      expect(q).toEqual({
        promql:
          '100 * (1 - ((sum(rate(http_requests_total{namespace="shop",workload="web-canary",code=~"5.."}[30s])) ' +
          'or vector(0)) / sum(rate(http_requests_total{namespace="shop",workload="web-canary"}[30s]))))',
        unit: '%',
        scale: 1,
      });
      // The `or vector(0)` is on the numerator only: no requests at all stays no data.
      expect(q.promql).toContain('code=~"5.."}[30s])) or vector(0))');
      expect(q.promql.split('or vector(0)')).toHaveLength(2);
    },
  );

  it.each([
    ['latency', 0.99],
    ['latency-p99', 0.99],
    ['latency-p95', 0.95],
    ['latency-p50', 0.5],
  ])('%s: histogram_quantile(%s) over the canary pods, in ms', (name, q) => {
    expect(metricQuery({ name, max: 500 }, scope)).toEqual({
      promql:
        `histogram_quantile(${q}, sum by (le) ` +
        '(rate(http_request_duration_seconds_bucket{namespace="shop",workload="web-canary"}[30s])))',
      unit: 'ms',
      scale: 1000,
    });
  });

  it('a custom query has its placeholders substituted and no unit; it wins over a built-in name', () => {
    expect(metricQuery({ name: 'q', query: 'sum(x{ns="{{ namespace }}"})', max: 1 }, scope)).toEqual({
      promql: 'sum(x{ns="shop"})',
      unit: '',
      scale: 1,
    });
    expect(metricQuery({ name: 'latency', query: 'my_latency{workload="{{workload}}"}', max: 1 }, scope).promql).toBe(
      'my_latency{workload="web-canary"}',
    );
  });
});

describe('substitute', () => {
  it('namespace, workload, service, canaryPods and interval, with or without spaces; unknown placeholders stay', () => {
    expect(
      substitute(
        'sum(rate(http_requests_total{namespace="{{ namespace }}",workload="{{ workload }}"}[{{ interval }}]))',
        scope,
      ),
    ).toBe('sum(rate(http_requests_total{namespace="shop",workload="web-canary"}[30s]))');
    expect(substitute('{{service}}|{{  service  }}', scope)).toBe('web|web');
    expect(substitute('up{pod=~"{{ canaryPods }}"}', scope)).toBe('up{pod=~"web-canary-[a-z0-9]+-[a-z0-9]+"}');
    expect(substitute('{{ cluster }} {{namespace}}', scope)).toBe('{{ cluster }} shop');
    expect(new RegExp(`^${substitute('{{ canaryPods }}', scope)}$`).test('web-canary-7d9f8c6b5-x2x4k')).toBe(true);
    expect(new RegExp(`^${substitute('{{ canaryPods }}', scope)}$`).test('web-7d9f8c6b5-x2x4k')).toBe(false);
  });
});

describe('analyse', () => {
  const metrics: MetricSpec[] = [
    { name: 'success-rate', min: 99 },
    { name: 'latency', max: 500 },
  ];

  it('Successful when every value is in bounds: values, units, messages, and the step it ran at', async () => {
    const m = byMetric({ success: value(99.6), latency: value(0.12) });
    const run = await analyse(m, metrics, scope, at);
    expect(run).toEqual({
      ...at,
      result: 'Successful',
      measurements: [
        { name: 'success-rate', value: 99.6, unit: '%', ok: true, message: 'success-rate 99.6 % ≥ 99 %' },
        {
          name: 'latency',
          value: expect.closeTo(120, 6) as number,
          unit: 'ms',
          ok: true,
          message: 'latency 120 ms ≤ 500 ms',
        },
      ],
    });
    expect(m.queries).toHaveLength(2);
    expect(runSummary(run)).toBe('success-rate 99.6 % ≥ 99 %; latency 120 ms ≤ 500 ms');
  });

  it('Failed when a value is out of bounds: the message says the measured value and the bound', async () => {
    const run = await analyse(byMetric({ success: value(81.2), latency: value(0.1) }), metrics, scope, at);
    expect(run.result).toBe('Failed');
    expect(run.measurements[0]).toEqual({
      name: 'success-rate',
      value: 81.2,
      unit: '%',
      ok: false,
      message: 'success-rate 81.2 % < 99 %',
    });
    expect(runSummary(run)).toBe('success-rate 81.2 % < 99 %');
  });

  it('latency is scaled from seconds to ms: 0.7123 s above a 500 ms bound', async () => {
    const run = await analyse(byMetric({ success: value(100), latency: value(0.7123) }), metrics, scope, at);
    expect(run.result).toBe('Failed');
    expect(run.measurements[1]!.value).toBeCloseTo(712.3, 6);
    expect(run.measurements[1]!.message).toBe('latency 712 ms > 500 ms');
    expect(runSummary(run)).toBe('latency 712 ms > 500 ms');
  });

  it('a bound is exactly the limit: min and max are inclusive', async () => {
    const run = await analyse(byMetric({ success: value(99), latency: value(0.5) }), metrics, scope, at);
    expect(run.result).toBe('Successful');
    expect(run.measurements.map((m) => m.message)).toEqual(['success-rate 99 % ≥ 99 %', 'latency 500 ms ≤ 500 ms']);
  });

  it('values below 100 keep up to two decimals: 99.86 % is shown apart from a 99.9 % bound', async () => {
    const list: MetricSpec[] = [{ name: 'success-rate', min: 99.9 }];
    const low = await analyse(byMetric({ success: value(99.86) }), list, scope, at);
    expect(low.result).toBe('Failed');
    expect(low.measurements[0]!.message).toBe('success-rate 99.86 % < 99.9 %');
    expect(runSummary(low)).toBe('success-rate 99.86 % < 99.9 %');
    const ok = await analyse(byMetric({ success: value(99.95) }), list, scope, at);
    expect(ok.result).toBe('Successful');
    expect(ok.measurements[0]!.message).toBe('success-rate 99.95 % ≥ 99.9 %');
    // More decimals are rounded to two.
    expect((await analyse(byMetric({ success: value(99.857) }), list, scope, at)).measurements[0]!.message).toBe(
      'success-rate 99.86 % < 99.9 %',
    );
  });

  it('values of 100 and above are whole: 121.4 ms is shown as 121 ms', async () => {
    const run = await analyse(byMetric({ latency: value(0.1214) }), [{ name: 'latency', max: 500 }], scope, at);
    expect(run.result).toBe('Successful');
    expect(run.measurements[0]!.value).toBeCloseTo(121.4, 6);
    expect(run.measurements[0]!.message).toBe('latency 121 ms ≤ 500 ms');
    expect(
      (await analyse(byMetric({ latency: value(0.1216) }), [{ name: 'latency', max: 100.5 }], scope, at))
        .measurements[0]!.message,
    ).toBe('latency 122 ms > 101 ms');
  });

  it('min and max on one metric: each side is checked', async () => {
    const list: MetricSpec[] = [{ name: 'depth', query: 'q', min: 10, max: 1000 }];
    expect((await analyse(byMetric({ custom: value(5) }), list, scope, at)).measurements[0]!.message).toBe(
      'depth 5 < 10',
    );
    expect((await analyse(byMetric({ custom: value(1200) }), list, scope, at)).measurements[0]!.message).toBe(
      'depth 1200 > 1000',
    );
    const okRun = await analyse(byMetric({ custom: value(50) }), list, scope, at);
    expect(okRun.result).toBe('Successful');
    expect(okRun.measurements[0]!.message).toBe('depth 50 ≥ 10');
  });

  it('no data is Inconclusive, not a failure (no requests reached the canary)', async () => {
    const run = await analyse(byMetric({ success: { kind: 'no-data' }, latency: value(0.1) }), metrics, scope, at);
    expect(run.result).toBe('Inconclusive');
    expect(run.measurements[0]).toEqual({ name: 'success-rate', unit: '%', message: 'success-rate: no data' });
    expect(run.measurements[0]).not.toHaveProperty('ok');
    expect(runSummary(run)).toBe('success-rate: no data');
  });

  it('an unreachable metrics server is Inconclusive, with its message', async () => {
    const down = new FakeMetrics(() => ({
      kind: 'error',
      error: { reason: 'unreachable', message: 'cannot reach Prometheus at http://prom:9090 (ECONNREFUSED)' },
    }));
    const run = await analyse(down, metrics, scope, at);
    expect(run.result).toBe('Inconclusive');
    expect(run.measurements.map((m) => m.message)).toEqual([
      'success-rate: cannot reach Prometheus at http://prom:9090 (ECONNREFUSED)',
      'latency: cannot reach Prometheus at http://prom:9090 (ECONNREFUSED)',
    ]);
    expect(down.queries).toHaveLength(2);
  });

  it('a failed value wins over an inconclusive one; the summary names the failing metric only', async () => {
    const run = await analyse(byMetric({ success: { kind: 'no-data' }, latency: value(2) }), metrics, scope, at);
    expect(run.result).toBe('Failed');
    expect(runSummary(run)).toBe('latency 2000 ms > 500 ms');
  });

  it(
    'queries each metric with the scope: the custom query substituted, ' + 'the built-ins on the canary workload',
    async () => {
      const m = byMetric({ success: value(100), latency: value(0.1), custom: value(3) });
      await analyse(
        m,
        [
          ...metrics,
          {
            name: 'queue-depth',
            query:
              'sum(rate(http_requests_total{namespace="{{ namespace }}",workload="{{ workload }}"}[{{ interval }}]))',
            max: 1000,
          },
        ],
        scope,
        at,
      );
      expect(m.queries).toHaveLength(3);
      expect(m.queries[2]).toBe('sum(rate(http_requests_total{namespace="shop",workload="web-canary"}[30s]))');
      for (const q of m.queries) expect(q).toContain('workload="web-canary"');
    },
  );

  it('no metrics: a Successful run with no measurements', async () => {
    const m = byMetric({});
    expect(await analyse(m, [], scope, at)).toEqual({ ...at, result: 'Successful', measurements: [] });
    expect(m.queries).toEqual([]);
  });
});
