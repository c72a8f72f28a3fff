/**
 * The providers' queries as Prometheus receives them (a fake server records them: PromQL is the
 * contract; test/cluster runs them on a real Prometheus fed by the traffic simulator in each style),
 * latency units, and the evidence read from raw samples.
 */
import { describe, expect, it } from 'vitest';
import type { QueryRange, QueryResult, SampleSeries, SamplesPort, SamplesResult } from '../ports/metrics.js';
import { fill, podsRegex, providerTemplates } from './providers.js';
import { evidenceOf, workloadMetrics } from './workload-metrics.js';

class FakeServer implements SamplesPort {
  readonly asked: string[] = [];
  constructor(
    private readonly value: number = 0.25,
    private readonly series: SampleSeries[] = [],
  ) {}
  async query(promql: string): Promise<QueryResult> {
    this.asked.push(promql);
    return { kind: 'value', value: this.value };
  }
  async samples(selector: string, windowSeconds: number): Promise<SamplesResult> {
    this.asked.push(`${selector}[${windowSeconds}s]`);
    return this.series.length ? { kind: 'samples', series: this.series } : { kind: 'no-data' };
  }
}
const canary = { namespace: 'shop', workload: 'web-canary', service: 'web-canary' };

/** A server that also answers range queries, recording them with their range. */
class RangeServer extends FakeServer {
  async range(promql: string, r: QueryRange): Promise<SamplesResult> {
    this.asked.push(`${promql} @ ${r.startMs}..${r.endMs}/${r.stepMs}`);
    return { kind: 'samples', series: [{ labels: {}, points: [[r.startMs, 0.2]] }] };
  }
}

describe('history (charts)', () => {
  it('asks a range of the same PromQL as the instant query, latency in ms; absent without range queries', async () => {
    const server = new RangeServer();
    const m = workloadMetrics(server, undefined, 'http://prom');
    const range = { startMs: 1000, endMs: 61_000, stepMs: 5000 };
    const latency = await m.history!('latency', canary, { windowSeconds: 10, quantile: 0.99, range });
    expect(latency).toEqual({ kind: 'samples', series: [{ labels: {}, points: [[1000, 200]] }] });
    await m.latency(canary, 10, 0.99);
    await m.history!('successRate', canary, { windowSeconds: 10, range });
    await m.successRate(canary, 10);
    const [rangeLatency, instantLatency, rangeSuccess, instantSuccess] = server.asked;
    expect(rangeLatency).toBe(`${instantLatency} @ 1000..61000/5000`);
    expect(rangeSuccess).toBe(`${instantSuccess} @ 1000..61000/5000`);
    expect(workloadMetrics(new FakeServer(), undefined, 'http://prom').history).toBeUndefined();
  });
});

