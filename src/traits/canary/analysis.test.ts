import { describe, expect, it } from 'vitest';
import type {
  EvidenceResult,
  QueryResult,
  TailLatencyResult,
  WorkloadMetrics,
  WorkloadRef,
} from '../../ports/metrics.js';
import { analyse, coverage, runSummary, substitute, type AnalysisScope } from './analysis.js';
import type { AnalysisSpec, MetricSpec } from './spec.js';

type Table = { success?: QueryResult; latency?: QueryResult; custom?: QueryResult; evidence?: EvidenceResult };
type Stable = { success?: QueryResult; latency?: QueryResult };

/**
 * A provider that answers from a table (the stable workload from its own), and records what it was
 * asked as `<what> <workload> <window>`.
 */
class FakeMetrics implements WorkloadMetrics {
  readonly name = 'fake provider';
  readonly separatesWorkloads = true;
  readonly queries: string[] = [];
  constructor(
    private readonly answer: (what: 'success' | 'latency' | 'custom', w?: WorkloadRef) => QueryResult,
    private readonly ev: EvidenceResult = FULL,
  ) {}
  async evidence(w: WorkloadRef, s: number): Promise<EvidenceResult> {
    this.queries.push(`evidence ${w.workload} ${s}s`);
    return this.ev;
  }
  async requestRate(w: WorkloadRef, s: number): Promise<QueryResult> {
    this.queries.push(`request-rate ${w.workload} ${s}s`);
    return { kind: 'no-data' };
  }
  async successRate(w: WorkloadRef, s: number): Promise<QueryResult> {
    this.queries.push(`success-rate ${w.workload} ${s}s`);
    return this.answer('success', w);
  }
  async latency(w: WorkloadRef, s: number, q: number): Promise<QueryResult> {
    this.queries.push(`latency ${q} ${w.workload} ${s}s`);
    return this.answer('latency', w);
  }
  async latencyTail(w: WorkloadRef, s: number, q: number): Promise<TailLatencyResult> {
    this.queries.push(`latency-tail ${q} ${w.workload} ${s}s`);
    const r = this.answer('latency', w);
    return r.kind === 'value' ? { ...r, linear: r.value * 1.1 } : r;
  }
  async query(promql: string): Promise<QueryResult> {
    this.queries.push(promql);
    return this.answer('custom');
  }
}
const NOW = Date.parse('2026-12-01T00:01:00.000Z');
/** 40 requests/s scraped every second over the whole 30 s window. */
const FULL: EvidenceResult = {
  kind: 'evidence',
  evidence: { requests: 1200, firstMs: NOW - 29_000, lastMs: NOW, scrapeMs: 1000 },
};
const value = (v: number): QueryResult => ({ kind: 'value', value: v });
const byMetric = (table: Table, stable: Stable = {}) =>
  new FakeMetrics(
    (what, w) => (w?.workload === 'web' ? stable[what as keyof Stable] : table[what]) ?? { kind: 'no-data' },
    table.evidence,
  );
const spec = (metrics: MetricSpec[], minRequests = 20, minCoverage = 80): AnalysisSpec => ({
  intervalMs: 30_000,
  failureLimit: 1,
  metrics,
  minRequests,
  minCoverage,
});

const scope: AnalysisScope = {
  canary: { namespace: 'shop', workload: 'web-canary', service: 'web' },
  stable: { namespace: 'shop', workload: 'web', service: 'web' },
  windowSeconds: 30,
  readyAt: NOW - 60_000,
  now: NOW,
};
const at = { step: 1, weight: 20, time: '2026-12-01T00:01:00.000Z' };

