/** The cluster as the sync engine sees it. Implemented by gitops/kube-cluster.ts. */
import type { KubeObject, ObjectRef } from '../gitops/objects.js';

export interface ClusterPort {
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  list(apiVersion: string, kind: string, namespace: string | undefined, labelSelector: string): Promise<KubeObject[]>;
  /** Server-side apply with field manager "ferry". */
  apply(obj: KubeObject, opts?: { dryRun?: boolean; force?: boolean }): Promise<KubeObject>;
  /** Create only: fails with a 409 ClusterError when the object exists. */
  create(obj: KubeObject): Promise<KubeObject>;
  delete(ref: ObjectRef): Promise<void>;
  /** Mutating requests sent so far (dry-runs included). */
  readonly writes: number;
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
