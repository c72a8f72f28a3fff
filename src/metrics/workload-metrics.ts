/**
 * WorkloadMetrics (src/ports/metrics.ts) over a Prometheus and a provider's templates: the success
 * rate, a latency quantile and the evidence a window holds (requests counted and the span of the raw
 * samples' own timestamps), for any workload, with the provider's labels.
 */
import type { MetricsSourceConfig } from '../config/metrics-source.js';
import type {
  Evidence,
  EvidenceResult,
  QueryResult,
  SampleSeries,
  SamplesPort,
  SamplesResult,
  TailLatencyResult,
  WorkloadMetric,
  WorkloadMetrics,
  WorkloadRef,
} from '../ports/metrics.js';
import { bucketsOf, linearQuantile, tailQuantile } from './histogram.js';
import { fill, providerTemplates } from './providers.js';

export function workloadMetrics(
  port: SamplesPort,
  source: MetricsSourceConfig | undefined,
  url: string,
): WorkloadMetrics {
  const t = providerTemplates(source);
  const provider = source?.provider ?? 'pods';
  const w = (s: number) => `${Math.max(1, Math.round(s))}s`;
  // The PromQL of each metric, with the provider's labels (instant queries and ranges ask the same).
  const promql = {
    requestRate: (ref: WorkloadRef, windowSeconds: number) =>
      `sum(rate(${fill(t.requests, ref)}[${w(windowSeconds)}]))`,
    successRate(ref: WorkloadRef, windowSeconds: number) {
      // No 5xx series at all is 0 errors (`or vector(0)`); no requests at all is no data.
      const errors = `sum(rate(${fill(t.errors, ref)}[${w(windowSeconds)}]))`;
      const requests = `sum(rate(${fill(t.requests, ref)}[${w(windowSeconds)}]))`;
      return `100 * (1 - ((${errors} or vector(0)) / ${requests}))`;
    },
    latency(ref: WorkloadRef, windowSeconds: number, quantile: number) {
      const buckets = `rate(${fill(t.latencyBuckets, ref)}[${w(windowSeconds)}])`;
      return `histogram_quantile(${quantile}, sum by (le) (${buckets}))`;
    },
  };
  return {
    name: `${provider} provider at ${url}`,
    separatesWorkloads: t.separatesWorkloads,
    async evidence(ref: WorkloadRef, windowSeconds: number): Promise<EvidenceResult> {
      const r = await port.samples(fill(t.requests, ref), Math.max(1, Math.round(windowSeconds)));
      if (r.kind !== 'samples') return r;
      const e = evidenceOf(r.series);
      return e ? { kind: 'evidence', evidence: e } : { kind: 'no-data' };
    },
    requestRate(ref: WorkloadRef, windowSeconds: number): Promise<QueryResult> {
      return port.query(promql.requestRate(ref, windowSeconds));
    },
    successRate(ref: WorkloadRef, windowSeconds: number): Promise<QueryResult> {
      return port.query(promql.successRate(ref, windowSeconds));
    },
    async latency(ref: WorkloadRef, windowSeconds: number, quantile: number): Promise<QueryResult> {
      const r = await port.query(promql.latency(ref, windowSeconds, quantile));
      if (r.kind !== 'value' || t.latencyUnit === 'milliseconds') return r;
      return { kind: 'value', value: r.value * 1000 };
    },
    async latencyTail(ref: WorkloadRef, windowSeconds: number, quantile: number): Promise<TailLatencyResult> {
      const r = await port.samples(fill(t.latencyBuckets, ref), Math.max(1, Math.round(windowSeconds)));
      if (r.kind !== 'samples') return r;
      const buckets = bucketsOf(r.series, t.latencyUnit === 'milliseconds' ? 1 : 1000);
      const [value, linear] = buckets ? [tailQuantile(buckets, quantile), linearQuantile(buckets, quantile)] : [];
      return value !== undefined && linear !== undefined ? { kind: 'value', value, linear } : { kind: 'no-data' };
    },
    query: (q) => port.query(q),
    ...(port.range
      ? {
          async history(metric: WorkloadMetric, ref: WorkloadRef, o): Promise<SamplesResult> {
            const q =
              metric === 'latency'
                ? promql.latency(ref, o.windowSeconds, o.quantile ?? 0.99)
                : promql[metric](ref, o.windowSeconds);
            const r = await port.range!(q, o.range);
            if (r.kind !== 'samples' || metric !== 'latency' || t.latencyUnit === 'milliseconds') return r;
            const series = r.series.map((s) => ({
              ...s,
              points: s.points.map(([at, v]): [number, number] => [at, v * 1000]),
            }));
            return { kind: 'samples', series };
          },
        }
      : {}),
  };
}

/**
 * Requests counted in a window of counter samples (each series' increases, a reset counted from 0), the
 * span of the samples and the median time between a series' samples; undefined without any sample.
 */
export function evidenceOf(series: readonly SampleSeries[]): Evidence | undefined {
  let requests = 0;
  let firstMs = Number.POSITIVE_INFINITY;
  let lastMs = Number.NEGATIVE_INFINITY;
  const gaps: number[] = [];
  for (const s of series) {
    let prev: [number, number] | undefined;
    for (const [ts, v] of s.points) {
      firstMs = Math.min(firstMs, ts);
      lastMs = Math.max(lastMs, ts);
      if (prev !== undefined) {
        requests += v >= prev[1] ? v - prev[1] : v;
        gaps.push(ts - prev[0]);
      }
      prev = [ts, v];
    }
  }
  if (!Number.isFinite(firstMs)) return undefined;
  gaps.sort((a, b) => a - b);
  const scrapeMs = gaps[Math.floor(gaps.length / 2)];
  return { requests: Math.round(requests), firstMs, lastMs, ...(scrapeMs !== undefined ? { scrapeMs } : {}) };
}
