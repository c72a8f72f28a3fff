/**
 * One analysis run: every metric of the canary's analysis queried on the metrics server, against the
 * canary's pods only, and judged. A value out of bounds fails the run; a query with no data or an
 * unreachable server makes it inconclusive (neither pass nor fail), as Argo Rollouts does.
 */
import type { MetricsPort } from '../../ports/metrics.js';
import type { AnalysisRun } from './progress.js';
import type { MetricSpec } from './spec.js';

export interface AnalysisScope {
  namespace: string;
  /** The canary's workload (its pods carry `workload="<name>"`) and the Service it is reached by. */
  workload: string;
  service: string;
  /** PromQL range of the rates: the analysis interval, at least 10 s. */
  window: string;
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
    namespace: s.namespace,
    workload: s.workload,
    service: s.service,
    canaryPods: `${s.workload}-[a-z0-9]+-[a-z0-9]+`,
    interval: s.window,
  };
  return query.replace(/\{\{\s*(\w+)\s*\}\}/g, (m, k: string) => values[k] ?? m);
}

/** The PromQL of a metric, and the unit its value is shown in. */
export function metricQuery(m: MetricSpec, s: AnalysisScope): { promql: string; unit: string; scale: number } {
  if (m.query) return { promql: substitute(m.query, s), unit: '', scale: 1 };
  const sel = `namespace="${s.namespace}",workload="${s.workload}"`;
  if (m.name === 'success-rate') {
    // No 5xx series at all is 0 errors (`or vector(0)`); no requests at all is no data.
    const errorRate = `sum(rate(http_requests_total{${sel},code=~"5.."}[${s.window}]))`;
    const requestRate = `sum(rate(http_requests_total{${sel}}[${s.window}]))`;
    return {
      promql: `100 * (1 - ((${errorRate} or vector(0)) / ${requestRate}))`,
      unit: '%',
      scale: 1,
    };
  }
  const q = QUANTILES[m.name]!;
  return {
    promql: `histogram_quantile(${q}, sum by (le) (rate(http_request_duration_seconds_bucket{${sel}}[${s.window}])))`,
    unit: 'ms',
    scale: 1000,
  };
}

/** A value as measured: whole above 100, else up to two decimals (99.86 stays apart from 99.9). */
const fmt = (v: number, unit: string) =>
  `${v >= 100 ? Math.round(v) : Number(v.toFixed(2))}${unit === '%' ? ' %' : unit ? ` ${unit}` : ''}`;

export async function analyse(
  metrics: MetricsPort,
  list: readonly MetricSpec[],
  s: AnalysisScope,
  at: { step: number; weight: number; time: string },
): Promise<AnalysisRun> {
  const measurements: AnalysisRun['measurements'] = [];
  for (const m of list) {
    const { promql, unit, scale } = metricQuery(m, s);
    const r = await metrics.query(promql);
    if (r.kind === 'no-data') {
      measurements.push({ name: m.name, unit, message: `${m.name}: no data` });
      continue;
    }
    if (r.kind === 'error') {
      measurements.push({ name: m.name, unit, message: `${m.name}: ${r.error.message}` });
      continue;
    }
    const value = r.value * scale;
    const low = m.min !== undefined && value < m.min;
    const high = m.max !== undefined && value > m.max;
    const bound = low
      ? `< ${fmt(m.min!, unit)}`
      : high
        ? `> ${fmt(m.max!, unit)}`
        : m.min !== undefined
          ? `≥ ${fmt(m.min, unit)}`
          : `≤ ${fmt(m.max!, unit)}`;
    measurements.push({
      name: m.name,
      value,
      unit,
      ok: !low && !high,
      message: `${m.name} ${fmt(value, unit)} ${bound}`,
    });
  }
  const result = measurements.some((x) => x.ok === false)
    ? 'Failed'
    : measurements.some((x) => x.ok === undefined)
      ? 'Inconclusive'
      : 'Successful';
  return { ...at, result, measurements };
}

/** What a run says in one line: the failing measurements, else the inconclusive ones, else all. */
export function runSummary(run: AnalysisRun): string {
  const pick =
    run.result === 'Failed'
      ? run.measurements.filter((m) => m.ok === false)
      : run.result === 'Inconclusive'
        ? run.measurements.filter((m) => m.ok === undefined)
        : run.measurements;
  return pick.map((m) => m.message).join('; ');
}
