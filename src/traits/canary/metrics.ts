/** The canary's own Prometheus metrics, registered on the controller's registry when the trait starts. */
import { Counter, Gauge, type Registry } from 'prom-client';

export function canaryMetrics(registry: Registry) {
  return {
    weight: new Gauge({
      name: 'ferry_canary_weight',
      help: "The canary's traffic weight, % (0 when none runs)",
      labelNames: ['app', 'env', 'component'],
      registers: [registry],
    }),
    phase: new Gauge({
      name: 'ferry_canary_phase',
      help: "1 for the canary's current phase (Progressing, Paused, Inconclusive, Promoting, Succeeded, Aborted)",
      labelNames: ['app', 'env', 'component', 'phase'],
      registers: [registry],
    }),
    analysisRuns: new Counter({
      name: 'ferry_analysis_runs_total',
      help: 'Canary analysis runs by result (Successful, Failed, Inconclusive)',
      labelNames: ['app', 'env', 'result'],
      registers: [registry],
    }),
    analysisQueries: new Counter({
      name: 'ferry_analysis_queries_total',
      help: 'Metrics queries sent by canary analysis',
      labelNames: ['app', 'env'],
      registers: [registry],
    }),
  };
}

export type CanaryMetrics = ReturnType<typeof canaryMetrics>;
