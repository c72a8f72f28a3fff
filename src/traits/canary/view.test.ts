import { describe, expect, it } from 'vitest';
import type { AnalysisRun, CanaryProgress } from './progress.js';
import { canaryView } from './view.js';

const run = (time: string, step: number, success: number, ok = true): AnalysisRun => ({
  time,
  step,
  weight: 25,
  result: ok ? 'Successful' : 'Failed',
  measurements: [
    {
      name: 'success-rate',
      value: success,
      unit: '%',
      min: 99,
      ok,
      message: `success-rate ${success} % ${ok ? '≥' : '<'} 99 %`,
    },
    { name: 'latency', value: 120, stable: 110, unit: 'ms', max: 132, ok: true, message: 'latency 120 ms ≤ …' },
  ],
});

const progress = (o: Partial<CanaryProgress> = {}): CanaryProgress => ({
  commit: 'c2',
  component: 'web',
  workload: 'web',
  canary: 'web-canary',
  mode: 'replicas',
  step: 1,
  steps: 4,
  weight: 25,
  phase: 'Progressing',
  stepStartedAt: '2026-12-04T10:00:10Z',
  startedAt: '2026-12-04T10:00:00Z',
  failures: 0,
  analysis: [run('2026-12-04T10:00:10Z', 0, 100), run('2026-12-04T10:00:20Z', 1, 99.5)],
  measured: {
    canary: { namespace: 'ns', workload: 'web-canary', service: 'web' },
    stable: { namespace: 'ns', workload: 'web', service: 'web' },
    windowSeconds: 10,
  },
  ...o,
});

describe('the canary as the dashboard shows it', () => {
  it('its steps as a percentage, its weight, its analysis runs as charts beside their bounds and as a table', () => {
    const v = canaryView(progress());
    expect(v.phase).toBe('progressing');
    expect(v.percent).toBe(25);
    expect(v.facts).toContainEqual({ name: 'step', value: '2/4' });
    expect(v.failure).toBeUndefined();
    const success = v.charts.find((c) => c.title === 'analysis: success-rate')!;
    expect(success.lines).toEqual([
      {
        label: 'canary',
        points: [
          [Date.parse('2026-12-04T10:00:10Z'), 100],
          [Date.parse('2026-12-04T10:00:20Z'), 99.5],
        ],
      },
    ]);
    expect(success.thresholds).toEqual([{ value: 99, bound: 'min', label: 'min' }]);
    // A relative bound: the stable pods' line beside the canary's.
    const latency = v.charts.find((c) => c.title === 'analysis: latency')!;
    expect(latency.lines.map((l) => l.label)).toEqual(['canary', 'stable']);
    expect(latency.thresholds).toEqual([{ value: 132, bound: 'max', label: 'max' }]);
    expect(v.table!.rows[0]![0]).toBe('2026-12-04T10:00:20Z');
  });

  it("the canary's and the stable pods' p99 and success rate over the canary's time, from Prometheus", () => {
    const v = canaryView(progress());
    expect(v.queries.map((q) => [q.metric, q.quantile, q.sinceMs, q.untilMs])).toEqual([
      ['latency', 0.99, Date.parse('2026-12-04T10:00:00Z'), undefined],
      ['successRate', undefined, Date.parse('2026-12-04T10:00:00Z'), undefined],
    ]);
    expect(v.queries[0]!.lines.map((l) => l.workload.workload)).toEqual(['web-canary', 'web']);
    expect(v.queries[1]!.thresholds).toEqual([{ value: 99, bound: 'min', label: 'success-rate min' }]);
    // Ended: the range stops shortly after its last run. Without the workloads (an older record): none.
    const ended = canaryView(progress({ phase: 'Succeeded' }));
    expect(ended.percent).toBe(100);
    expect(ended.queries[0]!.untilMs).toBe(Date.parse('2026-12-04T10:00:20Z') + 30_000);
    expect(canaryView(progress({ measured: undefined })).queries).toEqual([]);
  });

  it('aborted: the reason and the failing value', () => {
    const p = progress({
      phase: 'Aborted',
      message: 'analysis failed',
      analysis: [run('2026-12-04T10:00:10Z', 0, 100), run('2026-12-04T10:00:20Z', 1, 81.2, false)],
    });
    const v = canaryView(p);
    expect(v.phase).toBe('aborted');
    expect(v.failure).toBe('analysis failed; success-rate 81.2 % < 99 %');
  });
});