describe('substitute', () => {
  it('namespace, workload, service, canaryPods and interval, with or without spaces; unknown placeholders stay', () => {
    expect(
      substitute(
        'sum(rate(http_requests_total{namespace="{{ namespace }}",app="{{ workload }}"}[{{ interval }}]))',
        scope,
      ),
    ).toBe('sum(rate(http_requests_total{namespace="shop",app="web-canary"}[30s]))');
    expect(substitute('{{service}}|{{  service  }}', scope)).toBe('web|web');
    expect(substitute('up{pod=~"{{ canaryPods }}"}', scope)).toBe('up{pod=~"web-canary-[a-z0-9]+-[a-z0-9]+"}');
    expect(substitute('{{ cluster }} {{namespace}}', scope)).toBe('{{ cluster }} shop');
    expect(new RegExp(`^${substitute('{{ canaryPods }}', scope)}$`).test('web-canary-7d9f8c6b5-x2x4k')).toBe(true);
    expect(new RegExp(`^${substitute('{{ canaryPods }}', scope)}$`).test('web-7d9f8c6b5-x2x4k')).toBe(false);
  });
});

describe('coverage', () => {
  const e = (first: number, last: number, scrapeMs?: number) => ({
    requests: 1,
    firstMs: first,
    lastMs: last,
    scrapeMs,
  });
  it('the span of the samples plus one scrape interval, over the window, at most 100 %', () => {
    expect(coverage(e(0, 9_000, 1000), 10_000)).toBe(100);
    expect(coverage(e(3_000, 9_000, 1000), 10_000)).toBe(70);
    // Two samples 30 s apart fill a 60 s window scraped every 30 s.
    expect(coverage(e(0, 30_000, 30_000), 60_000)).toBe(100);
    expect(coverage(e(0, 90_000, 1000), 10_000)).toBe(100);
  });
  it('one sample (no scrape interval known) or an empty window covers nothing', () => {
    expect(coverage(e(5_000, 5_000), 10_000)).toBe(0);
    expect(coverage(e(0, 9_000, 1000), 0)).toBe(0);
  });
});

