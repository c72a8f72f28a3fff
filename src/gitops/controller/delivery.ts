/**
 * The delivering stage's extension point: a progressive delivery (src/traits/canary) holds a new pod
 * template back from what apply writes, then moves traffic to it step by step in `deliver`. Without
 * one, apply writes what Git renders and delivering passes through.
 */
import type { ClusterPort } from '../../ports/cluster.js';
import type { Release } from '../release/release.js';
import type { KubeObject } from '../../objects/objects.js';
import type { CanaryProgress } from '../../traits/canary/progress.js';
import type { Logger } from './telemetry.js';

export interface DeliveryInput {
  release: Release;
  rendered: NonNullable<Release['rendered']>;
  /** The commit being delivered. */
  revision: string;
  /** The cluster of the release's (only) placement, and where its records live. */
  cluster: ClusterPort;
  records: ClusterPort;
  objects: KubeObject[];
  log: Logger;
}

export interface Delivery {
  /**
   * The objects apply should write: the rendered ones, with a workload's new template held back while a canary runs.
   */
  holdBack(input: DeliveryInput): Promise<KubeObject[]>;
  /**
   * Runs the delivery; resolves when promoted (or nothing to do), rejects when aborted, stops when `signal` aborts
   * (superseded).
   */
  deliver(
    input: DeliveryInput & { report(p: CanaryProgress | undefined): Promise<void>; signal: AbortSignal },
  ): Promise<void>;
}
