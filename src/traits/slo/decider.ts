/**
 * The autoscaler (autoscaler.ts) bound to one `slo` trait's settings and its memory between evaluations:
 * what the watch asks each interval.
 */
import {
  type AutoscalerMemory,
  decideReplicas,
  type Observation,
  scalingPolicy,
  type ScaleDecision,
} from './autoscaler.js';
import type { SloSpec } from './spec.js';

export interface Decider {
  decide(o: Observation): ScaleDecision;
  /** The memory to keep with the status (a restarted controller hands it back). */
  readonly memory: AutoscalerMemory | undefined;
}

export function newDecider(spec: SloSpec, memory?: AutoscalerMemory): Decider {
  const policy = scalingPolicy({
    minReplicas: spec.replicas.min,
    maxReplicas: spec.replicas.max,
    periodMs: spec.intervalMs,
    windowMs: spec.windowMs,
    stabilizationMs: spec.scaleDownStabilizationMs,
  });
  const objective = { quantile: spec.latency.quantile, maxMs: spec.latency.maxMs };
  let kept = memory;
  return {
    decide(observation) {
      const r = decideReplicas({ objective, policy, observation, ...(kept ? { memory: kept } : {}) });
      kept = r.memory;
      return r.decision;
    },
    get memory() {
      return kept;
    },
  };
}
