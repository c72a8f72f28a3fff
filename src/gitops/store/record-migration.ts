/**
 * Records written before they were scoped by source (ferry-<kind>.<app>.<env>) are adopted by the
 * controller they belong to: renamed to ferry-<kind>.<source>.<app>.<env>, then the old ones are
 * deleted. A state names the source that wrote it; its history, hold and inventory go with it. A
 * state that names no source (written before states recorded one) is adopted by the first
 * controller that declares its (app, environment). Idempotent: a scoped record that exists already
 * is kept (a migration cut short is finished by the next start, never overwriting newer records).
 * (What is inside a record changes shape without a move: older summaries are read into today's shape by
 * state-summary.ts.)
 */
import type { ClusterPort } from '../../ports/cluster.js';
import type { KubeObject } from '../../objects/objects.js';
import { recordRef, type RecordKind, type RecordScope } from './record-names.js';
import { readAllStates, recordConfigMap, writeRecord, type SavedState } from './release-store.js';

/** The state last: a crash half-way leaves the old state in place, so the next start finishes the move. */
const KINDS: RecordKind[] = ['history', 'inventory', 'hold', 'state'];

/** Moves one release's unscoped records to its source's names; true when a state was moved. */
export async function adoptRecords(cluster: ClusterPort, scope: Required<RecordScope>): Promise<boolean> {
  const unscoped = { app: scope.app, env: scope.env };
  let moved = false;
  for (const kind of KINDS) {
    const old = await cluster.get(recordRef(kind, unscoped));
    if (!old) continue;
    if (!(await cluster.get(recordRef(kind, scope))))
      await writeRecord(cluster, recordConfigMap(kind, scope, bodyOf(old)));
    if (kind === 'state') moved = true;
  }
  // Deleted only once every copy is written.
  for (const kind of KINDS) await cluster.delete(recordRef(kind, unscoped));
  return moved;
}

const bodyOf = (cm: KubeObject) => ({
  ...(cm.data ? { data: cm.data as Record<string, string> } : {}),
  ...(cm.binaryData ? { binaryData: cm.binaryData as Record<string, string> } : {}),
});

export interface UnscopedStates {
  /** Adopted now: they named this source. */
  adopted: string[];
  /** "app/env" of unscoped states that name no source: adopted when this source declares them. */
  unclaimed: Set<string>;
}

/** At start: adopts every unscoped state of a cluster that names `source`; lists those naming none. */
export async function adoptSourceRecords(cluster: ClusterPort, source: string): Promise<UnscopedStates> {
  const legacy: Map<string, SavedState> = await readAllStates(cluster, null);
  const adopted: string[] = [];
  const unclaimed = new Set<string>();
  for (const [key, saved] of legacy) {
    const summary = saved.summary;
    if (!summary) continue;
    if (summary.source === undefined) unclaimed.add(key);
    else if (summary.source === source && (await adoptRecords(cluster, { app: summary.app, env: summary.env, source })))
      adopted.push(key);
  }
  return { adopted, unclaimed };
}
