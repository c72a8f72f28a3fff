/** The cluster as the sync engine sees it. Implemented by src/kube/kube-cluster.ts. */
import type { KubeObject, ObjectRef } from '../objects/objects.js';

/** The field manager of Ferry's applies (what `metadata.managedFields` names it). */
export const SYNC_FIELD_MANAGER = 'ferry';

/** A workload's size: the replicas asked for (`spec.replicas`) and those ready (`status.readyReplicas`). */
export interface WorkloadScale {
  replicas: number;
  readyReplicas: number;
}

/** The size of a workload object (Deployment, StatefulSet, ReplicaSet, or any kind with the same fields). */
export function workloadScale(o: KubeObject): WorkloadScale {
  const replicas = o.spec?.replicas;
  const ready = (o.status as { readyReplicas?: unknown } | undefined)?.readyReplicas;
  return {
    replicas: typeof replicas === 'number' ? replicas : 1,
    readyReplicas: typeof ready === 'number' ? ready : 0,
  };
}

export interface ClusterPort {
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  list(apiVersion: string, kind: string, namespace: string | undefined, labelSelector: string): Promise<KubeObject[]>;
  /** Server-side apply with field manager "ferry" (SYNC_FIELD_MANAGER). */
  apply(obj: KubeObject, opts?: { dryRun?: boolean; force?: boolean }): Promise<KubeObject>;
  /**
   * Sets a workload's replicas through its `scale` subresource (autoscaling/v1 Scale), as `fieldManager`: an
   * autoscaler's write, which takes `spec.replicas` over without a conflict and which Ferry's sync leaves alone
   * when a runtime trait owns the field. A ClusterError (404) when the object does not exist.
   */
  scale(ref: ObjectRef, replicas: number, fieldManager: string): Promise<void>;
  /** A workload's replicas asked for and ready; undefined when it does not exist. */
  readScale(ref: ObjectRef): Promise<WorkloadScale | undefined>;
  /** Create only: fails with a 409 ClusterError when the object exists. */
  create(obj: KubeObject): Promise<KubeObject>;
  delete(ref: ObjectRef): Promise<void>;
  /**
   * Lists what a label selector picks, then streams its changes (relisting after a gap), until
   * `signal` aborts. Optional: without it, callers poll with `list`.
   */
  watch?(q: WatchQuery, handlers: WatchHandlers, signal: AbortSignal): Promise<void>;
  /** Mutating requests sent so far (dry-runs included). */
  readonly writes: number;
}

export interface WatchQuery {
  apiVersion: string;
  kind: string;
  namespace: string;
  labelSelector: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchHandlers {
  /** Every object the selector picks, after each (re)list; changes follow as events. */
  reset(items: KubeObject[]): void;
  event(type: WatchEventType, obj: KubeObject): void;
  /** A list or a watch failed; it is tried again after a backoff. */
  error?(e: Error): void;
}

/** A failed API call: the object, the HTTP status, the API's message and, when given, the field. */
export class ClusterError extends Error {
  constructor(
    readonly ref: ObjectRef | undefined,
    readonly status: number,
    message: string,
    readonly fields: string[] = [],
    readonly transient = false,
  ) {
    super(message);
  }
}
