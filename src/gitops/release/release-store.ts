/**
 * What Ferry records in the cluster for each (app, environment), in ferry-system (names scoped by
 * the controller's Git source, see record-names.ts):
 *   ferry-state.<source>.<app>.<env>    the reconcile machine's snapshot and a summary (status, commit, error)
 *   ferry-history.<source>.<app>.<env>  the last revisions (gzipped), with the rendered manifests of good ones
 *   ferry-hold.<source>.<app>.<env>     present while a rollback hold or a manual suspend is in force
 *   ferry-source.<source>               the Git source a controller follows: last commit seen, or its error
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ClusterPort } from '../../ports/cluster.js';
import { ensureSystemNamespace } from '../sync/inventory.js';
import type { KubeObject } from '../../objects/objects.js';
import {
  recordLabels,
  recordRef,
  recordSelector,
  scopeOfLabels,
  sourceStatusName,
  SYSTEM_NAMESPACE,
  type RecordKind,
} from './record-names.js';
import type { ReleasePlacement } from './release-render.js';
import type { SyncScope } from '../sync/tracking.js';
import type { CanaryProgress } from '../../traits/canary/progress.js';

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
  placements?: ReleasePlacement[];
}

export interface StateSummary {
  app: string;
  env: string;
  status: string;
  /** The commit reconciled; while held, the commit running (the one rolled back to, when known). */
  commit?: string;
  /** While held: the newer commit waiting for the hold to end. */
  newest?: string;
  /** What a failed release waits for before it is tried again, when that is not a backoff (e.g. "a new commit"). */
  waitingFor?: string;
  specDigest?: string;
  lastGood?: string;
  health?: string;
  hold?: string;
  lastError?: string;
  updatedAt: string;
  /** The Git source (sourceId) whose controller recorded this release. */
  source?: string;
  /** A progressive delivery (canary) in progress or just ended: step, weight, analysis runs. */
  delivery?: CanaryProgress;
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

const ref = recordRef;
export const recordConfigMap = (
  kind: RecordKind,
  s: SyncScope,
  body: { data?: Record<string, string>; binaryData?: Record<string, string> },
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: ref(kind, s).name, namespace: SYSTEM_NAMESPACE, labels: recordLabels(kind, s) },
  ...body,
});
const configMap = recordConfigMap;

/** Server-side apply, creating ferry-system first when it is missing. */
export async function writeRecord(cluster: ClusterPort, obj: KubeObject): Promise<void> {
  try {
    await cluster.apply(obj, { force: true });
  } catch (e) {
    if ((e as { status?: number }).status !== 404) throw e;
    await ensureSystemNamespace(cluster);
    await cluster.apply(obj, { force: true });
  }
}

export interface SavedState {
  snapshot?: unknown;
  summary?: StateSummary;
}

function savedState(cm: KubeObject | undefined): SavedState {
  const data = (cm?.data ?? {}) as Record<string, string>;
  return {
    ...(data['snapshot.json'] ? { snapshot: JSON.parse(data['snapshot.json']) } : {}),
    ...(data['summary.json'] ? { summary: JSON.parse(data['summary.json']) as StateSummary } : {}),
  };
}

