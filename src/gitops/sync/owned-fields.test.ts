/**
 * planApp and syncApp with the fields runtime traits own: an autoscaler's replicas are kept through a new
 * commit, are no drift, and a sync with nothing else to do writes nothing.
 */
import { describe, expect, it } from 'vitest';
import { SimCluster } from '../../../test/support/sim-cluster.js';
import type { ObjectField } from '../../objects/fields.js';
import type { KubeObject } from '../../objects/objects.js';
import { driftOf } from './drift.js';
import { planApp, syncApp, type SyncOptions } from './sync.js';

const REF = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' };
const OWNED: ObjectField[] = [{ ref: REF, path: ['spec', 'replicas'], owner: 'slo' }];

const deployment = (image: string, replicas = 2): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', labels: { 'app.oam.dev/component': 'web' } },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
  },
});

const world = async () => {
  const cluster = new SimCluster();
  const opts = (image: string, owned = true): SyncOptions => ({
    scope: { app: 'web', env: 'default', source: 'test' },
    objects: [deployment(image)],
    cluster,
    prune: true,
    force: true,
    ...(owned ? { ownedFields: OWNED } : {}),
  });
  const first = await syncApp(opts('web:1'));
  expect(first.ok).toBe(true);
  const live = () => cluster.object('Deployment', 'shop', 'web') as KubeObject;
  return { cluster, opts, live };
};

describe('the fields a runtime trait owns', () => {
  it('are created as rendered, then kept at the live value through a new commit', async () => {
    const { cluster, opts, live } = await world();
    expect(live().spec?.replicas).toBe(2);
    await cluster.scale(REF, 7, 'ferry-slo');
    const next = await syncApp(opts('web:2'));
    expect(next.ok).toBe(true);
    expect(next.items.map((i) => `${i.action} ${i.ref.kind}`)).toContain('configured Deployment');
    expect(live().spec).toMatchObject({ replicas: 7, template: { spec: { containers: [{ image: 'web:2' }] } } });
  });

  it('are no drift, and a sync of the same commit writes nothing', async () => {
    const { cluster, opts } = await world();
    await cluster.scale(REF, 5, 'ferry-slo');
    const { plan } = await planApp(opts('web:1'));
    expect(plan.items.map((i) => i.action)).toEqual(['unchanged']);
    expect(driftOf(plan)).toEqual([]);
    const again = await syncApp(opts('web:1'));
    expect(again).toMatchObject({ ok: true, writes: 0 });
  });

  it('without the rule the same scale is drift, and a sync resets it (what the rule prevents)', async () => {
    const { cluster, opts, live } = await world();
    await cluster.scale(REF, 5, 'ferry-slo');
    const { plan } = await planApp(opts('web:1', false));
    expect(driftOf(plan)).toEqual(['drifted Deployment/shop/web (/spec/replicas)']);
    await syncApp(opts('web:1', false));
    expect(live().spec?.replicas).toBe(2);
  });

  it('the desired hash is of the object as rendered: the same whatever the live count', async () => {
    const { cluster, opts } = await world();
    const hash = async () =>
      (await planApp(opts('web:1'))).desired[0]!.metadata.annotations?.['ferry.dev/desired-hash'];
    const before = await hash();
    await cluster.scale(REF, 9, 'ferry-slo');
    expect(await hash()).toBe(before);
    expect((await planApp(opts('web:1'))).desired[0]!.spec?.replicas).toBe(9);
  });
});
