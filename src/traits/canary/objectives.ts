/**
 * A canary judged by its component's declared objective: when its `analysis` lists no metrics and
 * another trait of the component declares an objective (an `slo`), the analysis checks the canary's own
 * pods against it — its latency at the objective's percentile, read as the objective is (the tail
 * followed within a bucket: WorkloadMetrics.latencyTail), and its success rate. An explicit analysis wins.
 */
import type { Objective } from '../api/runtime-trait.js';
import type { CanarySpec, MetricSpec } from './spec.js';

export function withObjectives(spec: CanarySpec, objectives: readonly Objective[] | undefined): CanarySpec {
  if (spec.analysis.metrics.length > 0 || !objectives?.length) return spec;
  const metrics: MetricSpec[] = [];
  for (const o of objectives) {
    if (o.latency)
      metrics.push({
        name: `latency-p${o.latency.percentile}`,
        quantile: o.latency.quantile,
        max: o.latency.maxMs,
        tail: true,
      });
    if (o.successRate) metrics.push({ name: 'success-rate', min: o.successRate.min });
  }
  return metrics.length > 0 ? { ...spec, analysis: { ...spec.analysis, metrics } } : spec;
}
