/**
 * The SLO autoscaler's recommendation for one observation, before stabilization and step limits: the
 * fewest replicas at which the fitted latency model keeps each pod `headroom` under the rate that meets the
 * objective (scaling down only past a tolerance band, and never loading pods far beyond what they were seen
 * to carry), raised when the measured quantile itself breaks the objective on pods it can be trusted for.
 */
import {
  fitLatencyModel,
  type LatencyModel,
  podsFor,
  predictLatencyMs,
  quantileFactor,
  ratePerPodAt,
} from './latency-model.js';
import { type AutoscalerMemory, currentRate, lowestBreach, type Measured, podsSettled, SATURATION } from './memory.js';
import { type LatencyObjective, type ScalingPolicy, upLimit } from './policy.js';
import { ms, round } from './reason.js';

/** What the recommendation is made from. */
export interface View {
  /** The request rate now (see currentRate). */
  rps: number;
  model: LatencyModel | undefined;
  /** The window's latency was measured on the current pods, all ready. */
  settled: boolean;
  /** The replicas before a decrease within the last window (and a period), all pods ready now. */
  shrunkFrom?: number;
  /** The highest rate per pod at which a sample met the objective. */
  safeRate?: number;
  /** The lowest rate per pod at which the objective was measured broken within the sample horizon. */
  breachRate?: number;
  /** The measured quantile breaks the objective on pods it can be trusted for. */
  breached: boolean;
}

export interface Recommendation {
  replicas: number;
  /** Why, for the decision's reason. */
  why: string;
  /**
   * How far down this decision may go, whatever the stabilization window allows: the fewest replicas that
   * load pods no further than the evidence backs the model (trustedRate). A step limit: the recommendation
   * itself is what the stabilization window remembers, so the way down resumes as evidence comes in.
   */
  floor?: { replicas: number; why: string };
}

const HALF_LIFE_MS = 10 * 60_000;
/** Rates per pod must differ by this share before a line is fitted through them. */
const MIN_SPREAD = 0.05;
/** From this spread on, the line is trusted over the M/M/1 queue even where it allows more. */
const TRUST_SPREAD = 0.25;
/**
 * How far the model is trusted beyond what was seen: this share beyond the highest rate per pod seen to meet
 * the objective, or wherever it meets the aim with this share less capacity.
 */
const EXTRAPOLATION = 0.25;

export function assessObservation(
  memory: AutoscalerMemory,
  o: Measured,
  objective: LatencyObjective,
  policy: ScalingPolicy,
): View {
  const model = fitLatencyModel(memory.samples, {
    quantile: objective.quantile,
    now: o.at,
    halfLifeMs: HALF_LIFE_MS,
    minSpread: MIN_SPREAD,
    trustSpread: TRUST_SPREAD,
    targetMs: objective.maxMs,
  });
  const { shrunk } = memory.pods;
  const recent = shrunk && o.readyReplicas === o.replicas && o.at - shrunk.at <= policy.windowMs + policy.periodMs;
  const safe = memory.samples.filter((s) => s.latencyMs <= objective.maxMs).map((s) => s.ratePerPod);
  const settled = podsSettled(memory, o, policy);
  const breachRate = lowestBreach(memory, o.at);
  return {
    rps: currentRate(memory.rates, policy),
    model,
    settled,
    ...(recent ? { shrunkFrom: shrunk.from } : {}),
    ...(safe.length > 0 ? { safeRate: Math.max(...safe) } : {}),
    ...(breachRate !== undefined ? { breachRate } : {}),
    breached: (settled || Boolean(recent)) && o.rps > 0 && (o.latencyMs ?? 0) > objective.maxMs,
  };
}

/** The model's replicas, or the measured violation's when it asks for more. */
export function recommend(view: View, o: Measured, objective: LatencyObjective, policy: ScalingPolicy): Recommendation {
  if (o.rps === 0) return { replicas: policy.minReplicas, why: 'no requests: the minimum' };
  const byModel = modelReplicas(view, o.replicas, objective, policy);
  const byViolation = violationReplicas(view, o, objective, policy);
  return byViolation && byViolation.replicas > Math.max(byModel.replicas, byModel.floor?.replicas ?? 0)
    ? byViolation
    : byModel;
}

/**
 * Up to the fewest pods that meet the aim; down only to the fewest that meet the aim less the tolerance.
 * Never aims at a rate per pod the objective was measured to break at. Where the model extrapolates beyond
 * the trusted rate (trustedRate), a decrease stops there (a floor), and while the model is the M/M/1 guess
 * (one rate seen: its capacity is an assumption) so does an increase.
 */
