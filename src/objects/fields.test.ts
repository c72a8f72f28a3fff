/** withLiveFields: a field a runtime trait writes is created as rendered, then left as it is live. */
import { describe, expect, it } from 'vitest';
import { fieldPointer, ownedByOthers, valueAt, withLiveFields, type ObjectField } from './fields.js';
import { refKey, refOf, type KubeObject } from './objects.js';

const deployment = (replicas: number | undefined, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', ...extra },
  spec: { ...(replicas === undefined ? {} : { replicas }), template: { spec: { containers: [{ image: 'web:2' }] } } },
});
const service: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' } };
const REPLICAS: ObjectField = { ref: refOf(deployment(1)), path: ['spec', 'replicas'], owner: 'slo' };

/** managedFields with `manager` owning spec.replicas. */
const managedBy = (...managers: string[]) => ({
  managedFields: managers.map((manager) => ({
    manager,
    operation: manager === 'ferry' ? 'Apply' : 'Update',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:spec': { 'f:replicas': {} } },
  })),
});

const applied = (live: KubeObject | undefined, desired = deployment(2), fields = [REPLICAS]) =>
  withLiveFields(
    [desired, service],
    (r) => (live && refKey(r) === refKey(refOf(live)) ? live : undefined),
    fields,
    'ferry',
  )[0]!;

describe('withLiveFields', () => {
  it.each([
    ['not in the cluster: created as rendered', undefined, 2],
    ['in the cluster, no manager info: the live value', deployment(7), 7],
    ['in the cluster, owned by Ferry only: the live value', deployment(7, managedBy('ferry')), 7],
    ['owned by another manager (an autoscaler): left out', deployment(7, managedBy('ferry-slo')), undefined],
    ['owned by Ferry and another: left out', deployment(7, managedBy('ferry', 'kubectl')), undefined],
    ['the live object has no such field: left out', deployment(undefined), undefined],
  ])('%s', (_, live, replicas) => {
    const out = applied(live);
    expect(out.spec?.replicas).toBe(replicas);
    expect('replicas' in (out.spec ?? {})).toBe(replicas !== undefined);
    // The rest of the object is as rendered.
    expect(out.spec?.template).toEqual(deployment(2).spec?.template);
  });

  it('leaves objects no field names, and the rendered object itself, as they are', () => {
    const desired = deployment(2);
    const out = withLiveFields([desired, service], () => deployment(7), [REPLICAS], 'ferry');
    expect(out[1]).toBe(service);
    expect(desired.spec?.replicas).toBe(2);
    expect(withLiveFields([desired], () => deployment(7), [], 'ferry')).toEqual([desired]);
  });

  it('makes the objects on the way to a field the rendered object lacks', () => {
    const field: ObjectField = { ref: REPLICAS.ref, path: ['spec', 'strategy', 'rollingUpdate', 'maxSurge'] };
    const live = { ...deployment(1), spec: { strategy: { rollingUpdate: { maxSurge: 3 } } } };
    expect(applied(live, deployment(2), [field]).spec).toMatchObject({
      replicas: 2,
      strategy: { rollingUpdate: { maxSurge: 3 } },
    });
  });
});

describe('the field helpers', () => {
  it('valueAt, fieldPointer and ownedByOthers', () => {
    expect(valueAt(deployment(4), ['spec', 'replicas'])).toBe(4);
    expect(valueAt(deployment(4), ['spec', 'nope', 'deeper'])).toBeUndefined();
    expect(fieldPointer(['metadata', 'annotations', 'a/b~c'])).toBe('/metadata/annotations/a~1b~0c');
    expect(ownedByOthers(deployment(4, managedBy('ferry', 'ferry-slo')), ['spec', 'replicas'], 'ferry')).toBe(true);
    expect(ownedByOthers(deployment(4, managedBy('ferry')), ['spec', 'replicas'], 'ferry')).toBe(false);
    expect(ownedByOthers(deployment(4, managedBy('ferry-slo')), ['spec', 'paused'], 'ferry')).toBe(false);
  });
});