describe('analyse', () => {
  const metrics: MetricSpec[] = [
    { name: 'success-rate', min: 99 },
    { name: 'latency', max: 500 },
  ];

  it('Successful when every value is in bounds: values, units, messages, and the step it ran at', async () => {
    const m = byMetric({ success: value(99.6), latency: value(120) });
    const run = await analyse(m, spec(metrics), scope, at);
    expect(run).toEqual({
      ...at,
      result: 'Successful',
      evidence: { requests: 1200, coverage: 100 },
      queries: 3,
      measurements: [
        { name: 'success-rate', value: 99.6, unit: '%', min: 99, ok: true, message: 'success-rate 99.6 % ≥ 99 %' },
        {
          name: 'latency',
          value: expect.closeTo(120, 6) as number,
          unit: 'ms',
          max: 500,
          ok: true,
          message: 'latency 120 ms ≤ 500 ms',
        },
      ],
    });
    expect(m.queries).toHaveLength(3);
    expect(runSummary(run)).toBe('success-rate 99.6 % ≥ 99 %; latency 120 ms ≤ 500 ms');
  });

  it('Failed when a value is out of bounds: the message says the measured value and the bound', async () => {
    const run = await analyse(byMetric({ success: value(81.2), latency: value(100) }), spec(metrics), scope, at);
    expect(run.result).toBe('Failed');
    expect(run.measurements[0]).toEqual({
      name: 'success-rate',
      value: 81.2,
      unit: '%',
      min: 99,
      ok: false,
      message: 'success-rate 81.2 % < 99 %',
    });
    expect(runSummary(run)).toBe('success-rate 81.2 % < 99 %');
  });

  it("an objective's latency (tail: true) is read following the tail, an analysis metric's linearly", async () => {
    const m = byMetric({ success: value(99.6), latency: value(180) });
    const tail: MetricSpec = { name: 'latency-p99', quantile: 0.99, max: 190, tail: true };
    const run = await analyse(m, spec([tail, { name: 'latency', max: 190 }]), scope, at);
    expect(m.queries.filter((q) => q.startsWith('latency'))).toEqual([
      'latency-tail 0.99 web-canary 30s',
      'latency 0.99 web-canary 30s',
    ]);
    expect(run.measurements.map((x) => x.ok)).toEqual([true, true]);
  });

  it('latency is compared in ms: 712.3 ms above a 500 ms bound', async () => {
    const run = await analyse(byMetric({ success: value(100), latency: value(712.3) }), spec(metrics), scope, at);
    expect(run.result).toBe('Failed');
    expect(run.measurements[1]!.value).toBeCloseTo(712.3, 6);
    expect(run.measurements[1]!.message).toBe('latency 712 ms > 500 ms');
    expect(runSummary(run)).toBe('latency 712 ms > 500 ms');
  });

  it('a bound is exactly the limit: min and max are inclusive', async () => {
    const run = await analyse(byMetric({ success: value(99), latency: value(500) }), spec(metrics), scope, at);
    expect(run.result).toBe('Successful');
    expect(run.measurements.map((m) => m.message)).toEqual(['success-rate 99 % ≥ 99 %', 'latency 500 ms ≤ 500 ms']);
  });

  it('values below 100 keep up to two decimals: 99.86 % is shown apart from a 99.9 % bound', async () => {
    const list: MetricSpec[] = [{ name: 'success-rate', min: 99.9 }];
    const low = await analyse(byMetric({ success: value(99.86) }), spec(list), scope, at);
    expect(low.result).toBe('Failed');
    expect(low.measurements[0]!.message).toBe('success-rate 99.86 % < 99.9 %');
    expect(runSummary(low)).toBe('success-rate 99.86 % < 99.9 %');
    const ok = await analyse(byMetric({ success: value(99.95) }), spec(list), scope, at);
    expect(ok.result).toBe('Successful');
    expect(ok.measurements[0]!.message).toBe('success-rate 99.95 % ≥ 99.9 %');
    // More decimals are rounded to two.
    expect((await analyse(byMetric({ success: value(99.857) }), spec(list), scope, at)).measurements[0]!.message).toBe(
      'success-rate 99.86 % < 99.9 %',
    );
  });

  it('values of 100 and above are whole: 121.4 ms is shown as 121 ms', async () => {
    const run = await analyse(byMetric({ latency: value(121.4) }), spec([{ name: 'latency', max: 500 }]), scope, at);
    expect(run.result).toBe('Successful');
    expect(run.measurements[0]!.value).toBeCloseTo(121.4, 6);
    expect(run.measurements[0]!.message).toBe('latency 121 ms ≤ 500 ms');
    expect(
      (await analyse(byMetric({ latency: value(121.6) }), spec([{ name: 'latency', max: 100.5 }]), scope, at))
        .measurements[0]!.message,
    ).toBe('latency 122 ms > 101 ms');
  });

  it('min and max on one metric: each side is checked', async () => {
    const list: MetricSpec[] = [{ name: 'depth', query: 'q', min: 10, max: 1000 }];
    expect((await analyse(byMetric({ custom: value(5) }), spec(list), scope, at)).measurements[0]!.message).toBe(
      'depth 5 < 10',
    );
    expect((await analyse(byMetric({ custom: value(1200) }), spec(list), scope, at)).measurements[0]!.message).toBe(
      'depth 1200 > 1000',
    );
    const okRun = await analyse(byMetric({ custom: value(50) }), spec(list), scope, at);
    expect(okRun.result).toBe('Successful');
    expect(okRun.measurements[0]!.message).toBe('depth 50 ≥ 10, ≤ 1000');
  });

  it('no data is Inconclusive, not a failure (no requests reached the canary)', async () => {
    const run = await analyse(
      byMetric({ success: { kind: 'no-data' }, latency: value(100) }),
      spec(metrics),
      scope,
      at,
    );
    expect(run.result).toBe('Inconclusive');
    expect(run.measurements[0]).toEqual({ name: 'success-rate', unit: '%', message: 'success-rate: no data' });
    expect(run.measurements[0]).not.toHaveProperty('ok');
    expect(runSummary(run)).toBe('success-rate: no data');
  });

  it('an unreachable metrics server is Inconclusive, with its message', async () => {
    const down = new FakeMetrics(
      (): QueryResult => ({
        kind: 'error',
        error: { reason: 'unreachable', message: 'cannot reach Prometheus at http://prom:9090 (ECONNREFUSED)' },
      }),
    );
    const run = await analyse(down, spec(metrics), scope, at);
    expect(run.result).toBe('Inconclusive');
    expect(run.measurements.map((m) => m.message)).toEqual([
      'success-rate: cannot reach Prometheus at http://prom:9090 (ECONNREFUSED)',
      'latency: cannot reach Prometheus at http://prom:9090 (ECONNREFUSED)',
    ]);
    expect(down.queries).toHaveLength(3);
  });

  it('a failed value wins over an inconclusive one; the summary names the failing metric only', async () => {
    const run = await analyse(
      byMetric({ success: { kind: 'no-data' }, latency: value(2000) }),
      spec(metrics),
      scope,
      at,
    );
    expect(run.result).toBe('Failed');
    expect(runSummary(run)).toBe('latency 2000 ms > 500 ms');
  });

  it(
    'queries each metric with the scope: the custom query substituted, ' + 'the built-ins on the canary workload',
    async () => {
      const m = byMetric({ success: value(100), latency: value(100), custom: value(3) });
      await analyse(
        m,
        spec([
          ...metrics,
          {
            name: 'queue-depth',
            query: 'sum(rate(my_requests_total{namespace="{{ namespace }}",app="{{ workload }}"}[{{ interval }}]))',
            max: 1000,
          },
        ]),
        scope,
        at,
      );
      expect(m.queries).toEqual([
        'evidence web-canary 30s',
        'success-rate web-canary 30s',
        'latency 0.99 web-canary 30s',
        'sum(rate(my_requests_total{namespace="shop",app="web-canary"}[30s]))',
      ]);
    },
  );

  it('no metrics: a Successful run with no measurements', async () => {
    const m = byMetric({});
    expect(await analyse(m, spec([]), scope, at)).toMatchObject({ ...at, result: 'Successful', measurements: [] });
    // Only the evidence (the canary's requests) was asked for.
    expect(m.queries).toEqual(['evidence web-canary 30s']);
  });
});

