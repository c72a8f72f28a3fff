/**
 * One analysis run: every metric of the canary's analysis measured on the environment's metrics
 * (src/ports/metrics.ts: the provider owns the labels), judged against absolute bounds and against the
 * stable pods over the same window, and weighed by how much data the window holds.
 *
 * The rule (docs/canary.md, "Enough data before a verdict"):
 * - A run passes only on full evidence: at least `minRequests` canary requests in the window, and
 *   samples spanning at least `minCoverage` % of the window (or of the time since the canary's pods
 *   became ready, when shorter), each sample counting for one scrape interval.
 * - A run fails on less: a value out of bounds with at least a quarter of `minRequests` is enough to stop.
 * - Otherwise (no data, too little data, an unreachable server) it is inconclusive, as Argo Rollouts has it.
 */
import type { Evidence, QueryResult, WorkloadMetrics, WorkloadRef } from '../../ports/metrics.js';
import type { AnalysisRun } from './progress.js';
import type { AnalysisSpec, MetricSpec } from './spec.js';

export interface AnalysisScope {
  canary: WorkloadRef;
  stable: WorkloadRef;
  /** The window of the rates, seconds: the analysis interval, at least 10 s. */
  windowSeconds: number;
  /** When the canary's pods (at this weight) became ready, ms since the epoch. */
  readyAt: number;
  now: number;
}

const QUANTILES: Record<string, number> = {
  latency: 0.99,
  'latency-p99': 0.99,
  'latency-p95': 0.95,
  'latency-p50': 0.5,
};

/** `{{ namespace }}`-style placeholders of a custom query. */
export function substitute(query: string, s: AnalysisScope): string {
  const values: Record<string, string> = {
    namespace: s.canary.namespace,
    workload: s.canary.workload,
    service: s.canary.service,
    canaryPods: `${s.canary.workload}-[a-z0-9]+-[a-z0-9]+`,
    interval: `${s.windowSeconds}s`,
  };
  return query.replace(/\{\{\s*(\w+)\s*\}\}/g, (m, k: string) => values[k] ?? m);
}

/** A value as measured: whole above 100, else up to two decimals (99.86 stays apart from 99.9). */
const num = (v: number) => `${v >= 100 ? Math.round(v) : Number(v.toFixed(2))}`;
const fmt = (v: number, unit: string) => `${num(v)}${unit === '%' ? ' %' : unit ? ` ${unit}` : ''}`;

/**
 * How much of the window the evidence covers, %: the samples' span plus one scrape interval (each sample
 * stands for one), over the window; 0 before a series has two samples.
 */
export function coverage(e: Evidence, windowMs: number): number {
  if (e.scrapeMs === undefined || windowMs <= 0) return 0;
  return Math.min(100, (100 * (e.lastMs - e.firstMs + e.scrapeMs)) / windowMs);
}

type Measurement = AnalysisRun['measurements'][number];