describe('providers', () => {
  it('pods: the app metrics of the workload pods by namespace and pod name (kube-prometheus labels)', async () => {
    const server = new FakeServer(0.25);
    const m = workloadMetrics(server, undefined, 'http://prom');
    expect(m.name).toBe('pods provider at http://prom');
    expect(m.separatesWorkloads).toBe(true);
    await m.successRate(canary, 10);
    expect(await m.latency(canary, 10, 0.99)).toEqual({ kind: 'value', value: 250 });
    const sel = 'namespace="shop",pod=~"web-canary-[a-z0-9]+-[a-z0-9]+"';
    expect(server.asked).toEqual([
      `100 * (1 - ((sum(rate(http_requests_total{${sel},code=~"5.."}[10s])) or vector(0)) / ` +
        `sum(rate(http_requests_total{${sel}}[10s]))))`,
      `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{${sel}}[10s])))`,
    ]);
  });

  it('istio: destination workload labels, reporter=destination, latency already in ms', async () => {
    const server = new FakeServer(250);
    const m = workloadMetrics(server, { provider: 'istio' }, 'http://prom');
    await m.successRate(canary, 30);
    expect(await m.latency(canary, 30, 0.95)).toEqual({ kind: 'value', value: 250 });
    const sel = 'reporter="destination",destination_workload_namespace="shop",destination_workload="web-canary"';
    expect(server.asked).toEqual([
      `100 * (1 - ((sum(rate(istio_requests_total{${sel},response_code=~"5.."}[30s])) or vector(0)) / ` +
        `sum(rate(istio_requests_total{${sel}}[30s]))))`,
      `histogram_quantile(0.95, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${sel}}[30s])))`,
    ]);
  });

  it('nginx-ingress: the ingress controller metrics by Service, which cannot tell pods apart', async () => {
    const server = new FakeServer(0.1);
    const m = workloadMetrics(server, { provider: 'nginx-ingress' }, 'http://prom');
    expect(m.separatesWorkloads).toBe(false);
    await m.successRate(canary, 10);
    expect(await m.latency(canary, 10, 0.5)).toEqual({ kind: 'value', value: 100 });
    expect(server.asked[0]).toContain(
      'nginx_ingress_controller_requests{namespace="shop",service="web-canary",status=~"5.."}',
    );
    expect(server.asked[1]).toBe(
      'histogram_quantile(0.5, sum by (le) (rate(' +
        'nginx_ingress_controller_request_duration_seconds_bucket{namespace="shop",service="web-canary"}[10s])))',
    );
  });

  it('custom: the user selectors with placeholders filled, in the unit they name', async () => {
    const server = new FakeServer(42);
    const m = workloadMetrics(
      server,
      {
        provider: 'custom',
        custom: {
          requests: 'app_requests{ns="{{ namespace }}",deploy="{{workload}}"}',
          errors: 'app_requests{ns="{{ namespace }}",deploy="{{workload}}",status="error"}',
          latencyBuckets: 'app_latency_ms_bucket{svc="{{ service }}",pod=~"{{ pods }}"}',
          latencyUnit: 'milliseconds',
        },
      },
      'http://prom',
    );
    await m.successRate(canary, 10);
    expect(await m.latency(canary, 10, 0.99)).toEqual({ kind: 'value', value: 42 });
    await m.evidence(canary, 10);
    expect(server.asked).toEqual([
      '100 * (1 - ((sum(rate(app_requests{ns="shop",deploy="web-canary",status="error"}[10s])) or vector(0)) / ' +
        'sum(rate(app_requests{ns="shop",deploy="web-canary"}[10s]))))',
      'histogram_quantile(0.99, sum by (le) (rate(app_latency_ms_bucket{svc="web-canary",' +
        'pod=~"web-canary-[a-z0-9]+-[a-z0-9]+"}[10s])))',
      'app_requests{ns="shop",deploy="web-canary"}[10s]',
    ]);
    expect(() => providerTemplates({ provider: 'custom' })).toThrow(/custom: \{requests, errors, latencyBuckets\}/);
  });

  it('a Deployment pod regex matches its own pods only, never the canary of the same name', () => {
    const re = new RegExp(`^${podsRegex('web')}$`);
    expect(re.test('web-7d9f8c6b5-x2x4k')).toBe(true);
    expect(re.test('web-canary-7d9f8c6b5-x2x4k')).toBe(false);
    expect(fill('{{ pods }}|{{ unknown }}', canary)).toBe('web-canary-[a-z0-9]+-[a-z0-9]+|{{ unknown }}');
  });
});

describe('evidence', () => {
  it('counts each series increases (a reset from 0), spans every sample, and takes the median scrape gap', () => {
    const e = evidenceOf([
      {
        labels: {},
        points: [
          [1000, 10],
          [2000, 30],
          [3000, 5],
          [4000, 15],
        ],
      },
      {
        labels: {},
        points: [
          [2500, 0],
          [3500, 7],
        ],
      },
    ]);
    // 20 + 5 (reset) + 10 + 7
    expect(e).toEqual({ requests: 42, firstMs: 1000, lastMs: 4000, scrapeMs: 1000 });
    expect(evidenceOf([{ labels: {}, points: [[1000, 3]] }])).toEqual({ requests: 0, firstMs: 1000, lastMs: 1000 });
    expect(evidenceOf([])).toBeUndefined();
  });

  it('asks for the raw samples of the request counter over the window', async () => {
    const server = new FakeServer(0, [
      {
        labels: {},
        points: [
          [0, 0],
          [1000, 40],
        ],
      },
    ]);
    const m = workloadMetrics(server, undefined, 'http://prom');
    expect(await m.evidence(canary, 9.6)).toEqual({
      kind: 'evidence',
      evidence: { requests: 40, firstMs: 0, lastMs: 1000, scrapeMs: 1000 },
    });
    expect(server.asked).toEqual(['http_requests_total{namespace="shop",pod=~"web-canary-[a-z0-9]+-[a-z0-9]+"}[10s]']);
  });
});
