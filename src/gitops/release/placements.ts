/**
 * Applying a release's placements (what each cluster should hold) with the sync engine: a rollback
 * re-applies recorded placements, a removal applies empty ones (prune everything of the app). One loop
 * for the controller's automatic rollback, `ferry rollback` and the removal of an app Git dropped.
 */
import type { ClusterPort } from '../../ports/cluster.js';
import type { ObjectField } from '../../objects/fields.js';
import type { KubeObject } from '../../objects/objects.js';
import { syncApp, type SyncResult } from '../sync/sync.js';
import type { SyncScope } from '../sync/tracking.js';

export interface PlacementObjects {
  /** "local" or a topology cluster (a kubeconfig context). */
  cluster: string;
  objects: KubeObject[];
  /** Fields runtime traits write at run time (recorded with the revision): applied at their live values. */
  ownedFields?: ObjectField[];
}

export interface PlacementsResult {
  ok: boolean;
  errors: string[];
  /** Per placement, in order. */
  results: { cluster: string; result: SyncResult }[];
}

/**
 * Applies each placement on its cluster (prune on, Git's fields forced); errors carry `[cluster]` when there are
 * several.
 */
export async function applyToPlacements(
  scope: SyncScope,
  placements: PlacementObjects[],
  clusterOf: (placementCluster: string) => ClusterPort,
  opts: {
    allowEmpty?: boolean;
    /** Where each placement's records (inventory, lock) live, under the controller's identity (default: clusterOf). */
    recordsOf?: (placementCluster: string) => ClusterPort;
  } = {},
): Promise<PlacementsResult> {
  const results: PlacementsResult['results'] = [];
  const errors: string[] = [];
  for (const p of placements) {
    const result = await syncApp({
      scope,
      objects: p.objects,
      ownedFields: p.ownedFields,
      cluster: clusterOf(p.cluster),
      ...(opts.recordsOf ? { records: opts.recordsOf(p.cluster) } : {}),
      prune: true,
      force: true,
      ...(opts.allowEmpty ? { allowEmpty: true } : {}),
    });
    results.push({ cluster: p.cluster, result });
    errors.push(...result.errors.map((e) => (placements.length > 1 ? `[${p.cluster}] ${e}` : e)));
  }
  return { ok: errors.length === 0, errors, results };
}
