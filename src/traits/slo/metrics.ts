/** The SLO autoscaler's own Prometheus metrics, registered on the controller's registry when the trait starts. */
import { Counter, Gauge, type Registry } from 'prom-client';

const labelNames = ['app', 'env', 'component'] as const;

export function sloMetrics(registry: Registry) {
  return {
    observed: new Gauge({
      name: 'ferry_slo_observed_seconds',
      help: "The component's latency at its objective's percentile, as last observed",
      labelNames,
      registers: [registry],
    }),
    target: new Gauge({
      name: 'ferry_slo_target_seconds',
      help: "The component's latency objective",
      labelNames,
      registers: [registry],
    }),
    desired: new Gauge({
      name: 'ferry_slo_desired_replicas',
      help: 'The replicas the SLO autoscaler chose',
      labelNames,
      registers: [registry],
    }),
    violation: new Counter({
      name: 'ferry_slo_violation_seconds_total',
      help: 'Seconds the observed latency was above the objective',
      labelNames,
      registers: [registry],
    }),
  };
}

export type SloMetrics = ReturnType<typeof sloMetrics>;
