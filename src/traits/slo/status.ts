/**
 * What the SLO autoscaler persists with the release's state and what `ferry slo` and `ferry status`
 * show: the objective, the last evaluation (observed values, the decision and why), and the last change
 * of replicas. Pure data and its wording.
 */
import type { WorkloadRef } from '../../ports/metrics.js';

export type SloState = 'Met' | 'Violated' | 'NoData';

export interface SloStatus {
  /** `p99 ≤ 200 ms` (and `success rate ≥ 99.5 %`). */
  objective: string;
  state: SloState;
  /** The observed latency at the objective's percentile, ms; the request rate, /s; the success rate, %. */
  observedMs?: number;
  /**
   * The same quantile as Prometheus's `histogram_quantile` reads it (linear within a bucket, so higher on a
   * decaying tail); `observedMs` follows the tail within the bucket (docs/slo.md, "Histogram buckets").
   */
  histogramQuantileMs?: number;
  rps?: number;
  successRate?: number;
  /** The Deployment's replicas when evaluated, and the autoscaler's choice. */
  replicas: number;
  desired: number;
  /** The decision in one line: objective, observed value, estimate, chosen replicas (or why none). */
  reason: string;
  /** When the last evaluation ran (ISO 8601). */
  at: string;
  lastScale?: { at: string; from: number; to: number };
  /** Seconds spent with the objective broken since the watch started. */
  violationSeconds: number;
  /** The Deployment (and its Service) the objective is measured on, and the rate window, seconds. */
  workload?: WorkloadRef;
  windowSeconds?: number;
  /** The objective's bound (ms) and quantile (0–1). */
  maxMs?: number;
  quantile?: number;
  /** The last evaluations (oldest first, at most `RECENT_KEPT`): when, the latency observed, the replicas. */
  recent?: { at: number; ms?: number; replicas: number }[];
  /** The autoscaler's memory between evaluations (its model's samples, recommendations): opaque here. */
  memory?: unknown;
}

export const RECENT_KEPT = 120;

const ms = (v: number) => `${v >= 100 ? Math.round(v) : Number(v.toFixed(1))} ms`;

/** `slo p99 ≤ 200 ms met (143 ms), 6 replicas` — the line `ferry status` shows. */
export function statusLine(s: SloStatus): string {
  const seen = s.observedMs !== undefined ? ` (${ms(s.observedMs)})` : '';
  const state = s.state === 'Met' ? 'met' : s.state === 'Violated' ? 'violated' : 'no data';
  const scaling = s.desired !== s.replicas ? `, ${s.replicas} → ${s.desired} replicas` : `, ${s.replicas} replicas`;
  return `slo ${s.objective} ${state}${seen}${scaling}`;
}

export function decodeStatus(json: unknown): SloStatus | undefined {
  const s = json as Partial<SloStatus> | undefined;
  return s && typeof s.objective === 'string' && typeof s.state === 'string' && typeof s.replicas === 'number'
    ? (s as SloStatus)
    : undefined;
}

/** The slo among a release's runtime-trait states. */
export function sloOf(traits: readonly { trait: string; progress?: unknown }[] | undefined): SloStatus | undefined {
  for (const t of traits ?? []) if (t.trait === 'slo') return decodeStatus(t.progress);
  return undefined;
}
