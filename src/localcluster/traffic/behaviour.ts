/**
 * What a simulated pod does with a request: its behaviour comes from its image tag and annotations,
 * its latency from a queueing model. Pure: the simulator draws from it, tests compute expectations.
 *
 * Latency is exponentially distributed with mean `s / (1 − ρ)`: `s` the pod's service time, `ρ` its
 * utilisation (arrival rate ÷ capacity, capped at 0.99). This is the M/M/1 sojourn time when the
 * capacity is 1/s; without a capacity annotation ρ = 0 (the pod never queues).
 */
import { exponential, type Random } from './rng.js';

export const ANNOTATIONS = {
  /** On a Service or an HTTPRoute: synthetic requests per second sent to it. */
  rps: 'sim.ferry.dev/rps',
  /** On a pod (template): requests per second one pod serves before it queues without bound. */
  capacity: 'sim.ferry.dev/capacity-rps',
  /** On a pod (template): mean service time in milliseconds (default 20). */
  latency: 'sim.ferry.dev/latency-ms',
  /** On a pod (template): share of requests answered 500, 0–1 (overrides the image tag's). */
  errors: 'sim.ferry.dev/error-ratio',
} as const;

export const DEFAULT_SERVICE_MS = 20;
/** `:slow` multiplies the service time (so every quantile) by this. */
export const SLOW_FACTOR = 5;
/** `:errors` answers this share of requests with 500. */
export const ERRORS_RATIO = 0.2;
const MAX_UTILISATION = 0.99;
const MAX_LATENCY_S = 30;

export interface Behaviour {
  /** Mean service time without queueing, seconds. */
  serviceSeconds: number;
  /** Share of requests answered with status 500. */
  errorRatio: number;
  /** Requests per second one pod serves; undefined: unlimited. */
  capacityRps?: number;
}

/** The tag of an image reference (`repo/app:v2-slow` → `v2-slow`), or '' when it has none. */
export function imageTag(image: string): string {
  const at = image.indexOf('@');
  const ref = at >= 0 ? image.slice(0, at) : image;
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? ref.slice(colon + 1) : '';
}

/** A tag names a behaviour when it is the word or ends with `-word` (`slow`, `v2-slow`). */
const tagSays = (tag: string, word: string) => tag === word || tag.endsWith(`-${word}`);

function positive(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** A pod's behaviour from its container images and annotations. */
export function behaviourOf(images: readonly string[], annotations: Readonly<Record<string, string>> = {}): Behaviour {
  const tags = images.map(imageTag);
  const slow = tags.some((t) => tagSays(t, 'slow'));
  const failing = tags.some((t) => tagSays(t, 'errors'));
  const ms = positive(annotations[ANNOTATIONS.latency]) ?? DEFAULT_SERVICE_MS;
  const ratio = Number(annotations[ANNOTATIONS.errors]);
  const capacityRps = positive(annotations[ANNOTATIONS.capacity]);
  return {
    serviceSeconds: (ms / 1000) * (slow ? SLOW_FACTOR : 1),
    errorRatio:
      annotations[ANNOTATIONS.errors] !== undefined && ratio >= 0 && ratio <= 1 ? ratio : failing ? ERRORS_RATIO : 0,
    ...(capacityRps !== undefined ? { capacityRps } : {}),
  };
}

/** Mean latency in seconds of a pod with this behaviour receiving `arrivalRps`. */
export function meanLatency(b: Behaviour, arrivalRps: number): number {
  const rho = b.capacityRps === undefined ? 0 : Math.min(arrivalRps / b.capacityRps, MAX_UTILISATION);
  return b.serviceSeconds / (1 - rho);
}

/** The q-quantile (0 < q < 1) of the model's latency, seconds. */
export function latencyQuantile(b: Behaviour, arrivalRps: number, q: number): number {
  return Math.min(-meanLatency(b, arrivalRps) * Math.log(1 - q), MAX_LATENCY_S);
}

export interface Outcome {
  seconds: number;
  code: number;
}

/** One request's latency and status code. */
export function serve(r: Random, b: Behaviour, arrivalRps: number): Outcome {
  const seconds = Math.min(exponential(r, meanLatency(b, arrivalRps)), MAX_LATENCY_S);
  return { seconds, code: r.next() < b.errorRatio ? 500 : 200 };
}
