import { describe, expect, it } from 'vitest';
import { canarySpec, type CanarySpec } from './spec.js';

const ok = (props: unknown): CanarySpec => {
  const r = canarySpec('web', props);
  if (!r.ok) throw new Error(`unexpected problems: ${r.problems.join('; ')}`);
  return r.value;
};
const problems = (props: unknown): string[] => {
  const r = canarySpec('web', props);
  if (r.ok) throw new Error(`expected problems, got ${JSON.stringify(r.value)}`);
  return r.problems;
};

describe('canarySpec', () => {
  it('parses the full example: steps, analysis with durations in ms, built-in and custom metrics, gateway routing', () => {
    const spec = ok({
      steps: [{ weight: 10 }, { pause: { duration: '1m' } }, { weight: 50 }, { pause: {} }],
      analysis: {
        interval: '30s',
        failureLimit: 2,
        metrics: [
          { name: 'success-rate', min: 99 },
          { name: 'latency', max: '500ms' },
          { name: 'queue-depth', query: 'sum(queue{workload="{{ workload }}"})', max: 1000 },
        ],
      },
      trafficRouting: { gateway: { httpRoute: 'web' } },
    });
    expect(spec).toEqual({
      component: 'web',
      steps: [{ weight: 10 }, { pause: { durationMs: 60_000 } }, { weight: 50 }, { pause: {} }],
      analysis: {
        intervalMs: 30_000,
        failureLimit: 2,
        metrics: [
          { name: 'success-rate', min: 99 },
          { name: 'latency', max: 500 },
          { name: 'queue-depth', query: 'sum(queue{workload="{{ workload }}"})', max: 1000 },
        ],
      },
      trafficRouting: { gateway: { httpRoute: 'web' } },
    });
  });

  it('defaults: four steps (20, 30s, 50, 30s), a 30 s interval, failureLimit 1, no metrics, replica-ratio routing', () => {
    for (const props of [undefined, {}]) {
      expect(ok(props)).toEqual({
        component: 'web',
        steps: [{ weight: 20 }, { pause: { durationMs: 30_000 } }, { weight: 50 }, { pause: { durationMs: 30_000 } }],
        analysis: { intervalMs: 30_000, failureLimit: 1, metrics: [] },
        trafficRouting: {},
      });
    }
  });

  it('latency bounds: a duration or a number of milliseconds; latency-p95 too; min and max together', () => {
    const spec = ok({
      steps: [{ weight: 5 }],
      analysis: {
        metrics: [
          { name: 'latency', max: 250 },
          { name: 'latency-p95', max: '1.5s' },
          { name: 'latency-p50', min: '1ms', max: '1m' },
          { name: 'success-rate', min: 95.5, max: 100 },
        ],
      },
    });
    expect(spec.analysis.metrics).toEqual([
      { name: 'latency', max: 250 },
      { name: 'latency-p95', max: 1500 },
      { name: 'latency-p50', min: 1, max: 60_000 },
      { name: 'success-rate', min: 95.5, max: 100 },
    ]);
  });

  it('a pause: null or {} waits for promotion; weights 1 and 99 are the bounds', () => {
    expect(ok({ steps: [{ weight: 1 }, { pause: null }, { weight: 99 }] }).steps).toEqual([
      { weight: 1 },
      { pause: {} },
      { weight: 99 },
    ]);
  });

  it('names the field of each bad step', () => {
    const p = problems({
      steps: [
        { weight: 0 },
        { weight: 100 },
        { weight: 12.5 },
        { weight: '10' },
        { pause: { duration: 'soon' } },
        { pause: 'forever' },
        { weight: 10, pause: {} },
        { wait: 1 },
        {},
      ],
    });
    expect(p).toEqual([
      'steps[0].weight: an integer from 1 to 99 (100 is the promotion after the last step), not 0',
      'steps[1].weight: an integer from 1 to 99 (100 is the promotion after the last step), not 100',
      'steps[2].weight: an integer from 1 to 99 (100 is the promotion after the last step), not 12.5',
      'steps[3].weight: an integer from 1 to 99 (100 is the promotion after the last step), not "10"',
      'steps[4].pause.duration: a duration such as "30s" or "5m", not "soon"',
      'steps[5].pause: {} or {duration: "1m"}',
      'steps[6]: one of weight or pause',
      'steps[7]: one of weight or pause',
      'steps[8]: one of weight or pause',
    ]);
  });

  it('refuses an empty or non-list steps, and steps with no weight at all', () => {
    expect(problems({ steps: [] })).toEqual(['steps: a non-empty list of {weight: n} or {pause: {duration?}}']);
    expect(problems({ steps: 'fast' })).toEqual(['steps: a non-empty list of {weight: n} or {pause: {duration?}}']);
    expect(problems({ steps: [{ pause: { duration: '1m' } }, { pause: {} }] })).toEqual([
      'steps: at least one weight step',
    ]);
  });

  it('checks interval (at least 1s) and failureLimit (an integer ≥ 1)', () => {
    expect(problems({ analysis: { interval: '500ms' } })).toEqual([
      'analysis.interval: a duration of at least 1s, not "500ms"',
    ]);
    expect(problems({ analysis: { interval: 30 } })).toEqual(['analysis.interval: a duration of at least 1s, not 30']);
    expect(problems({ analysis: { failureLimit: 0 } })).toEqual(['analysis.failureLimit: an integer ≥ 1, not 0']);
    expect(problems({ analysis: { failureLimit: 1.5 } })).toEqual(['analysis.failureLimit: an integer ≥ 1, not 1.5']);
    expect(problems({ analysis: { failureLimit: '2' } })).toEqual(['analysis.failureLimit: an integer ≥ 1, not "2"']);
    expect(ok({ analysis: { interval: '1s', failureLimit: 3 } }).analysis).toEqual({
      intervalMs: 1000,
      failureLimit: 3,
      metrics: [],
    });
  });

  it('checks each metric: a name, built in or with a query, a min or max, numbers (durations for built-in latency only)', () => {
    const p = problems({
      analysis: {
        metrics: [
          { min: 1 },
          { name: 'error-rate', max: 1 },
          { name: 'success-rate' },
          { name: 'success-rate', min: '99' },
          { name: 'latency', max: 'fast' },
          { name: 'latency', query: 'histogram_quantile(0.9, x)', max: '500ms' },
          { name: 'queue', query: 'q', max: 10 },
        ],
      },
    });
    expect(p).toEqual([
      'analysis.metrics[0].name: required',
      'analysis.metrics[1]: "error-rate" is not built in (success-rate, latency, latency-p99, latency-p95, latency-p50); give a query',
      'analysis.metrics[2]: give min or max',
      'analysis.metrics[3].min: a number, not "99"',
      'analysis.metrics[3]: give min or max',
      'analysis.metrics[4].max: a number or a duration such as "500ms", not "fast"',
      'analysis.metrics[4]: give min or max',
      'analysis.metrics[5].max: a number or a duration such as "500ms", not "500ms"',
      'analysis.metrics[5]: give min or max',
    ]);
    expect(problems({ analysis: { metrics: { name: 'success-rate' } } })).toEqual(['analysis.metrics: a list']);
  });

  it('trafficRouting.gateway needs the HTTPRoute name', () => {
    const msg = 'trafficRouting.gateway.httpRoute: the name of the HTTPRoute whose backendRefs carry the split';
    expect(problems({ trafficRouting: { gateway: {} } })).toEqual([msg]);
    expect(problems({ trafficRouting: { gateway: { httpRoute: '' } } })).toEqual([msg]);
    expect(problems({ trafficRouting: { gateway: null } })).toEqual([msg]);
    expect(ok({ trafficRouting: {} }).trafficRouting).toEqual({});
  });

  it('reports every problem at once', () => {
    expect(
      problems({
        steps: [{ weight: 200 }, { weight: 10 }],
        analysis: { interval: 'x', failureLimit: -1, metrics: [{ name: 'nope', min: 1 }] },
        trafficRouting: { gateway: {} },
      }),
    ).toHaveLength(5);
  });
});
