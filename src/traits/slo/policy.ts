/**
 * What the SLO autoscaler aims at (the latency objective) and the rules it moves within (bounds, cadence,
 * step limits, stabilization, headroom). The defaults follow the HPA where it has one: a decision every
 * 15 s, scale-up at once by at most ×2 or +4 pods; scale-down to the highest recommendation of the last
 * minute, Knative's stable window (the HPA's 5 minutes cost 12 % more replica-minutes in bench:slo).
 */

export interface LatencyObjective {
  /** The quantile, 0–1 (0.99 for p99). */
  quantile: number;
  /** Its bound, ms. */
  maxMs: number;
}

export interface ScalingPolicy {
  minReplicas: number;
  maxReplicas: number;
  /** How often the controller decides, ms. */
  periodMs: number;
  /** The window the rate and latency queries average over, ms. */
  windowMs: number;
  /** Scale down only to the highest recommendation of this long, ms. */
  stabilizationMs: number;
  /** Up per decision: to at most max(replicas × upFactor, replicas + upPods). */
  upFactor: number;
  upPods: number;
  /** Down per decision: at most this share of the replicas (at least one pod). */
  downShare: number;
  /**
   * Load each pod this share under the rate at which the model predicts the objective: the margin for noise,
   * for the model's error and for load that rises before new pods are ready.
   */
  headroom: number;
  /** Scale down only to replicas that load each pod this share under the aim: a band against flapping. */
  tolerance: number;
}

export const DEFAULT_POLICY: Omit<ScalingPolicy, 'minReplicas' | 'maxReplicas'> = {
  periodMs: 15_000,
  windowMs: 60_000,
  stabilizationMs: 60_000,
  upFactor: 2,
  upPods: 4,
  downShare: 0.25,
  headroom: 0.05,
  tolerance: 0.05,
};

/** A policy from its bounds and overrides of the defaults. */
export function scalingPolicy(
  p: Pick<ScalingPolicy, 'minReplicas' | 'maxReplicas'> & Partial<ScalingPolicy>,
): ScalingPolicy {
  return { ...DEFAULT_POLICY, ...p };
}

/** The most replicas one decision may go up to from `replicas`. */
export const upLimit = (replicas: number, policy: ScalingPolicy): number =>
  Math.max(Math.ceil(replicas * policy.upFactor), replicas + policy.upPods);

/** The fewest replicas one decision may go down to from `replicas`. */
export const downLimit = (replicas: number, policy: ScalingPolicy): number =>
  replicas - Math.max(1, Math.floor(replicas * policy.downShare));

/** `n` within the policy's bounds. */
export const clampReplicas = (n: number, policy: ScalingPolicy): number =>
  Math.min(policy.maxReplicas, Math.max(policy.minReplicas, n));
