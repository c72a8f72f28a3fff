/**
 * What the SLO autoscaler observes and keeps between decisions (plain JSON, stored by the controller): the
 * quiet observations its latency model is fitted to, the last window's request rates, the pods' changes
 * and its recommendations. A window's rate and quantile mix whatever happened in it, so an observation
 * becomes a sample only when it is quiet: every pod ready, the same pods for the whole window, and the
 * rate steady before it and (checked at the next observation) after it.
 */
import type { LatencySample } from './latency-model.js';
import type { LatencyObjective, ScalingPolicy } from './policy.js';

/** What the controller read at one evaluation; `rps` and `latencyMs` are undefined when a query had no data. */
export interface Observation {
  /** ms since the epoch. */
  at: number;
  /** The workload's spec.replicas. */
  replicas: number;
  readyReplicas: number;
  /** Requests per second to all its pods over the window. */
  rps: number | undefined;
  /** The objective's quantile of their latency over the window, ms; none without requests. */
  latencyMs: number | undefined;
}

/** An observation with data to act on: a request rate, and a latency whenever there were requests. */
export type Measured = Observation & { rps: number };

export interface RateReading {
  at: number;
  rps: number;
  /** Within noise of the reading a period before it. */
  steady: boolean;
}

export interface AutoscalerMemory {
  /** Quiet observations the model is fitted to, oldest first. */
  samples: LatencySample[];
  /** The latest quiet observation: a sample once the next one shows the rate did not jump at its end. */
  pending?: LatencySample;
  /** Request rates of the last window and two periods. */
  rates: RateReading[];
  /** Recommendations of the stabilization window. */
  recommendations: { at: number; replicas: number }[];
  /** Rates per pod at which the objective was measured broken (on pods the quantile is trusted for). */
  breaches: { at: number; ratePerPod: number }[];
  /** The latest breach: kept, as a pending sample is, once the next observation shows the rate held. */
  pendingBreach?: { at: number; ratePerPod: number };
  /** The pods last seen, when their count or readiness last changed, and the last decrease of the count. */
  pods: { replicas: number; readyReplicas: number; changedAt?: number; shrunk?: { at: number; from: number } };
}

/** Samples older than this are forgotten. */
const SAMPLE_HORIZON_MS = 30 * 60_000;
/** Samples kept per band of rates per pod 5 % wide: the newest; the spread of rates is what the fit needs. */
const PER_BAND = 4;
const BAND = Math.log(1.05);
const MAX_SAMPLES = 100;
const MAX_BREACHES = 20;
/** A quantile this many times the objective is saturation: the rate per pod says little beyond "too much". */
export const SATURATION = 3;

/** The memory before the first decision: as if the current count had just been recommended (no scale-down
 * before a whole stabilization window of evidence). */
export const firstMemory = (o: Observation): AutoscalerMemory => ({
  samples: [],
  rates: [],
  breaches: [],
  recommendations: [{ at: o.at, replicas: o.replicas }],
  pods: { replicas: o.replicas, readyReplicas: o.readyReplicas },
});

/** The observation with data, or what it lacks. */
export function measured(o: Observation): Measured | string {
  const { rps, latencyMs } = o;
  if (rps === undefined || !Number.isFinite(rps) || rps < 0) return 'no request rate';
  if (rps > 0 && (latencyMs === undefined || !Number.isFinite(latencyMs) || latencyMs <= 0)) return 'no latency';
  if (rps > 0 && o.readyReplicas <= 0) return 'no ready pod';
  return { ...o, rps };
}

/** Notes a change of the pods' count or readiness, and a decrease of the count. */
export function rememberPods(memory: AutoscalerMemory, o: Observation): AutoscalerMemory {
  const { pods } = memory;
  if (pods.replicas === o.replicas && pods.readyReplicas === o.readyReplicas) return memory;
  // A decrease makes the window's quantile a lower bound of the pods' (its older part had more); an increase
  // since ends that.
  const shrunk =
    o.replicas < pods.replicas
      ? { at: o.at, from: pods.replicas }
      : o.replicas > pods.replicas
        ? undefined
        : pods.shrunk;
  return {
    ...memory,
    pods: { replicas: o.replicas, readyReplicas: o.readyReplicas, changedAt: o.at, ...(shrunk ? { shrunk } : {}) },
  };
}

/** Notes a breach of the objective at this observation's rate per pod, pending the next observation. */
export function rememberBreach(memory: AutoscalerMemory, o: Measured): AutoscalerMemory {
  return { ...memory, pendingBreach: { at: o.at, ratePerPod: stored(o.rps / o.readyReplicas) } };
}

/** The lowest rate per pod at which the objective broke within the horizon. */
export function lowestBreach(memory: AutoscalerMemory, now: number): number | undefined {
  const rates = memory.breaches.filter((b) => b.at >= now - SAMPLE_HORIZON_MS).map((b) => b.ratePerPod);
  return rates.length > 0 ? Math.min(...rates) : undefined;
}

/** Every pod ready, and the same pods for the whole window: the window's latency is theirs. */
export const podsSettled = (memory: AutoscalerMemory, o: Observation, policy: ScalingPolicy): boolean =>
  o.readyReplicas === o.replicas &&
  (memory.pods.changedAt === undefined || o.at - memory.pods.changedAt >= policy.windowMs);

