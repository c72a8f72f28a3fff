/**
 * What the dashboard shows of a canary (src/traits/api/runtime-trait.ts `TraitView`): its steps as a
 * progress bar, its weight, the analysis runs as a table and as charts beside their bounds, the failing
 * value when it aborted, and its workloads' success rate and p99 over the canary's time from Prometheus.
 */
import type { Threshold, TraitChart, TraitQuery, TraitView } from '../api/runtime-trait.js';
import type { AnalysisRun, CanaryProgress } from './progress.js';
import { progressLine } from './progress.js';

const PERCENT_DONE: Partial<Record<CanaryProgress['phase'], number>> = { Promoting: 100, Succeeded: 100 };

/** Each measured metric's canary and stable values over the runs, with the bounds of the newest run. */
function analysisCharts(runs: readonly AnalysisRun[]): TraitChart[] {
  const names = [...new Set(runs.flatMap((r) => r.measurements.map((m) => m.name)))];
  return names.map((name) => {
    const points = runs.flatMap((r) => {
      const m = r.measurements.find((x) => x.name === name);
      return m ? [{ at: Date.parse(r.time), m }] : [];
    });
    const canary = points.flatMap(({ at, m }): [number, number][] => (m.value === undefined ? [] : [[at, m.value]]));
    const stable = points.flatMap(({ at, m }): [number, number][] => (m.stable === undefined ? [] : [[at, m.stable]]));
    const last = points.at(-1)?.m;
    const thresholds: Threshold[] = [];
    if (last?.min !== undefined) thresholds.push({ value: last.min, bound: 'min', label: 'min' });
    if (last?.max !== undefined) thresholds.push({ value: last.max, bound: 'max', label: 'max' });
    return {
      title: `analysis: ${name}`,
      unit: last?.unit ?? '',
      thresholds,
      lines: [{ label: 'canary', points: canary }, ...(stable.length > 0 ? [{ label: 'stable', points: stable }] : [])],
    };
  });
}

/** The canary's and the stable pods' success rate and p99 from the start of the canary to its end (or now). */
function metricQueries(p: CanaryProgress): TraitQuery[] {
  if (!p.measured) return [];
  const runs = p.analysis;
  const bounds = (name: string): Threshold[] => {
    const m = runs.at(-1)?.measurements.find((x) => x.name.startsWith(name));
    return [
      ...(m?.min !== undefined ? [{ value: m.min, bound: 'min' as const, label: `${name} min` }] : []),
      ...(m?.max !== undefined ? [{ value: m.max, bound: 'max' as const, label: `${name} max` }] : []),
    ];
  };
  const lines = [
    { label: 'canary', workload: p.measured.canary },
    { label: 'stable', workload: p.measured.stable },
  ];
  const ended = p.phase === 'Succeeded' || p.phase === 'Aborted' ? Date.parse(p.analysis.at(-1)?.time ?? '') : NaN;
  const range = {
    windowSeconds: p.measured.windowSeconds,
    sinceMs: Date.parse(p.startedAt),
    ...(Number.isFinite(ended) ? { untilMs: ended + 30_000 } : {}),
  };
  return [
    {
      title: 'p99 latency',
      unit: 'ms',
      metric: 'latency',
      quantile: 0.99,
      thresholds: bounds('latency'),
      lines,
      ...range,
    },
    { title: 'success rate', unit: '%', metric: 'successRate', thresholds: bounds('success-rate'), lines, ...range },
  ];
}

const fmt = (v: number | undefined, unit: string) =>
  v === undefined ? '-' : `${v >= 100 ? Math.round(v) : Number(v.toFixed(2))}${unit ? ` ${unit}` : ''}`;

export function canaryView(p: CanaryProgress): TraitView {
  const failed = p.phase === 'Aborted' ? p.analysis.findLast((r) => r.result === 'Failed') : undefined;
  const failing = failed?.measurements.filter((m) => m.ok === false).map((m) => m.message) ?? [];
  return {
    phase: p.phase.toLowerCase(),
    percent: PERCENT_DONE[p.phase] ?? Math.round((100 * Math.min(p.step, p.steps)) / Math.max(1, p.steps)),
    facts: [
      { name: 'step', value: `${Math.min(p.step + 1, p.steps)}/${p.steps}` },
      { name: 'weight', value: `${p.weight}${p.actualWeight !== undefined ? ` (in force ${p.actualWeight})` : ''}` },
      { name: 'mode', value: p.mode },
      { name: 'analysis failures', value: String(p.failures) },
      { name: 'status', value: progressLine(p) },
    ],
    ...(p.phase === 'Aborted'
      ? { failure: [p.message ?? 'aborted', ...failing.filter((f) => !p.message?.includes(f))].join('; ') }
      : {}),
    charts: analysisCharts(p.analysis),
    queries: metricQueries(p),
    table: {
      columns: ['time', 'step', 'weight', 'result', 'measurements'],
      rows: [...p.analysis]
        .reverse()
        .map((r) => [
          r.time,
          String(r.step + 1),
          String(r.weight),
          r.result,
          r.measurements.map((m) => `${m.name} ${fmt(m.value, m.unit)}${m.ok === false ? ' ✗' : ''}`).join(', ') ||
            r.message ||
            '',
        ]),
    },
  };
}
