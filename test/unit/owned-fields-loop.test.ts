/**
 * `ferry serve`'s plan, apply, drift check and rollback with a runtime trait that owns its Deployment's replicas
 * (the test-only `autoscaled` trait; the test plays the autoscaler through the scale subresource): the count an
 * autoscaler set is no drift and survives a new commit and a rollback. On the in-memory cluster; the real API
 * server's side (managed fields, no conflict) is test/cluster/owned-fields.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/objects/objects.js';
import { RUNTIME_TRAITS } from '../../src/traits/registry.js';
import { ReconcileHarness, until, webApp } from '../support/reconcile-harness.js';
import { imageOf } from '../support/sim-cluster.js';
import { AUTOSCALED_DEFINITION, AUTOSCALER, autoscaled } from '../support/traits/autoscaled/trait.js';

const harnesses: ReconcileHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.dispose()));
});

const TRAITS = [{ type: 'autoscaled' }, { type: 'scaler', properties: { replicas: 2 } }];
const app = (image: string) => webApp({ image, traits: TRAITS });
const replicasOf = (d: KubeObject | undefined) => d?.spec?.replicas;

async function autoscaledHarness(): Promise<ReconcileHarness> {
  const h = await ReconcileHarness.create({
    runtimeTraits: [...RUNTIME_TRAITS, autoscaled],
    files: { 'definitions/autoscaled.cue': AUTOSCALED_DEFINITION },
    traits: TRAITS,
  });
  harnesses.push(h);
  await h.waitFor('synced', h.commits[0]);
  return h;
}

/** A drift check of the synced release (which leaves no state behind), waited for until it is synced again. */
async function driftCheck(h: ReconcileHarness): Promise<string[]> {
  const seen: string[] = [];
  const sub = h.release!.actor!.subscribe((s) => void seen.push(s.value as string));
  expect(h.controller!.resync()).toBe(1);
  await until('the drift check', () => (seen.includes('checking') && seen.at(-1) === 'synced' ? true : undefined));
  sub.unsubscribe();
  return seen;
}

describe('a runtime trait that owns spec.replicas, through the reconcile loop', () => {
  it('the first sync creates with the rendered count; a scale is no drift and is not written back', async () => {
    const h = await autoscaledHarness();
    expect(replicasOf(h.deployment())).toBe(2);
    await h.cluster.scale({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' }, 7, AUTOSCALER);
    const writes = h.cluster.writesIn('shop').length;
    expect(await driftCheck(h)).toEqual(['checking', 'synced']);
    expect(h.logged('drift detected; re-applying the synced revision')).toEqual([]);
    expect(h.cluster.writesIn('shop').slice(writes)).toEqual([]);
    expect(replicasOf(h.deployment())).toBe(7);
  });

  it('a commit that changes the image keeps the scaled count, and so does a rollback', async () => {
    const h = await autoscaledHarness();
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' };
    await h.cluster.scale(ref, 7, AUTOSCALER);
    const c2 = h.commitApp(app('nginx:2.0'));
    await h.poll();
    await h.waitFor('synced', c2);
    expect(imageOf(h.deployment())).toBe('nginx:2.0');
    expect(replicasOf(h.deployment())).toBe(7);
    // The owned fields are recorded with the revision, for a rollback.
    const history = await h.history();
    expect(history.at(-1)?.placements?.[0]?.ownedFields).toEqual([
      { ref, path: ['spec', 'replicas'], owner: 'autoscaled' },
    ]);
    await h.cluster.scale(ref, 4, AUTOSCALER);
    await h.rollback(1);
    expect(imageOf(h.deployment())).toBe('nginx:1.0');
    expect(replicasOf(h.deployment())).toBe(4);
  });

  it('without the trait Git owns the count again: the next commit applies the rendered value', async () => {
    const h = await autoscaledHarness();
    await h.cluster.scale({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' }, 7, AUTOSCALER);
    const c2 = h.commitApp(webApp({ image: 'nginx:2.0', traits: [TRAITS[1]!] }));
    await h.poll();
    await h.waitFor('synced', c2);
    expect(replicasOf(h.deployment())).toBe(2);
  });
});