/** Notes the rate; keeps the pending sample if the rate held; makes this observation pending if it is quiet. */
export function rememberRate(
  memory: AutoscalerMemory,
  o: Measured,
  policy: ScalingPolicy,
  objective: LatencyObjective,
): AutoscalerMemory {
  const prev = memory.rates.at(-1);
  const steady = prev !== undefined && o.at - prev.at <= 2 * policy.periodMs && withinNoise(prev.rps, o.rps, policy);
  const since = o.at - policy.windowMs - 2 * policy.periodMs;
  const rates = [...memory.rates.filter((r) => r.at >= since), { at: o.at, rps: stored(o.rps), steady }];
  const kept = memory.pending && steady ? [...memory.samples, memory.pending] : memory.samples;
  const samples = thin(kept.filter((s) => s.at >= o.at - SAMPLE_HORIZON_MS));
  const broken = memory.pendingBreach && steady ? [...memory.breaches, memory.pendingBreach] : memory.breaches;
  const breaches = broken.filter((b) => b.at >= o.at - SAMPLE_HORIZON_MS).slice(-MAX_BREACHES);
  const latencyMs = o.latencyMs ?? 0;
  const quiet =
    steady && podsSettled(memory, o, policy) && o.rps > 0 && latencyMs > 0 && latencyMs < SATURATION * objective.maxMs;
  const { pending: _, pendingBreach: __, ...rest } = memory;
  return {
    ...rest,
    rates,
    samples,
    breaches,
    ...(quiet
      ? { pending: { at: o.at, ratePerPod: stored(o.rps / o.readyReplicas), latencyMs: stored(latencyMs) } }
      : {}),
  };
}

/** A number as the memory keeps it: 5 significant digits are plenty, and the JSON stays small. */
const stored = (x: number) => Number(x.toPrecision(5));

/** The newest PER_BAND samples of each band of rates, at most MAX_SAMPLES, oldest first. */
function thin(samples: readonly LatencySample[]): LatencySample[] {
  const perBand = new Map<number, number>();
  const kept: LatencySample[] = [];
  for (let i = samples.length - 1; i >= 0 && kept.length < MAX_SAMPLES; i--) {
    const band = Math.floor(Math.log(samples[i]!.ratePerPod) / BAND);
    const n = perBand.get(band) ?? 0;
    if (n >= PER_BAND) continue;
    perBand.set(band, n + 1);
    kept.push(samples[i]!);
  }
  return kept.reverse();
}

/** Two window rates a period apart agree within 5 %, or within three times the Poisson noise of few requests. */
function withinNoise(a: number, b: number, policy: ScalingPolicy): boolean {
  const requests = (Math.max(a, b) * policy.windowMs) / 1000;
  const tolerance = Math.max(0.05, requests > 0 ? 3 / Math.sqrt(requests) : 1);
  return Math.abs(a - b) <= tolerance * Math.max(a, b);
}

/**
 * The request rate now. A window's average lags a change; the newest period's own rate is the period that
 * left the window plus the change of the average times window ÷ period. The period that left is read from
 * the reading one window ago, when that one was steady, moved along the trend it was on: exact for a step,
 * about half a period late on a ramp. The difference multiplies noise by window ÷ period, so this is done
 * only while the average has moved twice in a row, the same way, by more than twice the Poisson noise of a
 * period's requests. Up, the pods come sooner; down, the stabilization window starts sooner (it still holds
 * the higher recommendations for its whole length).
 */
export function currentRate(rates: readonly RateReading[], policy: ScalingPolicy): number {
  const [before, prev, now] = [rates.at(-3), rates.at(-2), rates.at(-1)!];
  const near = (at: number) => rates.find((r) => Math.abs(r.at - at) <= policy.periodMs / 2);
  const ref = near(now.at - policy.windowMs);
  if (!before || !prev || !ref?.steady) return now.rps;
  const direction = moved(before, prev, policy);
  if (direction === 0 || moved(prev, now, policy) !== direction) return now.rps;
  const beforeRef = near(ref.at - policy.periodMs);
  const period = now.at - prev.at;
  const trend = beforeRef && beforeRef !== ref ? (ref.rps - beforeRef.rps) / (ref.at - beforeRef.at) : 0;
  const left = ref.rps + (trend * (policy.windowMs - period)) / 2;
  const rebuilt = left + ((now.rps - prev.rps) * policy.windowMs) / period;
  return direction > 0 ? Math.max(now.rps, rebuilt) : Math.max(0, Math.min(now.rps, rebuilt));
}

/**
 * Whether the window's average rose (1) or fell (-1) from `a` to `b`, a period apart, by more than twice the
 * noise of its requests; 0 when neither.
 */
function moved(a: RateReading, b: RateReading, policy: ScalingPolicy): -1 | 0 | 1 {
  const period = b.at - a.at;
  if (period <= 0 || period > 2 * policy.periodMs) return 0;
  const noise = Math.sqrt((2 * Math.max(a.rps, b.rps) * period) / 1000) / (policy.windowMs / 1000);
  if (b.rps - a.rps > 2 * noise) return 1;
  return a.rps - b.rps > 2 * noise ? -1 : 0;
}
