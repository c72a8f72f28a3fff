import { describe, expect, it } from 'vitest';
import type { PropertyProblem } from '../../oam/render/runtime-traits.js';
import { canarySpec, parseCanary, type CanarySpec } from './spec.js';

const ok = (props: unknown): CanarySpec => {
  const r = parseCanary(props, 'web');
  if (!r.ok) throw new Error(`unexpected problems: ${JSON.stringify(r.problems)}`);
  return r.value;
};
const problems = (props: unknown): PropertyProblem[] => {
  const r = parseCanary(props, 'web');
  if (r.ok) throw new Error(`expected problems, got ${JSON.stringify(r.value)}`);
  return r.problems;
};
const WEIGHT = 'an integer from 1 to 99 (100 is the promotion after the last step)';
const STEP = 'one of {weight: n} or {pause: {duration?}}';

describe('parseCanary', () => {
  it('parses the full example: steps, analysis with durations in ms, built-in and custom metrics, a gateway', () => {
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
        minRequests: 20,
        minCoverage: 80,
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
        minRequests: 20,
        minCoverage: 80,
      },
      trafficRouting: { gateway: { httpRoute: 'web' } },
    });
  });

  it('defaults: steps 20, 30s, 50, 30s, a 30 s interval, failureLimit 1, no metrics, replica-ratio routing', () => {
    for (const props of [undefined, null, {}, { analysis: {}, trafficRouting: {} }]) {
      expect(ok(props)).toEqual({
        component: 'web',
        steps: [{ weight: 20 }, { pause: { durationMs: 30_000 } }, { weight: 50 }, { pause: { durationMs: 30_000 } }],
        analysis: { intervalMs: 30_000, failureLimit: 1, metrics: [], minRequests: 20, minCoverage: 80 },
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
    expect(ok({ steps: [{ weight: 1 }, { pause: null }, { weight: 99 }, { pause: {} }] }).steps).toEqual([
      { weight: 1 },
      { pause: {} },
      { weight: 99 },
      { pause: {} },
    ]);
  });

  it('names the field of each bad step', () => {
    expect(
      problems({
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
          { pause: { duration: '-5s' } },
          { pause: { durationn: '1m' } },
          'weight: 10',
          { weight: -5 },
          { weight: 150 },
        ],
      }),
    ).toEqual([
      { path: ['steps', 0, 'weight'], message: `${WEIGHT}, not 0` },
      { path: ['steps', 1, 'weight'], message: `${WEIGHT}, not 100` },
      { path: ['steps', 2, 'weight'], message: `${WEIGHT}, not 12.5` },
      { path: ['steps', 3, 'weight'], message: `${WEIGHT}, not "10"` },
      { path: ['steps', 4, 'pause', 'duration'], message: 'a duration such as "30s" or "5m", not "soon"' },
      { path: ['steps', 5, 'pause'], message: '{} or {duration: "1m"}, not "forever"' },
      { path: ['steps', 6], message: `${STEP}, not {"weight":10,"pause":{}}` },
      { path: ['steps', 7], message: `${STEP}, not {"wait":1}` },
      { path: ['steps', 8], message: `${STEP}, not {}` },
      { path: ['steps', 9, 'pause', 'duration'], message: 'a duration such as "30s" or "5m", not "-5s"' },
      { path: ['steps', 10, 'pause', 'durationn'], message: 'unknown field: a pause has only a duration' },
      { path: ['steps', 11], message: `${STEP}, not "weight: 10"` },
      { path: ['steps', 12, 'weight'], message: `${WEIGHT}, not -5` },
      { path: ['steps', 13, 'weight'], message: `${WEIGHT}, not 150` },
    ]);
  });

  it('refuses an empty or non-list steps, and steps with no weight at all', () => {
    const list = { path: ['steps'], message: 'a non-empty list of {weight: n} or {pause: {duration?}}' };
    expect(problems({ steps: [] })).toEqual([list]);
    expect(problems({ steps: 'fast' })).toEqual([list]);
    expect(problems({ steps: null })).toEqual([list]);
    expect(problems({ steps: [{ pause: { duration: '1m' } }, { pause: {} }] })).toEqual([
      { path: ['steps'], message: 'at least one weight step' },
    ]);
  });

  it('checks interval (a duration of at least 1s) and failureLimit (an integer ≥ 1)', () => {
    const interval = (v: string) => [
      { path: ['analysis', 'interval'], message: `a duration of at least 1s, not ${v}` },
    ];
    expect(problems({ analysis: { interval: '500ms' } })).toEqual(interval('"500ms"'));
    expect(problems({ analysis: { interval: 30 } })).toEqual(interval('30'));
    expect(problems({ analysis: { interval: '-5s' } })).toEqual(interval('"-5s"'));
    expect(problems({ analysis: { interval: 'every-so-often' } })).toEqual(interval('"every-so-often"'));
    expect(problems({ analysis: { interval: '0s' } })).toEqual(interval('"0s"'));
    expect(problems({ analysis: { interval: null } })).toEqual(interval('null'));
    const limit = (v: string) => [{ path: ['analysis', 'failureLimit'], message: `an integer ≥ 1, not ${v}` }];
    expect(problems({ analysis: { failureLimit: 0 } })).toEqual(limit('0'));
    expect(problems({ analysis: { failureLimit: 1.5 } })).toEqual(limit('1.5'));
    expect(problems({ analysis: { failureLimit: '2' } })).toEqual(limit('"2"'));
    expect(ok({ analysis: { interval: '1s', failureLimit: 3 } }).analysis).toEqual({
      intervalMs: 1000,
      failureLimit: 3,
      metrics: [],
      minRequests: 20,
      minCoverage: 80,
    });
    expect(ok({ analysis: { interval: '1m30s' } }).analysis.intervalMs).toBe(90_000);
  });

  it('refuses analysis and trafficRouting that are not maps, and properties that are not a map', () => {
    expect(problems({ analysis: null })).toEqual([
      {
        path: ['analysis'],
        message: 'a map of interval, failureLimit, minRequests, minCoverage and metrics, not null',
      },
    ]);
    expect(problems({ trafficRouting: 'gateway' })).toEqual([
      { path: ['trafficRouting'], message: 'a map with gateway: {httpRoute: <name>}, not "gateway"' },
    ]);
    expect(problems([{ weight: 10 }])).toEqual([
      { path: [], message: 'a map of steps, analysis and trafficRouting, not [{"weight":10}]' },
    ]);
  });

  it('checks each metric: a name, built in or with a query, a min or max, numbers (or durations for latency)', () => {
    expect(
      problems({
        analysis: {
          metrics: [
            { min: 1 },
            { name: 'error-rate', max: 1 },
            { name: 'success-rate' },
            { name: 'success-rate', min: '99' },
            { name: 'latency', max: 'fast' },
            { name: 'latency', query: 'histogram_quantile(0.9, x)', max: '500ms' },
            { name: 'queue', query: 'q', max: 10 },
            { name: 'queue', query: '', max: 10 },
            { name: 'latency', max: 500, threshold: 1 },
            'success-rate',
          ],
        },
      }),
    ).toEqual([
      { path: ['analysis', 'metrics', 0, 'name'], message: 'required' },
      {
        path: ['analysis', 'metrics', 1, 'name'],
        message:
          '"error-rate" is not built in (success-rate, latency, latency-p99, latency-p95, latency-p50); give a query',
      },
      {
        path: ['analysis', 'metrics', 2],
        message:
          'give min or max (or a bound relative to stable: maxIncrease for latency, maxDecrease for success-rate)',
      },
      { path: ['analysis', 'metrics', 3, 'min'], message: 'a number, not "99"' },
      { path: ['analysis', 'metrics', 4, 'max'], message: 'a number (ms) or a duration such as "500ms", not "fast"' },
      { path: ['analysis', 'metrics', 5, 'max'], message: 'a number, not "500ms"' },
      { path: ['analysis', 'metrics', 7, 'query'], message: 'a PromQL query returning one number, not ""' },
      {
        path: ['analysis', 'metrics', 8, 'threshold'],
        message: 'unknown field: a metric has name, query, min, max, maxIncrease and maxDecrease',
      },
      { path: ['analysis', 'metrics', 9], message: 'a map of name, query, min and max, not "success-rate"' },
    ]);
    expect(problems({ analysis: { metrics: { name: 'success-rate' } } })).toEqual([
      {
        path: ['analysis', 'metrics'],
        message: 'a list of {name, query?, min?, max?, maxIncrease?, maxDecrease?}, not {"name":"success-rate"}',
      },
    ]);
  });

  it('trafficRouting.gateway needs the HTTPRoute name', () => {
    const path = ['trafficRouting', 'gateway', 'httpRoute'];
    const msg = 'the name of the HTTPRoute whose backendRefs carry the split';
    expect(problems({ trafficRouting: { gateway: {} } })).toEqual([{ path, message: msg }]);
    expect(problems({ trafficRouting: { gateway: { httpRoute: '' } } })).toEqual([{ path, message: `${msg}, not ""` }]);
    expect(problems({ trafficRouting: { gateway: null } })).toEqual([{ path, message: msg }]);
    expect(ok({ trafficRouting: {} }).trafficRouting).toEqual({});
  });

  it('reports every problem at once', () => {
    expect(
      problems({
        steps: [{ weight: 200 }, { weight: 10 }],
        analysis: { interval: 'x', failureLimit: -1, metrics: [{ name: 'nope', min: 1 }] },
        trafficRouting: { gateway: {} },
      }).map((p) => p.path.join('.')),
    ).toEqual([
      'steps.0.weight',
      'analysis.interval',
      'analysis.failureLimit',
      'analysis.metrics.0.name',
      'trafficRouting.gateway.httpRoute',
    ]);
  });
});