describe('analyse, bounds relative to the stable pods', () => {
  const relLatency: MetricSpec[] = [{ name: 'latency', maxIncrease: 20 }];
  const relSuccess: MetricSpec[] = [{ name: 'success-rate', maxDecrease: 0.5 }];

  it('as slow as a slowed-down stable: passes a relative latency bound an absolute one would fail', async () => {
    const m = byMetric({ latency: value(900) }, { latency: value(850) });
    const run = await analyse(m, spec(relLatency), scope, at);
    expect(run.result).toBe('Successful');
    expect(run.measurements[0]).toMatchObject({ value: 900, stable: 850, ok: true });
    expect(run.measurements[0]!.message).toBe('latency 900 ms ≤ stable 850 ms + 20 %');
    // Canary first, then the stable workload over the same window.
    expect(m.queries).toEqual(['evidence web-canary 30s', 'latency 0.99 web-canary 30s', 'latency 0.99 web 30s']);
    const absolute = await analyse(byMetric({ latency: value(900) }), spec([{ name: 'latency', max: 300 }]), scope, at);
    expect(absolute.result).toBe('Failed');
  });

  it('a canary worse than stable fails under a loose absolute bound', async () => {
    const list: MetricSpec[] = [{ name: 'latency', max: 2000, maxIncrease: 20 }];
    const run = await analyse(byMetric({ latency: value(500) }, { latency: value(100) }), spec(list), scope, at);
    expect(run.result).toBe('Failed');
    expect(runSummary(run)).toBe('latency 500 ms > stable 100 ms + 20 %');
    // The bound the dashboard draws: the tighter of the absolute and the relative one.
    expect(run.measurements[0]!.max).toBeCloseTo(120);
  });

  it('success-rate: at most maxDecrease points below stable', async () => {
    const ok = await analyse(byMetric({ success: value(97.6) }, { success: value(98) }), spec(relSuccess), scope, at);
    expect(ok.result).toBe('Successful');
    expect(ok.measurements[0]!.message).toBe('success-rate 97.6 % ≥ stable 98 % − 0.5');
    expect(ok.measurements[0]!.min).toBeCloseTo(97.5);
    const bad = await analyse(byMetric({ success: value(97.4) }, { success: value(98) }), spec(relSuccess), scope, at);
    expect(bad.result).toBe('Failed');
    expect(runSummary(bad)).toBe('success-rate 97.4 % < stable 98 % − 0.5');
  });

  it('no data for the stable pods is Inconclusive, keeping the canary value', async () => {
    const run = await analyse(byMetric({ latency: value(120) }), spec(relLatency), scope, at);
    expect(run.result).toBe('Inconclusive');
    expect(run.measurements[0]).toMatchObject({ value: 120, message: 'latency of the stable pods: no data' });
    expect(run.measurements[0]).not.toHaveProperty('ok');
  });
});

