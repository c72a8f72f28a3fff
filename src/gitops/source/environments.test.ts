import { describe, expect, it } from 'vitest';
import { parseFerryConfig } from './environments.js';

describe('ferry.yaml', () => {
  it('defaults: auto-rollback off, removed apps pruned', () => {
    const r = parseFerryConfig('environments: [{name: dev}]\n', 'ferry.yaml');
    expect(r.ok && r.value.defaults).toEqual({ autoRollback: false, pruneRemovedApps: true });
  });

  it('reads the defaults it is given', () => {
    const r = parseFerryConfig(
      'defaults:\n  autoRollback: true\n  pruneRemovedApps: false\n  verifyTimeout: 5m\n',
      'ferry.yaml',
    );
    expect(r.ok && r.value.defaults).toEqual({ autoRollback: true, pruneRemovedApps: false, verifyTimeout: '5m' });
  });

  it('a default that is not a boolean is an error at its line', () => {
    const r = parseFerryConfig(
      'environments: []\ndefaults:\n  autoRollback: true\n  pruneRemovedApps: "no"\n',
      'apps/ferry.yaml',
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.message).toBe('defaults.pruneRemovedApps must be true or false, not "no"');
    expect(r.problems[0]!.at).toMatchObject({ file: 'apps/ferry.yaml', line: 4, column: 21 });
  });
});

describe('ferry.yaml metrics', () => {
  const parse = (text: string) => parseFerryConfig(text, 'ferry.yaml');

  it('a top-level source applies to every environment; an environment overrides it field by field', () => {
    const r = parse(
      [
        'metrics: {prometheus: "http://prom.monitoring:9090", provider: pods}',
        'environments:',
        '  - name: staging',
        '  - name: prod',
        '    metrics: {provider: istio}',
        '',
      ].join('\n'),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.metrics).toEqual({ prometheus: 'http://prom.monitoring:9090', provider: 'pods' });
    expect(r.value.environments.map((e) => e.metrics)).toEqual([
      { prometheus: 'http://prom.monitoring:9090', provider: 'pods' },
      { prometheus: 'http://prom.monitoring:9090', provider: 'istio' },
    ]);
  });

  it('a custom provider with its selectors', () => {
    const r = parse(
      [
        'metrics:',
        '  provider: custom',
        '  custom:',
        '    requests: app_requests_total{namespace="{{ namespace }}",app="{{ workload }}"}',
        '    errors: app_requests_total{namespace="{{ namespace }}",app="{{ workload }}",code=~"5.."}',
        '    latencyBuckets: app_latency_bucket{namespace="{{ namespace }}",app="{{ workload }}"}',
        '    latencyUnit: milliseconds',
        '',
      ].join('\n'),
    );
    expect(r.ok && r.value.metrics?.custom?.latencyUnit).toBe('milliseconds');
  });

  it.each([
    [
      'metrics: {provider: datadog}\n',
      1,
      'metrics.provider must be one of pods, istio, nginx-ingress, custom, not "datadog"',
    ],
    [
      'metrics: {prometheus: "prom:9090"}\n',
      1,
      'metrics.prometheus must be an http:// or https:// URL, not "prom:9090"',
    ],
    [
      'metrics: {provider: pods, query: x}\n',
      1,
      'unknown field "query" in metrics (known: prometheus, provider, custom)',
    ],
    [
      'metrics:\n  provider: custom\n',
      2,
      'metrics.provider is "custom": give custom: {requests, errors, latencyBuckets} (series selectors)',
    ],
    ['metrics:\n  custom: {requests: x, errors: y}\n', 2, 'metrics.custom needs "latencyBuckets"'],
    [
      'environments:\n  - name: prod\n    metrics: {provider: custom}\n',
      3,
      'environments[0].metrics.provider is "custom": ' +
        'give custom: {requests, errors, latencyBuckets} (series selectors)',
    ],
  ])('%j is refused at line %i', (text, line, message) => {
    const r = parse(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.message)).toEqual([message]);
    expect(r.problems[0]!.at).toMatchObject({ file: 'ferry.yaml', line });
  });
});
