import { describe, expect, it } from 'vitest';
import { contains, driftedPaths, normalize } from './normalize.js';
import type { KubeObject } from '../../objects/objects.js';

describe('normalize and contains', () => {
  it('drops server-owned metadata and status', () => {
    const o = normalize({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'a',
        uid: 'u',
        resourceVersion: '1',
        managedFields: [],
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
      },
      status: { x: 1 },
    } as KubeObject);
    expect(o).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } });
  });

  it("compares a Secret's stringData with the data the server keeps", () => {
    const desired = normalize({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      stringData: { token: 'abc' },
    } as KubeObject);
    const live = normalize({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { token: Buffer.from('abc').toString('base64') },
      type: 'Opaque',
    } as KubeObject);
    expect(contains(live, desired)).toBe(true);
  });

  it('applies ignore rules by JSON Pointer per kind and name', () => {
    const o = normalize(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'w' },
        spec: { replicas: 3, paused: false },
      } as KubeObject,
      [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }],
    );
    expect(o.spec).toEqual({ paused: false });
  });

  it('treats server defaults as no drift, and reports changed managed fields', () => {
    expect(contains({ a: 1, b: 2, l: [{ x: 1, y: 2 }] }, { a: 1, l: [{ x: 1 }] })).toBe(true);
    expect(contains({ l: [1, 2] }, { l: [1] })).toBe(false);
    expect(driftedPaths({ spec: { replicas: 5, x: 1 } }, { spec: { replicas: 2 } })).toEqual(['/spec/replicas']);
  });
});