describe('analyse, enough data before a verdict', () => {
  const list: MetricSpec[] = [{ name: 'success-rate', min: 99 }];
  const ev = (requests: number, spanMs: number): EvidenceResult => ({
    kind: 'evidence',
    evidence: { requests, firstMs: NOW - spanMs, lastMs: NOW, scrapeMs: 1000 },
  });

  it('passing needs minRequests and minCoverage; below either it is Inconclusive with the numbers', async () => {
    const few = await analyse(byMetric({ success: value(100), evidence: ev(19, 29_000) }), spec(list), scope, at);
    expect(few.result).toBe('Inconclusive');
    expect(runSummary(few)).toBe(
      'not enough data yet: 19 requests (20 needed), samples over 100 % of the window (80 % needed)',
    );
    const short = await analyse(byMetric({ success: value(100), evidence: ev(500, 5_000) }), spec(list), scope, at);
    expect(short.result).toBe('Inconclusive');
    expect(short.evidence).toEqual({ requests: 500, coverage: 20 });
    const enough = await analyse(byMetric({ success: value(100), evidence: ev(20, 23_000) }), spec(list), scope, at);
    expect(enough.result).toBe('Successful');
  });

  it('the window a new canary can fill is the time since its pods became ready', async () => {
    const young = { ...scope, readyAt: NOW - 10_000 };
    const m = byMetric({ success: value(100), evidence: ev(300, 7_000) });
    const run = await analyse(m, spec(list), young, at);
    expect(run).toMatchObject({ result: 'Successful', evidence: { coverage: 80 } });
    // The queries look back no further than that: older samples are another canary's (one aborted just before,
    // whose pods had the same names) or another weight's.
    expect(m.queries).toEqual(['evidence web-canary 10s', 'success-rate web-canary 10s']);
  });

  it('a failing value needs only a quarter of minRequests, whatever the coverage', async () => {
    const run = await analyse(byMetric({ success: value(80), evidence: ev(5, 1_000) }), spec(list), scope, at);
    expect(run.result).toBe('Failed');
    const fewer = await analyse(byMetric({ success: value(80), evidence: ev(4, 1_000) }), spec(list), scope, at);
    expect(fewer.result).toBe('Inconclusive');
    expect(runSummary(fewer)).toContain('4 requests (5 needed)');
  });

  it('no samples at all: Inconclusive even when a value looks fine', async () => {
    const run = await analyse(byMetric({ success: value(100), evidence: { kind: 'no-data' } }), spec(list), scope, at);
    expect(run).toMatchObject({ result: 'Inconclusive', evidence: { requests: 0, coverage: 0 } });
  });
});
