/**
 * What the dashboard shows of an SLO (src/traits/api/runtime-trait.ts `TraitView`): met or violated, the
 * latency observed beside the objective and the replicas over the last evaluations, and the workload's
 * latency quantile from Prometheus over the last half hour.
 */
import type { TraitQuery, TraitView } from '../api/runtime-trait.js';
import { type SloStatus, statusLine } from './status.js';

const HALF_HOUR_MS = 30 * 60_000;

export function sloView(s: SloStatus): TraitView {
  const recent = s.recent ?? [];
  const bound = s.maxMs !== undefined ? [{ value: s.maxMs, bound: 'max' as const, label: 'objective' }] : [];
  const quantile = s.quantile !== undefined ? `p${Math.round(s.quantile * 1000) / 10}` : 'latency';
  const queries: TraitQuery[] =
    s.workload && s.quantile !== undefined
      ? [
          {
            title: `${quantile} latency (Prometheus)`,
            unit: 'ms',
            metric: 'latency',
            quantile: s.quantile,
            windowSeconds: s.windowSeconds ?? 60,
            sinceMs: Date.parse(s.at) - HALF_HOUR_MS,
            thresholds: bound,
            lines: [{ label: s.workload.workload, workload: s.workload }],
          },
        ]
      : [];
  return {
    phase: s.state === 'Met' ? 'met' : s.state === 'Violated' ? 'violated' : 'no data',
    facts: [
      { name: 'objective', value: s.objective },
      { name: 'observed', value: s.observedMs !== undefined ? `${Math.round(s.observedMs)} ms` : '-' },
      { name: 'replicas', value: s.desired !== s.replicas ? `${s.replicas} → ${s.desired}` : String(s.replicas) },
      { name: 'requests', value: s.rps !== undefined ? `${Math.round(s.rps)}/s` : '-' },
      { name: 'violated for', value: `${Math.round(s.violationSeconds)} s` },
      { name: 'decision', value: s.reason },
      { name: 'status', value: statusLine(s) },
    ],
    ...(s.state === 'Violated' ? { failure: statusLine(s) } : {}),
    charts: [
      {
        title: `${quantile} latency, evaluated`,
        unit: 'ms',
        thresholds: bound,
        lines: [
          {
            label: 'observed',
            points: recent.flatMap((r): [number, number][] => (r.ms === undefined ? [] : [[r.at, r.ms]])),
          },
        ],
      },
      {
        title: 'replicas',
        unit: '',
        thresholds: [],
        lines: [{ label: 'replicas', points: recent.map((r) => [r.at, r.replicas]) }],
      },
    ],
    queries,
  };
}
