/**
 * The in-memory cluster (memory-cluster.ts) with what the reconcile loop relies on from an API server,
 * for controller tests without Kubernetes: a dry-run writes nothing, a write that changes an object
 * bumps its resourceVersion (and its generation when the spec changed), a stale resourceVersion is a
 * 409, `status` survives applies, Deployments, StatefulSets and ReplicaSets become ready at once (as
 * the KWOK simulator makes them) unless `workloads` says otherwise, and watches stream changes (as
 * KubeCluster's do: the controller hears of a hold at once). Lists and watches can be made to miss
 * objects (`hideFromLists`), to play a watch or a relist that has not seen a change yet.
 */
import { ClusterError, type WatchEventType, type WatchHandlers, type WatchQuery } from '../../src/ports/cluster.js';
import { type KubeObject, type ObjectRef, refOf } from '../../src/objects/objects.js';
import { MemoryCluster, matchesSelector } from './memory-cluster.js';

/** What the simulated workload controllers make of a workload: ready, still rolling out, or stuck. */
export type WorkloadVerdict = 'ready' | 'progressing' | 'degraded';

const keyOf = (r: { kind: string; namespace?: string; name: string }) => `${r.kind}/${r.namespace ?? ''}/${r.name}`;
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet']);
/** Kinds whose changes outside metadata bump the generation (status is a subresource). */
const hasGeneration = (o: KubeObject) => o.spec !== undefined;

/** The first container image of a workload's pod template. */
export function imageOf(o: KubeObject | undefined): string | undefined {
  const spec = o?.spec as { template?: { spec?: { containers?: { image?: string }[] } } } | undefined;
  return spec?.template?.spec?.containers?.[0]?.image;
}

export interface SimWrite {
  verb: 'apply' | 'create' | 'delete' | 'scale';
  kind: string;
  namespace?: string;
  name: string;
}

export class SimCluster extends MemoryCluster {
  private rv = 0;
  private hidden?: (o: KubeObject) => boolean;
  private readonly watchers = new Set<{ q: WatchQuery; h: WatchHandlers }>();
  /** Every write that reached the store (dry-runs excluded), in order. */
  readonly log: SimWrite[] = [];
  /** How the workload controllers treat a workload (default: ready at once). */
  workloads: (o: KubeObject) => WorkloadVerdict = () => 'ready';

  override async apply(obj: KubeObject, opts: { dryRun?: boolean; force?: boolean } = {}): Promise<KubeObject> {
    const key = keyOf({ kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name });
    const live = this.objects.get(key);
    const wanted = obj.metadata.resourceVersion;
    if (wanted !== undefined && live && live.metadata.resourceVersion !== wanted)
      throw new ClusterError(refOf(obj), 409, `${key}: the object has been modified (resourceVersion ${wanted})`);
    const next = this.merge(live, obj);
    if (opts.dryRun) {
      this.writes++;
      return structuredClone(next);
    }
    await super.apply(next);
    this.log.push({ verb: 'apply', kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name });
    this.settle(key);
    const stored = this.objects.get(key)!;
    if (stored.metadata.resourceVersion !== live?.metadata.resourceVersion)
      this.notify(live ? 'MODIFIED' : 'ADDED', stored);
    return structuredClone(stored);
  }

  override async create(obj: KubeObject): Promise<KubeObject> {
    const key = keyOf({ kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name });
    if (this.objects.has(key)) throw new ClusterError(refOf(obj), 409, `${key} exists`);
    const created = await this.apply(obj);
    this.log[this.log.length - 1]!.verb = 'create';
    return created;
  }

  override async scale(ref: ObjectRef, replicas: number, fieldManager: string): Promise<void> {
    await super.scale(ref, replicas, fieldManager);
    this.log[this.log.length - 1]!.verb = 'scale';
  }

  override async delete(ref: ObjectRef): Promise<void> {
    const live = this.objects.get(keyOf(ref));
    await super.delete(ref);
    if (live) this.notify('DELETED', live);
    this.log.push({ verb: 'delete', kind: ref.kind, namespace: ref.namespace, name: ref.name });
  }

  override async list(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    labelSelector: string,
  ): Promise<KubeObject[]> {
    const all = await super.list(apiVersion, kind, namespace, labelSelector);
    const hidden = this.hidden;
    return hidden ? all.filter((o) => !hidden(o)) : all;
  }

