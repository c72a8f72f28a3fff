/**
 * The records of `ferry apply|diff|status <app>`: the command line is a source of its own, `cli`, so
 * its inventory and sync lock are `ferry-inventory.cli.<app>.<env>` and `ferry-sync.cli.<app>.<env>`
 * in ferry-system. A working copy is not a Git source a controller could name (a clone and its remote
 * have different ids), and whoever applies from the command line, from whichever checkout, shares one
 * inventory per app × environment, so `ferry apply --prune` prunes what an earlier `ferry apply` left.
 * Controllers never adopt, prune by or remove a `cli` record, and `ferry apply` never prunes by a
 * controller's inventory.
 *
 * `ferry apply` before this wrote the unscoped `ferry-inventory.<app>.<env>`, the name controllers
 * used before their records were scoped by source. An unscoped inventory with no unscoped state
 * beside it is the command line's: `ferry apply` moves it to the `cli` name (the new one written, then
 * the old one deleted); `ferry diff` and `ferry status`, which write nothing, read it where it is. One
 * with an unscoped state is a controller's, left for that controller to adopt at its start, as
 * src/gitops/release/record-migration.ts does with the rest of its records.
 */
import { recordRef } from '../gitops/store/record-names.js';
import { readInventory, writeInventory } from '../gitops/store/inventory.js';
import type { SyncScope } from '../gitops/sync/tracking.js';
import { refKey } from '../objects/objects.js';
import type { ClusterPort } from '../ports/cluster.js';

/** The source name of command-line records; never a controller's (those are 12 hex digits). */
export const CLI_SOURCE = 'cli';

export const cliScope = (app: string, env: string): Required<SyncScope> => ({ app, env, source: CLI_SOURCE });

/** Whether the unscoped inventory of app/env is the command line's (see above). */
async function legacyInventory(cluster: ClusterPort, app: string, env: string): Promise<boolean> {
  const unscoped = { app, env };
  if (!(await cluster.get(recordRef('inventory', unscoped)))) return false;
  return !(await cluster.get(recordRef('state', unscoped)));
}

/**
 * The scope of a command-line sync of app/env on one cluster. With `migrate` (`ferry apply`), a legacy
 * command-line inventory is moved to the `cli` name first (merged with one already there, so nothing
 * it lists escapes a later prune); without (`ferry diff`, `ferry status`), a legacy one not yet moved is
 * read where it is.
 */
export async function commandLineScope(
  cluster: ClusterPort,
  app: string,
  env: string,
  opts: { migrate: boolean },
): Promise<SyncScope> {
  const scope = cliScope(app, env);
  if (!(await legacyInventory(cluster, app, env))) return scope;
  const unscoped = { app, env };
  const scoped = await cluster.get(recordRef('inventory', scope));
  if (!opts.migrate) return scoped ? scope : unscoped;
  const refs = [...(await readInventory(cluster, scope)), ...(await readInventory(cluster, unscoped))];
  await writeInventory(cluster, scope, [...new Map(refs.map((r) => [refKey(r), r])).values()]);
  await cluster.delete(recordRef('inventory', unscoped));
  return scope;
}
