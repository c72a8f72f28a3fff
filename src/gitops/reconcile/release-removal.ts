/**
 * Removing an (app, environment) that Git no longer declares: prune what it placed, by its inventory,
 * on every cluster it placed on (retried with backoff until it works or is no longer wanted), then
 * record it: a Removed revision, a Removed Event, and last the state is forgotten, so a state that is
 * gone means a removal fully recorded.
 */
import type { ClusterPort } from '../../ports/cluster.js';
import type { EnvironmentConfig } from '../source/environments.js';
import { recordEvent } from './events.js';
import { appendRevision, deleteState, readHistory } from '../store/release-store.js';
import { applyToPlacements } from '../release/placements.js';
import { appCluster, type ClusterFor } from './options.js';
import type { Logger } from './telemetry.js';

export interface RemovalDeps {
  clusterFor: ClusterFor;
  appClusterFor?: ClusterFor;
  log: Logger;
}

export interface Removable {
  app: string;
  env: string;
  /** The source whose records (inventory, history, state) these are. */
  source?: string;
  config?: EnvironmentConfig;
  /** For the Event; the environment's namespace or "default" when unknown. */
  namespace?: string;
  /** The clusters it placed on, when known in memory (else read from its history). */
  placedOn?: string[];
}

/** Removes and records; false when `cancelled` turned true first (stopped, or declared again). */
export async function removeRelease(
  deps: RemovalDeps,
  r: Removable,
  commit: string,
  cancelled: () => boolean,
): Promise<boolean> {
  const home = deps.clusterFor(r.config, 'local');
  for (let attempt = 1; ; attempt++) {
    if (cancelled()) return false;
    const errors = await pruneEverywhere(deps, r, home).catch((e: unknown) => [(e as Error).message]);
    if (errors.length === 0) break;
    deps.log.error(
      { app: r.app, env: r.env, err: errors.join('; '), attempt },
      'removing the objects of an app no longer in Git failed; retrying',
    );
    const until = Date.now() + Math.min(60_000, 2_000 * 2 ** attempt);
    while (Date.now() < until && !cancelled()) await new Promise((res) => setTimeout(res, 250));
  }
  const namespace = r.namespace ?? r.config?.namespace ?? 'default';
  await appendRevision(home, r, {
    commit,
    specDigest: '',
    time: new Date().toISOString(),
    outcome: 'Removed',
    message: 'no longer in Git: objects pruned',
  });
  await recordEvent(home, {
    app: r.app,
    env: r.env,
    namespace,
    type: 'Normal',
    reason: 'Removed',
    message: `no longer in Git (commit ${commit.slice(0, 12)}): objects pruned`,
  }).catch(() => undefined);
  await deleteState(home, r);
  return true;
}

async function pruneEverywhere(deps: RemovalDeps, r: Removable, home: ClusterPort): Promise<string[]> {
  const placed = r.placedOn ??
    (await readHistory(home, r)).find((h) => h.placements)?.placements?.map((p) => p.cluster) ?? ['local'];
  const empty = [...new Set(placed)].map((cluster) => ({ cluster, objects: [] }));
  return (
    await applyToPlacements(r, empty, (c) => appCluster(deps, r.config, c), {
      allowEmpty: true,
      recordsOf: (c) => deps.clusterFor(r.config, c),
    })
  ).errors;
}
