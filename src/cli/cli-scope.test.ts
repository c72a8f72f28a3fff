/** The records of `ferry apply|diff|status`: the `cli` scope, and the move of inventories written before it. */
import { describe, expect, it } from 'vitest';
import { writeState } from '../gitops/store/release-store.js';
import { readInventory, writeInventory } from '../gitops/store/inventory.js';
import { acquireLock } from '../gitops/sync/lock.js';
import type { ObjectRef } from '../objects/objects.js';
import { MemoryCluster } from '../../test/support/memory-cluster.js';
import { cliScope, commandLineScope } from './cli-scope.js';

const deployment = (name: string): ObjectRef => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'web', name });
const unscoped = { app: 'hello', env: 'dev' };

describe('the command line scope', () => {
  it('names the inventory and the sync lock ferry-<kind>.cli.<app>.<env>, labelled source=cli', async () => {
    const cluster = new MemoryCluster();
    const scope = await commandLineScope(cluster, 'hello', 'dev', { migrate: true });
    expect(scope).toEqual({ app: 'hello', env: 'dev', source: 'cli' });
    await writeInventory(cluster, scope, [deployment('hello')]);
    const lock = await acquireLock(cluster, scope);
    expect(cluster.names('Lease')).toEqual(['ferry-sync.cli.hello.dev']);
    await lock.release();
    expect(cluster.names()).toEqual(['ferry-inventory.cli.hello.dev']);
    const cm = await cluster.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'ferry-system',
      name: 'ferry-inventory.cli.hello.dev',
    });
    expect(cm?.metadata.labels).toMatchObject({ 'ferry.dev/source': 'cli', 'ferry.dev/kind': 'inventory' });
  });

  it('ferry apply moves an inventory an earlier ferry apply wrote under the unscoped name', async () => {
    const cluster = new MemoryCluster();
    await writeInventory(cluster, unscoped, [deployment('hello'), deployment('old')]);
    cluster.writes = 0;
    expect(await commandLineScope(cluster, 'hello', 'dev', { migrate: true })).toEqual(cliScope('hello', 'dev'));
    expect(cluster.names()).toEqual(['ferry-inventory.cli.hello.dev']);
    expect(await readInventory(cluster, cliScope('hello', 'dev'))).toEqual([deployment('hello'), deployment('old')]);
    expect(cluster.writes).toBe(2);
    // Moved once: the next apply finds nothing to move.
    cluster.writes = 0;
    await commandLineScope(cluster, 'hello', 'dev', { migrate: true });
    expect(cluster.writes).toBe(0);
  });

  it('merges it into a cli inventory already there, so a later prune still sees what it lists', async () => {
    const cluster = new MemoryCluster();
    await writeInventory(cluster, cliScope('hello', 'dev'), [deployment('hello')]);
    await writeInventory(cluster, unscoped, [deployment('hello'), deployment('old')]);
    await commandLineScope(cluster, 'hello', 'dev', { migrate: true });
    expect(cluster.names()).toEqual(['ferry-inventory.cli.hello.dev']);
    expect(await readInventory(cluster, cliScope('hello', 'dev'))).toEqual([deployment('hello'), deployment('old')]);
  });

  it('ferry diff and ferry status write nothing: they read an inventory not yet moved where it is', async () => {
    const cluster = new MemoryCluster();
    await writeInventory(cluster, unscoped, [deployment('hello')]);
    cluster.writes = 0;
    expect(await commandLineScope(cluster, 'hello', 'dev', { migrate: false })).toEqual(unscoped);
    expect(cluster.writes).toBe(0);
    expect(cluster.names()).toEqual(['ferry-inventory.hello.dev']);
  });

  it("leaves a controller's unscoped inventory (a state beside it) for the controller to adopt", async () => {
    const cluster = new MemoryCluster();
    await writeState(
      cluster,
      unscoped,
      { value: 'synced' },
      {
        app: 'hello',
        env: 'dev',
        status: 'synced',
        updatedAt: '2026-12-01T00:00:00Z',
      },
    );
    await writeInventory(cluster, unscoped, [deployment('hello')]);
    cluster.writes = 0;
    for (const migrate of [true, false])
      expect(await commandLineScope(cluster, 'hello', 'dev', { migrate })).toEqual(cliScope('hello', 'dev'));
    expect(cluster.writes).toBe(0);
    expect(cluster.names()).toEqual(['ferry-inventory.hello.dev', 'ferry-state.hello.dev']);
  });
});
