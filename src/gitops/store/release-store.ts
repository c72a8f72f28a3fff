/**
 * What Ferry records in the cluster for each (app, environment), in ferry-system (names scoped by
 * the controller's Git source, see record-names.ts):
 *   ferry-state.<source>.<app>.<env>    the reconcile machine's snapshot and a summary (state-summary.ts)
 *   ferry-history.<source>.<app>.<env>  the last revisions (gzipped), with the rendered manifests of good ones
 *   ferry-hold.<source>.<app>.<env>     present while a rollback hold or a manual suspend is in force
 *   ferry-source.<source>               the Git source a controller follows: last commit seen, or its error
 */
import { createHash } from 'node:crypto';
import type { ObjectField } from '../../objects/fields.js';
import type { KubeObject } from '../../objects/objects.js';
import type { ClusterPort } from '../../ports/cluster.js';
import { gzipEntry, jsonEntries, putRecord, readGzip, readJson, readRecord, writeRecord } from './codec.js';
import {
  type RecordScope,
  recordRef,
  recordSelector,
  SYSTEM_NAMESPACE,
  scopeOfLabels,
  sourceStatusName,
} from './record-names.js';

import { readSummary, type StateSummary } from './state-summary.js';

export { recordConfigMap, writeRecord } from './codec.js';
export type { StateSummary, TraitState } from './state-summary.js';

type SyncScope = RecordScope;

/** What a placement (a cluster) held at a revision: kept with good revisions, for rollback. */
export interface RecordedPlacement {
  /** "local" (the environment's own cluster) or a kubeconfig context named by a topology policy. */
  cluster: string;
  objects: KubeObject[];
  /** Fields of `objects` runtime traits write at run time: applied at their live values (absent: none). */
  ownedFields?: ObjectField[];
}

export type Outcome = 'Synced' | 'Failed' | 'RolledBack' | 'Removed';

export interface Revision {
  revision: number;
  commit: string;
  specDigest: string;
  manifestDigest?: string;
  time: string;
  outcome: Outcome;
  /** Failure reason (RenderFailed, ApplyFailed, …) or how a rollback came about. */
  reason?: string;
  message: string;
  /** Consecutive attempts that ended the same way for this commit. */
  attempts: number;
  /** The rendered manifests applied: kept for good revisions, for rollback. */
  placements?: RecordedPlacement[];
}

export interface Hold {
  reason: string;
  since: string;
  /** The app's spec digest when the hold was placed: a commit that changes it releases the hold. */
  specDigest?: string;
  /** The revision rolled back to, and its commit. */
  revision?: number;
  commit?: string;
}

export const HISTORY_LIMIT = 10;

export interface SavedState {
  snapshot?: unknown;
  summary?: StateSummary;
}

function savedState(cm: KubeObject | undefined): SavedState {
  const snapshot = readJson<unknown>(cm, 'snapshot.json');
  const summary = readJson<StateSummary>(cm, 'summary.json');
  return {
    ...(snapshot !== undefined ? { snapshot } : {}),
    ...(summary ? { summary: readSummary(summary) } : {}),
  };
}

export async function readState(cluster: ClusterPort, s: SyncScope): Promise<SavedState> {
  return savedState(await readRecord(cluster, 'state', s));
}

/**
 * Saved states of a cluster by "app/env": one list instead of a read per release at start. Of one
 * source (a string), or the unscoped ones (null).
 */
export async function readAllStates(cluster: ClusterPort, source: string | null): Promise<Map<string, SavedState>> {
  const out = new Map<string, SavedState>();
  for (const cm of await cluster.list('v1', 'ConfigMap', SYSTEM_NAMESPACE, recordSelector('state', source))) {
    const s = scopeOfLabels(cm.metadata.labels);
    if (s) out.set(`${s.app}/${s.env}`, savedState(cm));
  }
  return out;
}

/**
 * A request from the command line to a release's runtime trait (`ferry rollout promote|abort`), opaque
 * JSON the trait decodes; the controller clears it once done.
 */
export async function writeCommand(cluster: ClusterPort, s: SyncScope, command: unknown): Promise<void> {
  await putRecord(cluster, 'rollout', s, jsonEntries({ 'command.json': command }));
}

export async function readCommand(cluster: ClusterPort, s: SyncScope): Promise<unknown> {
  return readJson<unknown>(await readRecord(cluster, 'rollout', s), 'command.json');
}

export async function clearCommand(cluster: ClusterPort, s: SyncScope): Promise<void> {
  await cluster.delete(recordRef('rollout', s));
}

/** Forgets an (app, environment) that Git no longer declares: its state, hold and promotion (history stays). */
export async function deleteState(cluster: ClusterPort, s: SyncScope): Promise<void> {
  await cluster.delete(recordRef('state', s));
  await cluster.delete(recordRef('hold', s));
  await cluster.delete(recordRef('promotion', s));
  await cluster.delete(recordRef('approval', s));
}

