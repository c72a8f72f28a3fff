/** A prune that fails keeps what it could not delete in the inventory: the next sync deletes it, none orphaned. */
import { describe, expect, it } from 'vitest';
import { SimCluster } from '../../../test/support/sim-cluster.js';
import type { KubeObject, ObjectRef } from '../../objects/objects.js';
import { ClusterError } from '../../ports/cluster.js';
import { readInventory } from '../store/inventory.js';
import { syncApp } from './sync.js';

const cm = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'shop' },
  data: { x: '1' },
});

describe('prune', () => {
  it('keeps an object it could not delete in the inventory, and deletes it on the next sync', async () => {
    let refuse = true;
    const cluster = new (class extends SimCluster {
      override async delete(ref: ObjectRef): Promise<void> {
        if (refuse && ref.name === 'b') throw new ClusterError(ref, 403, 'ConfigMap/shop/b: forbidden', [], false);
        return super.delete(ref);
      }
    })();
    const scope = { app: 'shop', env: 'default', source: 'test' };
    const sync = (names: string[]) => syncApp({ scope, objects: names.map(cm), cluster, prune: true, force: true });
    expect((await sync(['a', 'b'])).ok).toBe(true);
    const failed = await sync(['a']);
    expect(failed.ok).toBe(false);
    expect(failed.errors).toEqual(['ConfigMap/shop/b: forbidden']);
    expect(cluster.object('ConfigMap', 'shop', 'b')).toBeDefined();
    expect((await readInventory(cluster, scope)).map((r) => r.name).sort()).toEqual(['a', 'b']);
    refuse = false;
    const healed = await sync(['a']);
    expect(healed.ok).toBe(true);
    expect(healed.items.find((i) => i.ref.name === 'b')?.action).toBe('deleted');
    expect(cluster.object('ConfigMap', 'shop', 'b')).toBeUndefined();
    expect((await readInventory(cluster, scope)).map((r) => r.name)).toEqual(['a']);
  });
});
