/**
 * The world bench:slo plays, second by second, with the traffic simulator's own model
 * (src/localcluster/traffic/behaviour.ts): a load profile; pods that become ready 5–10 s after they are
 * asked for and go at once when removed; every second's requests spread evenly over the ready pods, each
 * request's latency drawn from the model and counted in the simulator's histogram buckets; and what the
 * controller would read from Prometheus at an evaluation: the window's request rate and the quantile over
 * the window's buckets, read as the controller reads it (src/metrics/histogram.ts: the tail followed
 * within the bucket) or, to compare, linearly as Prometheus's `histogram_quantile` does.
 */
import { type Behaviour, latencyQuantile, meanLatency } from '../src/localcluster/traffic/behaviour.js';
import { BUCKETS } from '../src/localcluster/traffic/exposition.js';
import type { Random } from '../src/localcluster/traffic/rng.js';
import type { Observation } from '../src/traits/slo/autoscaler.js';
import { linearQuantile, tailQuantile } from '../src/metrics/histogram.js';

/** How the quantile is read from the buckets: as the SLO autoscaler does, or as `histogram_quantile` does. */
export type QuantileReading = 'tail' | 'linear';

export type PhaseKind = 'steady' | 'step' | 'ramp' | 'drop';

/** A stretch of the load profile: the rate goes from `fromRps` to `toRps` linearly (at once for a step). */
export interface Phase {
  name: string;
  kind: PhaseKind;
  seconds: number;
  fromRps: number;
  toRps: number;
}

/** The request rate `t` seconds into the profile. */
export function rateAt(profile: readonly Phase[], t: number): number {
  let start = 0;
  for (const p of profile) {
    if (t < start + p.seconds)
      return p.kind === 'ramp' ? p.fromRps + ((p.toRps - p.fromRps) * (t - start)) / p.seconds : p.toRps;
    start += p.seconds;
  }
  return profile.at(-1)?.toRps ?? 0;
}

/** The phase `t` seconds into the profile, and when it started. */
export function phaseAt(profile: readonly Phase[], t: number): { phase: Phase; start: number } {
  let start = 0;
  for (const phase of profile) {
    if (t < start + phase.seconds) return { phase, start };
    start += phase.seconds;
  }
  return { phase: profile.at(-1)!, start: start - profile.at(-1)!.seconds };
}

/** The model's q-quantile, ms, with `rps` spread over `ready` pods (unbounded without a ready pod). */
export function trueQuantileMs(b: Behaviour, rps: number, ready: number, q: number): number {
  return ready === 0 ? Number.POSITIVE_INFINITY : latencyQuantile(b, rps / ready, q) * 1000;
}

/** The fewest pods whose model quantile meets `maxMs` at `rps`: the oracle. */
export function oracleReplicas(b: Behaviour, rps: number, q: number, maxMs: number): number {
  let n = 1;
  while (trueQuantileMs(b, rps, n, q) > maxMs) n++;
  return n;
}

const MAX_LATENCY_S = 30;

/** A normal draw (Box–Muller). */
function gaussian(r: Random): number {
  return Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
}

/** Requests arriving in one second at `rps`: Poisson, drawn as its normal approximation. */
const arrivals = (r: Random, rps: number) => Math.max(0, Math.round(rps + Math.sqrt(rps) * gaussian(r)));

/** One workload under one autoscaler: its pods and the last window's requests. */
export class Workload {
  /** When each pod is (or was) ready, seconds. */
  private pods: number[] = [];
  /** Per second of the window: requests and their counts per bucket (the last one +Inf). */
  private seconds: { requests: number; buckets: Float64Array }[] = [];

  constructor(
    private readonly behaviour: Behaviour,
    private readonly random: Random,
    private readonly windowS: number,
    replicas: number,
    /** The histogram's bucket bounds, seconds (the last finite one; +Inf is added). */
    private readonly bounds: readonly number[] = BUCKETS,
    private readonly reading: QuantileReading = 'tail',
  ) {
    this.pods = Array.from({ length: replicas }, () => Number.NEGATIVE_INFINITY);
  }

  get replicas(): number {
    return this.pods.length;
  }

  readyAt(t: number): number {
    return this.pods.filter((p) => p <= t).length;
  }

  /** New pods are ready 5–10 s after `t`; removed pods go at once, those not ready first. */
  scale(desired: number, t: number): void {
    this.pods.sort((a, b) => a - b);
    while (this.pods.length > desired) this.pods.pop();
    while (this.pods.length < desired) this.pods.push(t + 5 + 5 * this.random.next());
  }

  /** Serves second `t` at `rps`: draws every request's latency and counts it in its bucket. */
  serve(t: number, rps: number): void {
    const ready = this.readyAt(t);
    const n = arrivals(this.random, rps);
    const buckets = new Float64Array(this.bounds.length + 1);
    const mean = ready === 0 ? MAX_LATENCY_S : meanLatency(this.behaviour, rps / ready);
    // An exponential draw lands in the first bucket whose CDF reaches its uniform draw (capped at 30 s, as
    // the simulator caps a request's latency: never in +Inf).
    const cdf = this.bounds.map((b) => 1 - Math.exp(-b / mean));
    for (let i = 0; i < n; i++) {
      const u = this.random.next();
      let b = 0;
      while (b < cdf.length - 1 && u > cdf[b]!) b++;
      buckets[b]!++;
    }
    this.seconds.push({ requests: n, buckets });
    if (this.seconds.length > this.windowS) this.seconds.shift();
  }

  /** What the controller reads at second `t`: the window's rate and quantile (none without requests). */
  observe(t: number, q: number): Observation {
    const total = new Float64Array(this.bounds.length + 1);
    let requests = 0;
    for (const s of this.seconds) {
      requests += s.requests;
      s.buckets.forEach((c, i) => (total[i]! += c));
    }
    let cumulative = 0;
    const buckets = [...total].map((c, i) => ({
      le: i < this.bounds.length ? this.bounds[i]! * 1000 : Number.POSITIVE_INFINITY,
      count: (cumulative += c),
    }));
    const read = this.reading === 'tail' ? tailQuantile : linearQuantile;
    return {
      at: t * 1000,
      replicas: this.replicas,
      readyReplicas: this.readyAt(t),
      rps: requests / this.windowS,
      latencyMs: requests === 0 ? undefined : read(buckets, q),
    };
  }
}
