/**
 * Where a trait's metrics come from, per environment (ferry.yaml's `metrics`, top level and per
 * environment): the Prometheus to ask, and the provider that owns the query templates.
 */

/** The built-in providers: how a cluster's metrics name a workload's requests. */
export const METRIC_PROVIDERS = ['pods', 'istio', 'nginx-ingress', 'custom'] as const;
export type MetricProvider = (typeof METRIC_PROVIDERS)[number];

/**
 * A `custom` provider's series selectors, with `{{ namespace }}`, `{{ workload }}`, `{{ service }}` and
 * `{{ pods }}` (a regex of the workload's pod names) substituted. Selectors, not whole queries: Ferry
 * takes rates and quantiles itself and reads the raw samples to know how much data a window holds.
 */
export interface CustomTemplates {
  /** The request counter, e.g. `my_requests_total{namespace="{{ namespace }}",app="{{ workload }}"}`. */
  requests: string;
  /** The same counter, server errors only (e.g. with `code=~"5.."`). */
  errors: string;
  /** The latency histogram's `_bucket` series. */
  latencyBuckets: string;
  /** The unit of the histogram's `le` (default seconds). */
  latencyUnit?: 'seconds' | 'milliseconds';
}

export interface MetricsSourceConfig {
  /** Prometheus's URL (default: `ferry serve --prometheus-url` or FERRY_PROMETHEUS_URL). */
  prometheus?: string;
  /** Default `pods`. */
  provider?: MetricProvider;
  custom?: CustomTemplates;
}

/** An environment's source: its own fields over the top-level ones. */
export function mergeMetricsSource(
  base: MetricsSourceConfig | undefined,
  own: MetricsSourceConfig | undefined,
): MetricsSourceConfig | undefined {
  if (!base) return own;
  if (!own) return base;
  return { ...base, ...own };
}
