/** Records written before the scoping by source are adopted by their own source only. */
import { describe, expect, it } from 'vitest';
import { adoptRecords, adoptSourceRecords } from '../../src/gitops/store/record-migration.js';
import {
  appendRevision,
  listHolds,
  placeHold,
  readAllStates,
  readHistory,
  readHold,
  writeState,
  type StateSummary,
} from '../../src/gitops/store/release-store.js';
import { readInventory, writeInventory } from '../../src/gitops/store/inventory.js';
import { MemoryCluster } from '../support/memory-cluster.js';

const summary = (app: string, source?: string): StateSummary => ({
  app,
  env: 'default',
  status: 'synced',
  commit: 'c1',
  updatedAt: '2026-12-01T00:00:00Z',
  ...(source ? { source } : {}),
});

async function legacyRelease(cluster: MemoryCluster, app: string, source?: string): Promise<void> {
  const scope = { app, env: 'default' };
  await writeState(cluster, scope, { value: 'synced' }, summary(app, source));
  await appendRevision(cluster, scope, {
    commit: 'c1',
    specDigest: 'd1',
    time: '2026-12-01T00:00:00Z',
    outcome: 'Synced',
    message: 'synced and healthy',
  });
  await writeInventory(cluster, scope, [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'web', name: app }]);
}

describe('adopting unscoped records', () => {
  it("moves the records of states naming this source, leaves other sources' and lists those naming none", async () => {
    const cluster = new MemoryCluster();
    await legacyRelease(cluster, 'web', 'aaaaaaaaaaaa');
    await placeHold(
      cluster,
      { app: 'web', env: 'default' },
      { reason: 'rollback', since: '2026-12-01T00:00:00Z', commit: 'c0' },
    );
    await legacyRelease(cluster, 'shop', 'bbbbbbbbbbbb');
    await legacyRelease(cluster, 'old');
    const result = await adoptSourceRecords(cluster, 'aaaaaaaaaaaa');
    expect(result).toEqual({ adopted: ['web/default'], unclaimed: new Set(['old/default']) });
    const mine = { app: 'web', env: 'default', source: 'aaaaaaaaaaaa' };
    expect([...(await readAllStates(cluster, 'aaaaaaaaaaaa')).keys()]).toEqual(['web/default']);
    expect((await readHistory(cluster, mine)).map((h) => h.commit)).toEqual(['c1']);
    expect(await readInventory(cluster, mine)).toHaveLength(1);
    expect((await readHold(cluster, mine))?.commit).toBe('c0');
    expect([...(await listHolds(cluster, 'aaaaaaaaaaaa')).keys()]).toEqual(['web/default']);
    expect(cluster.names()).toEqual([
      'ferry-history.aaaaaaaaaaaa.web.default',
      'ferry-history.old.default',
      'ferry-history.shop.default',
      'ferry-hold.aaaaaaaaaaaa.web.default',
      'ferry-inventory.aaaaaaaaaaaa.web.default',
      'ferry-inventory.old.default',
      'ferry-inventory.shop.default',
      'ferry-state.aaaaaaaaaaaa.web.default',
      'ferry-state.old.default',
      'ferry-state.shop.default',
    ]);
    // The other source adopts its own when its controller starts.
    expect((await adoptSourceRecords(cluster, 'bbbbbbbbbbbb')).adopted).toEqual(['shop/default']);
    expect(cluster.names().filter((n) => n.includes('shop'))).toEqual([
      'ferry-history.bbbbbbbbbbbb.shop.default',
      'ferry-inventory.bbbbbbbbbbbb.shop.default',
      'ferry-state.bbbbbbbbbbbb.shop.default',
    ]);
  });

  it(
    'never overwrites a scoped record that exists already (a migration cut short is finished, ' + 'not redone)',
    async () => {
      const cluster = new MemoryCluster();
      const mine = { app: 'web', env: 'default', source: 'aaaaaaaaaaaa' };
      await legacyRelease(cluster, 'web', 'aaaaaaaaaaaa');
      await appendRevision(cluster, mine, {
        commit: 'c2',
        specDigest: 'd2',
        time: '2026-12-01T00:00:00Z',
        outcome: 'Synced',
        message: 'newer',
      });
      expect(await adoptRecords(cluster, mine)).toBe(true);
      expect((await readHistory(cluster, mine)).map((h) => h.commit)).toEqual(['c2']);
      expect(cluster.names().filter((n) => !n.includes('aaaaaaaaaaaa'))).toEqual([]);
      expect(await adoptRecords(cluster, mine)).toBe(false);
    },
  );
});