/** One metric, measured and judged (ok undefined: no verdict, with the reason in the message). */
async function measure(
  metrics: WorkloadMetrics,
  m: MetricSpec,
  s: AnalysisScope,
  count: () => void,
): Promise<Measurement> {
  const unit = m.query ? '' : m.name === 'success-rate' ? '%' : 'ms';
  const ask = (w: WorkloadRef): Promise<QueryResult> => {
    count();
    if (m.query) return metrics.query(substitute(m.query, s));
    if (m.name === 'success-rate') return metrics.successRate(w, s.windowSeconds);
    const quantile = m.quantile ?? QUANTILES[m.name]!;
    return m.tail ? metrics.latencyTail(w, s.windowSeconds, quantile) : metrics.latency(w, s.windowSeconds, quantile);
  };
  const none = (r: QueryResult, who = ''): Measurement => ({
    name: m.name,
    unit,
    message: `${m.name}${who}: ${r.kind === 'error' ? r.error.message : 'no data'}`,
  });
  const r = await ask(s.canary);
  if (r.kind !== 'value') return none(r);
  const value = r.value;
  const checks: { ok: boolean; text: string }[] = [];
  const bounds: { min?: number; max?: number } = {};
  const atLeast = (v: number) => (bounds.min = Math.max(bounds.min ?? v, v));
  const atMost = (v: number) => (bounds.max = Math.min(bounds.max ?? v, v));
  if (m.min !== undefined) {
    atLeast(m.min);
    checks.push({ ok: value >= m.min, text: `${value >= m.min ? '≥' : '<'} ${fmt(m.min, unit)}` });
  }
  if (m.max !== undefined) {
    atMost(m.max);
    checks.push({ ok: value <= m.max, text: `${value <= m.max ? '≤' : '>'} ${fmt(m.max, unit)}` });
  }
  let stable: number | undefined;
  if (m.maxIncrease !== undefined || m.maxDecrease !== undefined) {
    const st = await ask(s.stable);
    if (st.kind !== 'value') return { ...none(st, ' of the stable pods'), value };
    stable = st.value;
    if (m.maxIncrease !== undefined) {
      const limit = stable * (1 + m.maxIncrease / 100);
      atMost(limit);
      checks.push({
        ok: value <= limit,
        text: `${value <= limit ? '≤' : '>'} stable ${fmt(stable, unit)} + ${num(m.maxIncrease)} %`,
      });
    }
    if (m.maxDecrease !== undefined) {
      const limit = stable - m.maxDecrease;
      atLeast(limit);
      checks.push({
        ok: value >= limit,
        text: `${value >= limit ? '≥' : '<'} stable ${fmt(stable, unit)} − ${num(m.maxDecrease)}`,
      });
    }
  }
  const failed = checks.filter((c) => !c.ok);
  return {
    name: m.name,
    value,
    ...(stable !== undefined ? { stable } : {}),
    unit,
    ...bounds,
    ok: failed.length === 0,
    message: `${m.name} ${fmt(value, unit)} ${(failed.length > 0 ? failed : checks).map((c) => c.text).join(', ')}`,
  };
}

export async function analyse(
  metrics: WorkloadMetrics,
  spec: Pick<AnalysisSpec, 'metrics' | 'minRequests' | 'minCoverage'>,
  s: AnalysisScope,
  at: { step: number; weight: number; time: string },
): Promise<AnalysisRun> {
  let queries = 0;
  const count = () => void queries++;
  // The window the canary's data can fill: since its pods became ready, at most the rate window. The queries
  // look no further back: older samples are of other pods (a canary aborted just before this one, whose pods
  // matched the same names) or of another weight.
  const windowMs = Math.min(s.windowSeconds * 1000, Math.max(0, s.now - s.readyAt));
  const q: AnalysisScope = { ...s, windowSeconds: Math.max(1, Math.min(s.windowSeconds, Math.ceil(windowMs / 1000))) };
  count();
  const ev = await metrics.evidence(q.canary, q.windowSeconds);
  const measurements: Measurement[] = [];
  for (const m of spec.metrics) measurements.push(await measure(metrics, m, q, count));

  const requests = ev.kind === 'evidence' ? ev.evidence.requests : 0;
  const cover = ev.kind === 'evidence' ? coverage(ev.evidence, windowMs) : 0;
  const evidence = { requests, coverage: Math.round(cover) };
  const failMin = Math.max(1, Math.ceil(spec.minRequests / 4));
  const enoughToFail = requests >= failMin;
  const enoughToPass = requests >= spec.minRequests && cover >= spec.minCoverage;
  const failing = measurements.some((x) => x.ok === false);
  const unknown = measurements.some((x) => x.ok === undefined);
  let result: AnalysisRun['result'];
  let short: string | undefined;
  if (failing && enoughToFail) result = 'Failed';
  else if (unknown) result = 'Inconclusive';
  else if (!enoughToPass) {
    result = 'Inconclusive';
    short =
      ev.kind === 'error'
        ? `request count: ${ev.error.message}`
        : `not enough data yet: ${requests} requests (${failing ? failMin : spec.minRequests} ` +
          `needed), samples over ${evidence.coverage} % of the window (${spec.minCoverage} % needed)`;
  } else result = failing ? 'Failed' : 'Successful';
  return { ...at, result, measurements, evidence, queries, ...(short ? { message: short } : {}) };
}

/** A run in one line: the failing measurements, else the inconclusive ones (or the data wanting), else all. */
export function runSummary(run: AnalysisRun): string {
  if (run.result === 'Inconclusive' && run.message) return run.message;
  const pick =
    run.result === 'Failed'
      ? run.measurements.filter((m) => m.ok === false)
      : run.result === 'Inconclusive'
        ? run.measurements.filter((m) => m.ok === undefined)
        : run.measurements;
  return pick.map((m) => m.message).join('; ');
}
