import { describe, expect, it } from 'vitest';
import type { Application, ComponentSpec, PolicySpec, WorkflowStepSpec } from '../model/application.js';
import { defaultOverrides } from './environment.js';
import { applyOverride, mergeProperties } from './override.js';

const comps: ComponentSpec[] = [
  {
    name: 'api',
    type: 'webservice',
    properties: { image: 'a:1', env: [{ name: 'A' }], res: { cpu: '1', mem: '1Gi' } },
    traits: [
      { type: 'scaler', properties: { replicas: 1 } },
      { type: 'labels', properties: { a: 'b' } },
    ],
  },
  { name: 'worker', type: 'worker', properties: { image: 'w:1' } },
];

describe('override policy', () => {
  it('deep-merges maps and replaces arrays and scalars', () => {
    expect(mergeProperties({ a: { b: 1, c: 2 }, l: [1, 2], s: 'x' }, { a: { c: 3 }, l: [9], s: 'y' })).toEqual({
      a: { b: 1, c: 3 },
      l: [9],
      s: 'y',
    });
  });

  it('patches the named component and its traits', () => {
    const out = applyOverride(comps, {
      components: [
        {
          name: 'api',
          properties: { image: 'a:2', res: { cpu: '2' } },
          traits: [
            { type: 'scaler', properties: { replicas: 5 } },
            { type: 'labels', disable: true },
            { type: 'hpa', properties: { max: 3 } },
          ],
        },
      ],
    });
    expect(out[0]).toEqual({
      name: 'api',
      type: 'webservice',
      properties: { image: 'a:2', env: [{ name: 'A' }], res: { cpu: '2', mem: '1Gi' } },
      traits: [
        { type: 'scaler', properties: { replicas: 5 } },
        { type: 'hpa', properties: { max: 3 } },
      ],
    });
    expect(out[1]).toEqual(comps[1]);
  });

  it('without a name patches every component (of the given type)', () => {
    const out = applyOverride(comps, { components: [{ type: 'worker', properties: { cpu: '1' } }] });
    expect(out[0]!.properties).not.toHaveProperty('cpu');
    expect(out[1]!.properties).toEqual({ image: 'w:1', cpu: '1' });
  });

  it('a different type replaces the component properties', () => {
    const out = applyOverride(comps, { components: [{ name: 'worker', type: 'task', properties: { image: 't:1' } }] });
    expect(out[1]).toMatchObject({ name: 'worker', type: 'task', properties: { image: 't:1' } });
  });

  it('an unmatched name adds a component, and selector keeps only the listed ones', () => {
    const out = applyOverride(comps, {
      components: [{ name: 'cache', type: 'worker', properties: { image: 'redis' } }],
      selector: ['api', 'cache'],
    });
    expect(out.map((c) => c.name)).toEqual(['api', 'cache']);
  });

  it('name patterns match with *', () => {
    const out = applyOverride(comps, { components: [{ name: '*', properties: { x: 1 } }] });
    expect(out.every((c) => (c.properties as Record<string, unknown>).x === 1)).toBe(true);
  });
});

describe('overrides without an environment', () => {
  const app = (policies: PolicySpec[], steps?: WorkflowStepSpec[]): Application => ({
    apiVersion: 'core.oam.dev/v1beta1',
    kind: 'Application',
    metadata: { name: 'a' },
    spec: { components: comps, policies, ...(steps ? { workflow: { steps } } : {}) },
  });
  const topo = { name: 't', type: 'topology', properties: { clusters: ['local'] } };
  const o1 = { name: 'o1', type: 'override', properties: {} };
  const o2 = { name: 'o2', type: 'override', properties: {} };

  it('without deploy steps: every override policy (the default workflow deploys each topology with all)', () => {
    expect(defaultOverrides(app([topo, o1, o2])).map((p) => p.name)).toEqual(['o1', 'o2']);
    expect(defaultOverrides(app([o1])).map((p) => p.name)).toEqual(['o1']);
  });

  it('with deploy steps: the overrides they name when all name the same, none when they differ', () => {
    const deploy = (name: string, policies: string[]) => ({ name, type: 'deploy', properties: { policies } });
    expect(defaultOverrides(app([topo, o1, o2], [deploy('d', ['t', 'o2'])])).map((p) => p.name)).toEqual(['o2']);
    expect(
      defaultOverrides(app([topo, o1, o2], [deploy('a', ['t', 'o1']), deploy('b', ['t', 'o1'])])).map((p) => p.name),
    ).toEqual(['o1']);
    expect(defaultOverrides(app([topo, o1, o2], [deploy('a', ['t', 'o1']), deploy('b', ['t', 'o2'])]))).toEqual([]);
  });
});
