import { describe, expect, it } from 'vitest';
import { selectsApp } from './app-selection.js';
import { parseFerryConfig, tenantUser } from './environments.js';

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

describe('ferry.yaml serviceAccount (tenancy)', () => {
  const parse = (text: string) => parseFerryConfig(text, 'ferry.yaml');

  it('a bare name is in the environment namespace; namespace/name is kept; the user is the API server one', () => {
    const r = parse(
      [
        'environments:',
        '  - {name: team-a, namespace: team-a, serviceAccount: deployer}',
        '  - {name: team-b, serviceAccount: tenants/team-b}',
        '  - {name: ops}',
        '',
      ].join('\n'),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.environments.map((e) => e.serviceAccount)).toEqual(['team-a/deployer', 'tenants/team-b', undefined]);
    expect(r.value.environments.map(tenantUser)).toEqual([
      'system:serviceaccount:team-a:deployer',
      'system:serviceaccount:tenants:team-b',
      undefined,
    ]);
  });

  it('a bare name without a namespace, or a malformed one, is an error at its line', () => {
    const r = parse(['environments:', '  - name: prod', '    serviceAccount: deployer', ''].join('\n'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems[0]!.message).toBe(
      'environments[0].serviceAccount "deployer" needs a namespace: write <namespace>/deployer, ' +
        'or give the environment a namespace',
    );
    expect(r.problems[0]!.at).toMatchObject({ file: 'ferry.yaml', line: 3, column: 21 });
    const bad = parse(['environments:', '  - {name: prod, serviceAccount: "a/b/c"}', ''].join('\n'));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problems[0]!.at).toMatchObject({ line: 2 });
  });
});

describe('ferry.yaml apps (environments that select their apps)', () => {
  const parse = (text: string) => parseFerryConfig(text, 'ferry.yaml');

  it('takes the folders its patterns match, or every folder without any', () => {
    const r = parse(
      ['environments:', '  - {name: team-a, apps: ["team-a-*", shared]}', '  - {name: ops}', ''].join('\n'),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const [a, ops] = r.value.environments;
    expect(
      ['team-a-web', 'team-a-', 'shared', 'shared-2', 'team-b-web', 'xteam-a-web'].map((f) => selectsApp(a, f)),
    ).toEqual([true, true, true, false, false, false]);
    expect(selectsApp(ops, 'anything')).toBe(true);
    // Only `*` is special: a dot or a bracket is itself.
    expect(selectsApp({ apps: ['a.b[1]'] }, 'a.b[1]')).toBe(true);
    expect(selectsApp({ apps: ['a.b'] }, 'axb')).toBe(false);
  });

  it('an empty list, or a pattern with a slash, is an error at its line', () => {
    for (const apps of ['[]', '["teams/a"]']) {
      const r = parse(['environments:', `  - {name: prod, apps: ${apps}}`, ''].join('\n'));
      expect(r.ok, apps).toBe(false);
      if (!r.ok) expect(r.problems[0]!.at).toMatchObject({ file: 'ferry.yaml', line: 2 });
    }
  });
});
