/**
 * The latency model the SLO autoscaler fits to what it observes: a pod answers in a time exponentially
 * distributed with mean `s / (1 − r/C)` (`s` its service time, `r` the requests per second it gets, `C`
 * the rate it serves before it queues without bound), the M/M/1 sojourn time when `C = 1/s`. Its
 * q-quantile is `L = k·s / (1 − r/C)` with `k = −ln(1 − q)`, so `1/L = a − b·r` is linear in the rate per
 * pod (`a = 1/(k·s)`, `b = a/C`): latency is not linear in replicas, its inverse is linear in load.
 *
 * Pure: samples in, a model and predictions out.
 */

/** One quiet observation: the rate each pod got over the window and the latency quantile measured. */
export interface LatencySample {
  /** When it was observed, ms since the epoch. */
  at: number;
  ratePerPod: number;
  latencyMs: number;
}

export interface LatencyModel {
  /** Requests per second one pod serves before it queues without bound. */
  capacityRps: number;
  /** Mean service time without queueing, ms. */
  serviceMs: number;
  /** `fit`: a line through samples at different rates; `mm1`: one M/M/1 queue (`C = 1/s`) through them. */
  source: 'fit' | 'mm1';
  /** The samples it was fitted to. */
  samples: number;
}

/** `k` of a quantile: the q-quantile of an exponential distribution is `k` times its mean. */
export const quantileFactor = (quantile: number): number => -Math.log(1 - quantile);

/** The model's q-quantile, ms, of a pod getting `ratePerPod`; Infinity at or beyond its capacity. */
export function predictLatencyMs(model: LatencyModel, quantile: number, ratePerPod: number): number {
  const free = 1 - ratePerPod / model.capacityRps;
  return free <= 0 ? Number.POSITIVE_INFINITY : (quantileFactor(quantile) * model.serviceMs) / free;
}

/** The rate per pod at which the model's q-quantile is `targetMs`; undefined when the service time alone is slower. */
export function ratePerPodAt(model: LatencyModel, quantile: number, targetMs: number): number | undefined {
  const floor = quantileFactor(quantile) * model.serviceMs;
  return floor >= targetMs ? undefined : model.capacityRps * (1 - floor / targetMs);
}

/** The fewest pods (at least one) over which `rps` gives each at most `ratePerPod`. */
export const podsFor = (rps: number, ratePerPod: number): number => Math.max(1, Math.ceil(rps / ratePerPod - 1e-9));

/** Below the trusted spread, a line must allow this share less than the queue to be taken over it. */
const CLEARLY_LESS = 0.05;

/** How the fit weighs its samples. */
export interface FitOptions {
  quantile: number;
  now: number;
  /** A sample this old counts half as much as one taken now. */
  halfLifeMs: number;
  /** The fewest (max rate ÷ min rate) − 1 across the samples for a line through them (0.05: 5 %). */
  minSpread: number;
  /** From this spread on, the line alone; below it, the queue unless the line allows clearly less at `targetMs`. */
  trustSpread: number;
  /** The latency the model will be asked about (the objective). */
  targetMs: number;
}

/**
 * The model that best explains the samples. Two candidates: a weighted least-squares line `1/L = a − b·r`,
 * when their rates per pod differ enough and the line slopes down; and one M/M/1 queue through them
 * (`C = r + k/L`, their weighted mean), which needs one rate only and is exact when `C = 1/s`. A line through
 * rates close together extrapolates its slope's noise (a histogram quantile's error differs from bucket to
 * bucket), so until the rates spread `trustSpread` it is taken only when it allows clearly less than the
 * queue at `targetMs` (5 %: more than a quantile's noise moves it). A sample's weight halves every
 * `halfLifeMs` and grows with its latency squared (a quantile's noise is relative, so its inverse is noisier
 * where it is large; the slow samples near the objective are the ones that matter). Undefined without
 * samples.
 */
export function fitLatencyModel(samples: readonly LatencySample[], options: FitOptions): LatencyModel | undefined {
  if (samples.length === 0) return undefined;
  const k = quantileFactor(options.quantile);
  const weights = samples.map((s) => 2 ** (-(options.now - s.at) / options.halfLifeMs) * (s.latencyMs / 1000) ** 2);
  const queue = fitQueue(samples, weights, k);
  const line = fitLine(samples, weights, k, options.minSpread);
  if (!line) return queue;
  const rates = samples.map((s) => s.ratePerPod);
  if (Math.max(...rates) >= Math.min(...rates) * (1 + options.trustSpread)) return line;
  const allows = (m: LatencyModel) => ratePerPodAt(m, options.quantile, options.targetMs) ?? 0;
  return allows(line) < allows(queue) * (1 - CLEARLY_LESS) ? line : queue;
}

function fitLine(
  samples: readonly LatencySample[],
  weights: readonly number[],
  k: number,
  minSpread: number,
): LatencyModel | undefined {
  const rates = samples.map((s) => s.ratePerPod);
  if (samples.length < 2 || Math.max(...rates) < Math.min(...rates) * (1 + minSpread)) return undefined;
  let w = 0;
  let mx = 0;
  let my = 0;
  samples.forEach((s, i) => {
    w += weights[i]!;
    mx += weights[i]! * s.ratePerPod;
    my += (weights[i]! * 1000) / s.latencyMs;
  });
  mx /= w;
  my /= w;
  let sxy = 0;
  let sxx = 0;
  samples.forEach((s, i) => {
    sxy += weights[i]! * (s.ratePerPod - mx) * (1000 / s.latencyMs - my);
    sxx += weights[i]! * (s.ratePerPod - mx) ** 2;
  });
  const b = -sxy / sxx;
  const a = my + b * mx;
  if (!(a > 0 && b > 0) || a / b <= Math.max(...rates)) return undefined;
  return { capacityRps: a / b, serviceMs: 1000 / (k * a), source: 'fit', samples: samples.length };
}

function fitQueue(samples: readonly LatencySample[], weights: readonly number[], k: number): LatencyModel {
  let w = 0;
  let capacity = 0;
  samples.forEach((s, i) => {
    w += weights[i]!;
    capacity += weights[i]! * (s.ratePerPod + (1000 * k) / s.latencyMs);
  });
  capacity /= w;
  return { capacityRps: capacity, serviceMs: 1000 / capacity, source: 'mm1', samples: samples.length };
}