export async function readState(cluster: ClusterPort, s: SyncScope): Promise<SavedState> {
  return savedState(await cluster.get(ref('state', s)));
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

/** What `ferry rollout promote|abort` asks of a running canary; the controller deletes it once done. */
export interface RolloutCommand {
  command: 'promote' | 'promote-full' | 'abort';
  requestedAt: string;
  /** The commit whose canary it is meant for (a newer canary ignores it). */
  commit?: string;
}

export async function writeRolloutCommand(cluster: ClusterPort, s: SyncScope, c: RolloutCommand): Promise<void> {
  await writeRecord(cluster, configMap('rollout', s, { data: { 'command.json': JSON.stringify(c) } }));
}

export async function readRolloutCommand(cluster: ClusterPort, s: SyncScope): Promise<RolloutCommand | undefined> {
  const cm = await cluster.get(ref('rollout', s));
  const text = (cm?.data as Record<string, string> | undefined)?.['command.json'];
  return text ? (JSON.parse(text) as RolloutCommand) : undefined;
}

export async function clearRolloutCommand(cluster: ClusterPort, s: SyncScope): Promise<void> {
  await cluster.delete(ref('rollout', s));
}

/** Forgets an (app, environment) that Git no longer declares: its state and hold (history stays). */
export async function deleteState(cluster: ClusterPort, s: SyncScope): Promise<void> {
  await cluster.delete(ref('state', s));
  await cluster.delete(ref('hold', s));
}

export async function writeState(
  cluster: ClusterPort,
  s: SyncScope,
  snapshot: unknown,
  summary: StateSummary,
): Promise<void> {
  await writeRecord(
    cluster,
    configMap('state', s, {
      data: { 'snapshot.json': JSON.stringify(snapshot), 'summary.json': JSON.stringify(summary) },
    }),
  );
}

/** Every recorded (app, environment) of a cluster, of every source (or of one). */
export async function listStates(cluster: ClusterPort, source?: string): Promise<StateSummary[]> {
  return listJson<StateSummary>(cluster, recordSelector('state', source), 'summary.json');
}

/** One JSON entry of every record a label selector picks in ferry-system. */
async function listJson<T>(cluster: ClusterPort, selector: string, key: string): Promise<T[]> {
  const cms = await cluster.list('v1', 'ConfigMap', SYSTEM_NAMESPACE, selector);
  return cms
    .map((cm) => (cm.data as Record<string, string> | undefined)?.[key])
    .filter((x): x is string => !!x)
    .map((x) => JSON.parse(x) as T);
}

export async function readHistory(cluster: ClusterPort, s: SyncScope): Promise<Revision[]> {
  const cm = await cluster.get(ref('history', s));
  const data = (cm?.binaryData as Record<string, string> | undefined)?.['history.json.gz'];
  return data ? (JSON.parse(gunzipSync(Buffer.from(data, 'base64')).toString('utf8')) as Revision[]) : [];
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
  await writeRecord(
    cluster,
    configMap('history', s, {
      binaryData: { 'history.json.gz': gzipSync(JSON.stringify(history)).toString('base64') },
    }),
  );
  return history[0]!;
}

export async function readHold(cluster: ClusterPort, s: SyncScope): Promise<Hold | undefined> {
  const cm = await cluster.get(ref('hold', s));
  const data = cm?.data as Record<string, string> | undefined;
  return data?.['hold.json'] ? (JSON.parse(data['hold.json']) as Hold) : undefined;
}

export async function placeHold(cluster: ClusterPort, s: SyncScope, hold: Hold): Promise<void> {
  await writeRecord(cluster, configMap('hold', s, { data: { 'hold.json': JSON.stringify(hold) } }));
}

export async function releaseHold(cluster: ClusterPort, s: SyncScope): Promise<boolean> {
  if (!(await cluster.get(ref('hold', s)))) return false;
  await cluster.delete(ref('hold', s));
  return true;
}

/** A hold ConfigMap's "app/env" and hold; undefined for anything else. */
export function holdOf(cm: KubeObject): { key: string; hold: Hold } | undefined {
  const s = scopeOfLabels(cm.metadata.labels);
  const text = (cm.data as Record<string, string> | undefined)?.['hold.json'];
  if (!s || !text) return undefined;
  try {
    return { key: `${s.app}/${s.env}`, hold: JSON.parse(text) as Hold };
  } catch {
    return undefined;
  }
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
    data: { 'source.json': JSON.stringify(s) },
  });
}

export async function listSourceStatuses(cluster: ClusterPort): Promise<SourceStatus[]> {
  return listJson<SourceStatus>(cluster, recordSelector('source'), 'source.json');
}
