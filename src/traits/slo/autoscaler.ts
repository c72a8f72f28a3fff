/**
 * Ferry's SLO autoscaler: how many replicas keep a workload's latency quantile under its objective. Pure:
 * one observation (spec and ready replicas, the request rate and latency quantile over the query window)
 * and the memory of the earlier ones in; a decision with its one-line reason, and the memory for the next,
 * out. The controller decides every `periodMs` and stores the memory as opaque JSON.
 *
 * Latency is not linear in replicas, so the replica count is not scaled by observed ÷ target as a
 * proportional controller does. A queueing model is fitted to quiet observations (latency-model.ts), and
 * the recommendation is the fewest replicas whose predicted quantile at the current rate meets the
 * objective with headroom (recommend.ts). Up: at once, within the step limit. Down: only to the highest
 * recommendation of the stabilization window, within the step limit. Missing data keeps the current
 * replicas and restarts the wait before a scale-down.
 */
import {
  type AutoscalerMemory,
  firstMemory,
  type Measured,
  measured,
  type Observation,
  rememberBreach,
  rememberPods,
  rememberRate,
} from './memory.js';
import { clampReplicas, downLimit, type LatencyObjective, type ScalingPolicy, upLimit } from './policy.js';
import { modelText, objectiveText, observedText, round } from './reason.js';
import { predictLatencyMs } from './latency-model.js';
import { assessObservation, type Recommendation, recommend, type View } from './recommend.js';

export type { AutoscalerMemory, Observation } from './memory.js';
export { DEFAULT_POLICY, type LatencyObjective, type ScalingPolicy, scalingPolicy } from './policy.js';

export interface ScaleDecision {
  desired: number;
  /** One line: the objective, the observed values, the estimate, the replicas chosen and why. */
  reason: string;
  /**
   * The model's estimate: a pod's capacity and service time, and the quantile predicted at `desired`. None
   * without a model, or when `desired` (held by the maximum) leaves the pods past their capacity.
   */
  estimate?: { capacityRps?: number; serviceMs?: number; predictedMs: number };
}

export interface DecideArgs {
  objective: LatencyObjective;
  policy: ScalingPolicy;
  observation: Observation;
  /** The memory the previous decision returned; none at the first. */
  memory?: AutoscalerMemory;
}

/** The replicas for this observation, and the memory for the next decision. */
export function decideReplicas(args: DecideArgs): { decision: ScaleDecision; memory: AutoscalerMemory } {
  const { objective, policy, observation: o } = args;
  const seen = rememberPods(args.memory ?? firstMemory(o), o);
  const m = measured(o);
  if (typeof m === 'string') return keep(args, seen, m);
  const noted = rememberRate(seen, m, policy, objective);
  const view = assessObservation(noted, m, objective, policy);
  // A breach at a steady rate (before and, once the next observation is in, after) says at which rate per pod
  // the pods fail; at a jump the window's rate lags its latency.
  const memory = view.breached && noted.rates.at(-1)?.steady ? rememberBreach(noted, m) : noted;
  const rec = recommend(view, m, objective, policy);
  const recommendations = [...recent(memory, o, policy), { at: o.at, replicas: rec.replicas }];
  const step = settle(rec, recommendations, o.replicas, policy);
  const reason = [objectiveText(objective, policy), observedText(m, view.rps), modelText(view.model), rec.why];
  return {
    decision: {
      desired: step.desired,
      reason: [...reason, step.why].join('; '),
      ...estimate(view, m, objective, step),
    },
    memory: { ...memory, recommendations },
  };
}

const recent = (memory: AutoscalerMemory, o: Observation, policy: ScalingPolicy) =>
  memory.recommendations.filter((r) => r.at > o.at - policy.stabilizationMs);

/** No data: the current replicas (within bounds), recorded as a recommendation so a scale-down waits again. */
function keep(args: DecideArgs, memory: AutoscalerMemory, missing: string) {
  const { objective, policy, observation: o } = args;
  const desired = clampReplicas(o.replicas, policy);
  const what = desired === o.replicas ? `keeping ${desired}` : `${o.replicas} → ${desired} (bounds)`;
  const { pending: _, ...rest } = memory;
  return {
    decision: { desired, reason: `${objectiveText(objective, policy)}; no data (${missing}): ${what}` },
    memory: { ...rest, recommendations: [...recent(memory, o, policy), { at: o.at, replicas: o.replicas }] },
  };
}

/**
 * Up at once; down to the highest recommendation of the window, no further than the recommendation's floor;
 * each within its step; within bounds.
 */
function settle(
  rec: Recommendation,
  recommendations: readonly { replicas: number }[],
  replicas: number,
  policy: ScalingPolicy,
): { desired: number; why: string } {
  const highest = Math.max(...recommendations.map((r) => r.replicas));
  let target = rec.replicas > replicas ? rec.replicas : Math.min(replicas, highest);
  let why =
    target > rec.replicas ? `holding ${target}, the highest of the last ${policy.stabilizationMs / 1000} s` : '';
  if (rec.floor && target < Math.min(replicas, rec.floor.replicas))
    [target, why] = [Math.min(replicas, rec.floor.replicas), rec.floor.why];
  if (target > upLimit(replicas, policy)) [target, why] = [upLimit(replicas, policy), 'step limit'];
  if (target < downLimit(replicas, policy)) [target, why] = [downLimit(replicas, policy), 'step limit'];
  const desired = clampReplicas(target, policy);
  if (desired !== target) why = desired === policy.minReplicas ? 'the minimum' : 'the maximum';
  const change = desired === replicas ? `keeping ${desired}` : `${replicas} → ${desired}`;
  return { desired, why: why ? `${change} (${why})` : change };
}

function estimate(view: View, o: Measured, objective: LatencyObjective, step: { desired: number }) {
  if (!view.model) return {};
  const predictedMs = predictLatencyMs(view.model, objective.quantile, o.rps === 0 ? 0 : view.rps / step.desired);
  if (!Number.isFinite(predictedMs)) return {};
  const { capacityRps, serviceMs } = view.model;
  return {
    estimate: {
      capacityRps: round(capacityRps, 1),
      serviceMs: round(serviceMs, 2),
      predictedMs: round(predictedMs, 1),
    },
  };
}