describe('canarySpec (one line per problem)', () => {
  it('prefixes each message with the property path, and gives the same settings', () => {
    expect(canarySpec('web', { steps: [{ weight: 0 }], analysis: { failureLimit: 0 } })).toEqual({
      ok: false,
      problems: [`steps[0].weight: ${WEIGHT}, not 0`, 'analysis.failureLimit: an integer ≥ 1, not 0'],
    });
    expect(canarySpec('web', 'fast')).toEqual({
      ok: false,
      problems: ['a map of steps, analysis and trafficRouting, not "fast"'],
    });
    const props = { steps: [{ weight: 10 }], analysis: { metrics: [{ name: 'latency', max: '1s' }] } };
    expect(canarySpec('web', props)).toEqual(parseCanary(props, 'web'));
  });
});

describe('parseCanary: enough data and bounds relative to stable', () => {
  it('minRequests, minCoverage (a number or "80%"), maxIncrease ("20%" or a number) and maxDecrease', () => {
    expect(
      ok({
        analysis: {
          minRequests: 50,
          minCoverage: '60%',
          metrics: [
            { name: 'latency-p95', maxIncrease: '20%' },
            { name: 'latency', max: '1s', maxIncrease: 50 },
            { name: 'success-rate', min: 95, maxDecrease: 0.5 },
          ],
        },
      }).analysis,
    ).toMatchObject({
      minRequests: 50,
      minCoverage: 60,
      metrics: [
        { name: 'latency-p95', maxIncrease: 20 },
        { name: 'latency', max: 1000, maxIncrease: 50 },
        { name: 'success-rate', min: 95, maxDecrease: 0.5 },
      ],
    });
  });

  it.each([
    [{ minRequests: 0 }, 'analysis.minRequests', 'an integer ≥ 1, not 0'],
    [{ minRequests: 2.5 }, 'analysis.minRequests', 'an integer ≥ 1, not 2.5'],
    [{ minCoverage: 150 }, 'analysis.minCoverage', 'a share of the window from 0 to 100 (or "80%"), not 150'],
    [{ minCoverage: 'most' }, 'analysis.minCoverage', 'a share of the window from 0 to 100 (or "80%"), not "most"'],
    [
      { metrics: [{ name: 'success-rate', maxIncrease: '10%' }] },
      'analysis.metrics[0].maxIncrease',
      'maxIncrease applies to the built-in latencies only',
    ],
    [
      { metrics: [{ name: 'latency', maxDecrease: 1 }] },
      'analysis.metrics[0].maxDecrease',
      'maxDecrease applies to success-rate only',
    ],
    [
      { metrics: [{ name: 'q', query: 'up', maxIncrease: 5 }] },
      'analysis.metrics[0].maxIncrease',
      'maxIncrease applies to the built-in latencies only',
    ],
    [
      { metrics: [{ name: 'latency', maxIncrease: '-5%' }] },
      'analysis.metrics[0].maxIncrease',
      'a share ≥ 0 such as "20%", not "-5%"',
    ],
    [
      { metrics: [{ name: 'success-rate', maxDecrease: -1 }] },
      'analysis.metrics[0].maxDecrease',
      'percentage points ≥ 0, not -1',
    ],
  ])('refuses %j at %s', (analysis, path, message) => {
    const r = canarySpec('web', { analysis });
    expect(r).toEqual({ ok: false, problems: [`${path}: ${message}`] });
  });
});