  /** Lists what the query picks, then streams its changes (after the caller's turn) until `signal` aborts. */
  async watch(q: WatchQuery, h: WatchHandlers, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const w = { q, h };
    h.reset(await this.list(q.apiVersion, q.kind, q.namespace, q.labelSelector));
    this.watchers.add(w);
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    this.watchers.delete(w);
  }

  /**
   * Lists and watches leave out what `hide` picks (a relist or a watch that has not seen it yet); no
   * argument: every watch relists (as after a reconnection) and sees everything again.
   */
  hideFromLists(hide?: (o: KubeObject) => boolean): void {
    this.hidden = hide;
    if (hide) return;
    for (const { q, h } of this.watchers)
      void this.list(q.apiVersion, q.kind, q.namespace, q.labelSelector).then((items) => h.reset(items));
  }

  private notify(type: WatchEventType, o: KubeObject): void {
    if (this.hidden?.(o)) return;
    for (const { q, h } of this.watchers) {
      if (q.kind !== o.kind || (q.namespace && q.namespace !== o.metadata.namespace)) continue;
      if (!matchesSelector(o.metadata.labels ?? {}, q.labelSelector)) continue;
      const copy = structuredClone(o);
      setImmediate(() => h.event(type, copy));
    }
  }

  /** The live object (a copy), by kind, namespace and name. */
  object(kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const o = this.objects.get(keyOf({ kind, namespace, name }));
    return o ? structuredClone(o) : undefined;
  }

  /** The writes to objects of one namespace (an app's objects, its Events excluded). */
  writesIn(namespace: string): SimWrite[] {
    return this.log.filter((w) => w.namespace === namespace && w.kind !== 'Event');
  }

  /** Runs the simulated workload controllers over every workload again (after `workloads` changed). */
  settleAll(): void {
    for (const [key, o] of this.objects) if (WORKLOADS.has(o.kind)) this.settle(key);
  }

  /** An applied object as the API server keeps it: server fields, the status it had, versions bumped on change. */
  private merge(live: KubeObject | undefined, obj: KubeObject): KubeObject {
    const next = structuredClone(obj);
    const { resourceVersion: _rv, generation: _gen, uid: _uid, ...meta } = next.metadata;
    next.metadata = meta;
    if (live?.status !== undefined && next.status === undefined) next.status = structuredClone(live.status);
    // The API server's defaulting.
    if (WORKLOADS.has(next.kind) && next.spec && next.spec.replicas === undefined) next.spec.replicas = 1;
    const same = live !== undefined && sameContent(live, next);
    next.metadata.uid = live?.metadata.uid ?? `uid-${++this.rv}`;
    next.metadata.resourceVersion = same ? live.metadata.resourceVersion : String(++this.rv);
    if (hasGeneration(next)) {
      const generation = typeof live?.metadata.generation === 'number' ? live.metadata.generation : 0;
      next.metadata.generation =
        live && JSON.stringify(live.spec) === JSON.stringify(next.spec) ? generation : generation + 1;
    }
    return next;
  }

  /** The workload controllers' status for a workload's current generation. */
  private settle(key: string): void {
    const o = this.objects.get(key);
    if (!o || !WORKLOADS.has(o.kind)) return;
    const want = typeof o.spec?.replicas === 'number' ? o.spec.replicas : 1;
    const verdict = this.workloads(o);
    const generation = o.metadata.generation;
    const status: Record<string, unknown> =
      verdict === 'ready'
        ? {
            observedGeneration: generation,
            replicas: want,
            updatedReplicas: want,
            readyReplicas: want,
            availableReplicas: want,
            currentRevision: 'r',
            updateRevision: 'r',
          }
        : {
            observedGeneration: generation,
            replicas: want,
            updatedReplicas: 0,
            readyReplicas: 0,
            availableReplicas: 0,
            ...(verdict === 'degraded'
              ? {
                  conditions: [
                    {
                      type: 'Progressing',
                      status: 'False',
                      reason: 'ProgressDeadlineExceeded',
                      message: `${imageOf(o) ?? 'the image'} cannot be pulled`,
                    },
                  ],
                }
              : {}),
          };
    if (JSON.stringify(o.status) === JSON.stringify(status)) return;
    o.status = status;
    o.metadata.resourceVersion = String(++this.rv);
  }
}

/** Same object apart from the fields the server sets. */
function sameContent(live: KubeObject, next: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const { resourceVersion: _rv, generation: _gen, uid: _uid, ...meta } = o.metadata;
    return JSON.stringify({ ...o, metadata: meta });
  };
  return strip(live) === strip(next);
}
