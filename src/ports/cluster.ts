/** The cluster as the sync engine sees it. Implemented by src/kube/kube-cluster.ts. */
import type { KubeObject, ObjectRef } from '../objects/objects.js';

export interface ClusterPort {
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  list(apiVersion: string, kind: string, namespace: string | undefined, labelSelector: string): Promise<KubeObject[]>;
  /** Server-side apply with field manager "ferry". */
  apply(obj: KubeObject, opts?: { dryRun?: boolean; force?: boolean }): Promise<KubeObject>;
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
