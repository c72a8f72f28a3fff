/** What the reconcile module needs from the controller that runs it. */
import type { ClusterPort } from '../../ports/cluster.js';
import type { EnvironmentConfig } from '../source/environments.js';
import type { TraitStage } from './delivery.js';
import type { StateSummary } from '../store/state-summary.js';
import type { Logger, Metrics } from './telemetry.js';

export type ClusterFor = (env: EnvironmentConfig | undefined, placementCluster: string) => ClusterPort;

export interface ReconcileOptions {
  /**
   * The cluster of an environment ("local" placement) or of a topology cluster name, as the controller itself:
   * its records, Events and Leases (and the apps' objects, unless appClusterFor says otherwise).
   */
  clusterFor: ClusterFor;
  /**
   * The same clusters as the identity the apps' objects are applied, pruned and read with: an environment's
   * `serviceAccount`, impersonated (tenancy). Absent: clusterFor.
   */
  appClusterFor?: ClusterFor;
  metrics: Metrics;
  log: Logger;
  verifyTimeoutMs?: number;
  /** The runtime traits' hooks (hold-back at apply, the delivering stage). */
  traits: TraitStage;
  /** The replica (`ferry serve --identity`) whose states these are: recorded as each summary's `reconciler`. */
  identity?: string;
  /** Told every summary a release writes (its state, a trait's or a wave's progress): the API's live stream. */
  changed?: (summary: StateSummary) => void;
}

/** The cluster an environment's app objects are applied, pruned and read on, as its tenant (see appClusterFor). */
export const appCluster = (
  o: Pick<ReconcileOptions, 'clusterFor' | 'appClusterFor'>,
  env: EnvironmentConfig | undefined,
  placementCluster: string,
): ClusterPort => (o.appClusterFor ?? o.clusterFor)(env, placementCluster);
