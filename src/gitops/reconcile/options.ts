/** What the reconcile module needs from the controller that runs it. */
import type { ClusterPort } from '../../ports/cluster.js';
import type { EnvironmentConfig } from '../source/environments.js';
import type { TraitStage } from './delivery.js';
import type { StateSummary } from '../store/state-summary.js';
import type { Logger, Metrics } from './telemetry.js';

export interface ReconcileOptions {
  /** The cluster of an environment ("local" placement) or of a topology cluster name. */
  clusterFor: (env: EnvironmentConfig | undefined, placementCluster: string) => ClusterPort;
  metrics: Metrics;
  log: Logger;
  verifyTimeoutMs?: number;
  /** The runtime traits' hooks (hold-back at apply, the delivering stage). */
  traits: TraitStage;
  /** Told every summary a release writes (its state, a trait's or a wave's progress): the API's live stream. */
  changed?: (summary: StateSummary) => void;
}
