/**
 * The wording of an SLO autoscaling decision's reason: one line with the objective, what was observed, the
 * model's estimate, and the replicas chosen and why (`ferry slo`, the log and the Event show it).
 */
import type { LatencyModel } from './latency-model.js';
import type { Measured } from './memory.js';
import type { LatencyObjective, ScalingPolicy } from './policy.js';

export const round = (x: number, digits: number): number => Number(x.toFixed(digits));

/** A latency: `184 ms`, `7.5 ms`, `unbounded`. */
export const ms = (x: number): string => (Number.isFinite(x) ? `${round(x, x < 10 ? 1 : 0)} ms` : 'unbounded');

/** `p99 ≤ 200 ms (headroom 5 %)` */
export const objectiveText = (objective: LatencyObjective, policy: ScalingPolicy): string =>
  `p${round(objective.quantile * 100, 2)} ≤ ${ms(objective.maxMs)} (headroom ${round(policy.headroom * 100, 1)} %)`;

/** `observed 412 ms at 318.6 rps, rising to ~900 on 5/5 ready` */
export function observedText(o: Measured, rateNow: number): string {
  const latency = o.latencyMs === undefined ? 'no requests' : ms(o.latencyMs);
  const rising = rateNow > o.rps * 1.02 ? `, rising to ~${round(rateNow, 0)}` : '';
  return `observed ${latency} at ${round(o.rps, 1)} rps${rising} on ${o.readyReplicas}/${o.replicas} ready`;
}

/** `model 100 rps/pod, 10 ms service (line, 12 samples)` */
export function modelText(model: LatencyModel | undefined): string {
  if (!model) return 'no model yet';
  const how = `${model.source === 'fit' ? 'line' : 'M/M/1'}, ${model.samples} samples`;
  return `model ${round(model.capacityRps, 1)} rps/pod, ${ms(model.serviceMs)} service (${how})`;
}
