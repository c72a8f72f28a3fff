import { describe, expect, it } from 'vitest';
import type { SloStatus } from './status.js';
import { sloView } from './view.js';

const status = (o: Partial<SloStatus> = {}): SloStatus => ({
  objective: 'p99 ≤ 200 ms',
  state: 'Met',
  observedMs: 143,
  rps: 300,
  replicas: 5,
  desired: 5,
  reason: 'holding',
  at: '2026-12-04T10:10:00Z',
  violationSeconds: 0,
  workload: { namespace: 'ns', workload: 'web', service: 'web' },
  windowSeconds: 60,
  maxMs: 200,
  quantile: 0.99,
  recent: [
    { at: 1, ms: 150, replicas: 4 },
    { at: 2, replicas: 5 },
    { at: 3, ms: 143, replicas: 5 },
  ],
  ...o,
});

describe('an SLO as the dashboard shows it', () => {
  it('its latency beside the objective and its replicas over the last evaluations, and a range from Prometheus', () => {
    const v = sloView(status());
    expect(v.phase).toBe('met');
    expect(v.percent).toBeUndefined();
    const [latency, replicas] = v.charts;
    expect(latency!.lines[0]!.points).toEqual([
      [1, 150],
      [3, 143],
    ]);
    expect(latency!.thresholds).toEqual([{ value: 200, bound: 'max', label: 'objective' }]);
    expect(replicas!.lines[0]!.points).toEqual([
      [1, 4],
      [2, 5],
      [3, 5],
    ]);
    expect(v.queries).toHaveLength(1);
    expect(v.queries[0]).toMatchObject({ metric: 'latency', quantile: 0.99, windowSeconds: 60 });
    expect(v.queries[0]!.sinceMs).toBe(Date.parse('2026-12-04T10:10:00Z') - 30 * 60_000);
  });

  it('violated: says so as its failure; an older status without its workload asks nothing of Prometheus', () => {
    const v = sloView(status({ state: 'Violated', observedMs: 420, workload: undefined }));
    expect(v.failure).toMatch(/violated \(420 ms\)/);
    expect(v.queries).toEqual([]);
  });
});