function modelReplicas(
  view: View,
  replicas: number,
  objective: LatencyObjective,
  policy: ScalingPolicy,
): Recommendation {
  const { model } = view;
  if (!model) return { replicas, why: 'no quiet observation to fit yet: keep' };
  const atObjective = ratePerPodAt(model, objective.quantile, objective.maxMs);
  const atCurrent = `${ms(predictLatencyMs(model, objective.quantile, view.rps / replicas))} predicted at ${replicas}`;
  if (atObjective === undefined) return { replicas, why: `unreachable: ${atCurrent} (service time alone): keep` };
  const aim = Math.min(atObjective, view.breachRate ?? Number.POSITIVE_INFINITY) * (1 - policy.headroom);
  const broke = view.breachRate !== undefined && view.breachRate < atObjective;
  const aimText = `aim ${round(aim, 1)} rps/pod${broke ? ` (broke at ${round(view.breachRate!, 1)})` : ''}`;
  const trusted = trustedRate(view, model, objective, policy);
  const n = podsFor(view.rps, aim);
  const up = model.source === 'mm1' && trusted ? Math.max(n, podsFor(view.rps, trusted.rate)) : n;
  if (up > replicas)
    return { replicas: up, why: `${atCurrent}; ${aimText}${up > n ? `, ${trusted!.why}` : ''}: ${up}` };
  const band = 1 - policy.tolerance;
  const down = podsFor(view.rps, aim * band);
  if (down >= replicas) return { replicas, why: `${atCurrent}; ${aimText}` };
  const why = `${atCurrent}; ${aimText} less ${round(policy.tolerance * 100, 1)} %: ${down}`;
  const floor = Math.min(replicas, trusted ? podsFor(view.rps, trusted.rate * band) : replicas);
  if (floor <= down) return { replicas: down, why };
  return { replicas: down, why, floor: { replicas: floor, why: trusted?.why ?? 'no rate per pod seen to meet it' } };
}

/**
 * The highest rate per pod the evidence backs the model at: EXTRAPOLATION beyond the highest rate seen to
 * meet the objective, or, further, wherever the model still meets the aim with EXTRAPOLATION less capacity
 * (far from saturation, where its error cannot matter).
 */
function trustedRate(
  view: View,
  model: LatencyModel,
  objective: LatencyObjective,
  policy: ScalingPolicy,
): { rate: number; why: string } | undefined {
  const beyondSeen = (view.safeRate ?? 0) * (1 + EXTRAPOLATION);
  const cautious = { ...model, capacityRps: model.capacityRps * (1 - EXTRAPOLATION) };
  const farFrom = (ratePerPodAt(cautious, objective.quantile, objective.maxMs) ?? 0) * (1 - policy.headroom);
  const rate = Math.max(beyondSeen, farFrom);
  const seen = view.safeRate ? `seen ${round(view.safeRate, 1)}` : 'none seen';
  return rate > 0 ? { rate, why: `at most ${round(rate, 1)} rps/pod (${seen})` } : undefined;
}

/**
 * The measured quantile breaks the objective: the model is wrong or late. Trusted when the window saw only
 * the current pods, or when the count went down within it (the window's older part had more pods, so the
 * quantile is if anything too low). After a decrease: back to the count before it. Saturated: the largest
 * step. Else at least one more pod, and what one M/M/1 queue through this observation needs.
 */
function violationReplicas(
  view: View,
  o: Measured,
  objective: LatencyObjective,
  policy: ScalingPolicy,
): Recommendation | undefined {
  const latency = o.latencyMs ?? 0;
  if (!view.breached) return undefined;
  if (view.shrunkFrom !== undefined) {
    const n = Math.max(view.shrunkFrom, o.replicas + 1);
    return { replicas: n, why: `above the objective since the last decrease: back to ${n}` };
  }
  if (latency >= SATURATION * objective.maxMs)
    return { replicas: upLimit(o.replicas, policy), why: `saturated (over ${SATURATION}× the objective): step up` };
  const capacityRps = o.rps / o.readyReplicas + (1000 * quantileFactor(objective.quantile)) / latency;
  const local: LatencyModel = { capacityRps, serviceMs: 1000 / capacityRps, source: 'mm1', samples: 1 };
  const rate = ratePerPodAt(local, objective.quantile, objective.maxMs);
  const n = Math.max(o.replicas + 1, rate ? podsFor(view.rps, rate * (1 - policy.headroom)) : 0);
  return { replicas: n, why: `above the objective on settled pods: ${n} by an M/M/1 queue through it` };
}