export async function writeState(
  cluster: ClusterPort,
  s: SyncScope,
  snapshot: unknown,
  summary: StateSummary,
): Promise<void> {
  await putRecord(cluster, 'state', s, jsonEntries({ 'snapshot.json': snapshot, 'summary.json': summary }));
}

/** Every recorded (app, environment) of a cluster, of every source (or of one). */
export async function listStates(cluster: ClusterPort, source?: string): Promise<StateSummary[]> {
  return (await listJson<StateSummary>(cluster, recordSelector('state', source), 'summary.json')).map(readSummary);
}

/** One JSON entry of every record a label selector picks in ferry-system. */
async function listJson<T>(cluster: ClusterPort, selector: string, key: string): Promise<T[]> {
  const cms = await cluster.list('v1', 'ConfigMap', SYSTEM_NAMESPACE, selector);
  return cms.map((cm) => readJson<T>(cm, key)).filter((x): x is T => x !== undefined);
}

export async function readHistory(cluster: ClusterPort, s: SyncScope): Promise<Revision[]> {
  return readGzip<Revision[]>(await readRecord(cluster, 'history', s), 'history.json.gz') ?? [];
}

/**
 * Adds a revision (newest first). A repeated failure of the same commit counts as one more attempt
 * of the same revision, so retries cannot push good revisions out; the newest good revision is
 * always kept, even past the limit.
 */
export function addRevision(
  history: Revision[],
  r: Omit<Revision, 'revision' | 'attempts'>,
  limit = HISTORY_LIMIT,
): Revision[] {
  const top = history[0];
  if (
    top &&
    top.outcome === 'Failed' &&
    r.outcome === 'Failed' &&
    top.commit === r.commit &&
    top.specDigest === r.specDigest &&
    top.reason === r.reason
  ) {
    return [{ ...top, time: r.time, message: r.message, attempts: top.attempts + 1 }, ...history.slice(1)];
  }
  const next: Revision = { ...r, revision: (top?.revision ?? 0) + 1, attempts: 1 };
  const all = [next, ...history];
  const kept = all.slice(0, limit);
  const good = all.find((h) => h.outcome !== 'Failed' && h.placements);
  if (good && !kept.includes(good)) kept[kept.length - 1] = good;
  return kept;
}

export async function appendRevision(
  cluster: ClusterPort,
  s: SyncScope,
  r: Omit<Revision, 'revision' | 'attempts'>,
): Promise<Revision> {
  const history = addRevision(await readHistory(cluster, s), r);
  await putRecord(cluster, 'history', s, gzipEntry('history.json.gz', history));
  return history[0]!;
}

export async function readHold(cluster: ClusterPort, s: SyncScope): Promise<Hold | undefined> {
  return readJson<Hold>(await readRecord(cluster, 'hold', s), 'hold.json');
}

export async function placeHold(cluster: ClusterPort, s: SyncScope, hold: Hold): Promise<void> {
  await putRecord(cluster, 'hold', s, jsonEntries({ 'hold.json': hold }));
}

export async function releaseHold(cluster: ClusterPort, s: SyncScope): Promise<boolean> {
  if (!(await readRecord(cluster, 'hold', s))) return false;
  await cluster.delete(recordRef('hold', s));
  return true;
}

/** A hold ConfigMap's "app/env" and hold; undefined for anything else. */
export function holdOf(cm: KubeObject): { key: string; hold: Hold } | undefined {
  const s = scopeOfLabels(cm.metadata.labels);
  const hold = readJson<Hold>(cm, 'hold.json');
  return s && hold ? { key: `${s.app}/${s.env}`, hold } : undefined;
}

/** Holds in force on a cluster for one source's releases, by "app/env". */
export async function listHolds(cluster: ClusterPort, source: string): Promise<Map<string, Hold>> {
  const out = new Map<string, Hold>();
  for (const cm of await cluster.list('v1', 'ConfigMap', SYSTEM_NAMESPACE, recordSelector('hold', source))) {
    const h = holdOf(cm);
    if (h) out.set(h.key, h.hold);
  }
  return out;
}

/** What a controller last saw of its Git source (for `ferry status`). */
export interface SourceStatus {
  repo: string;
  path: string;
  commit?: string;
  /** Set while polls fail; the cluster keeps the last synced state meanwhile. */
  error?: string;
  /** When this commit was first seen, or when the failure began. */
  since: string;
}

/** A Git source's identity (repository and sub-folder): names its status and marks its releases. */
export const sourceId = (repo: string, path: string): string =>
  createHash('sha256').update(`${repo}\u0000${path}`).digest('hex').slice(0, 12);

export async function writeSourceStatus(cluster: ClusterPort, s: SourceStatus): Promise<void> {
  const id = sourceId(s.repo, s.path);
  await writeRecord(cluster, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: sourceStatusName(id), namespace: SYSTEM_NAMESPACE, labels: { 'ferry.dev/kind': 'source' } },
    ...jsonEntries({ 'source.json': s }),
  });
}

export async function listSourceStatuses(cluster: ClusterPort): Promise<SourceStatus[]> {
  return listJson<SourceStatus>(cluster, recordSelector('source'), 'source.json');
}
