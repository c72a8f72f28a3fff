/**
 * The local clusters of `npm start`: "ferry-dev" (the controller's own cluster, current context, with
 * Prometheus and the traffic simulator for `checkout`'s canary analysis) and one small cluster per
 * topology cluster the examples name (`multi-env`'s prod: "prod-eu", "prod-us"), joined in one
 * kubeconfig whose context names are the topology's cluster names.
 */
import { join } from 'node:path';
import { startCluster, type UpOptions } from './cluster.js';
import { writeMergedKubeconfig } from './kubeconfig.js';
import { clusterDir, type ClusterState } from './state.js';

export interface DevCluster {
  /** The local cluster's name (`npm run cluster:down -- --name <name>` stops it). */
  name: string;
  /** Its context name in the merged kubeconfig. */
  context: string;
  /** Fake nodes. */
  nodes: number;
  /** Also runs Prometheus and the traffic simulator (the metrics rig). */
  metrics?: boolean;
}

/**
 * No metrics API runs here (no containers, no metrics-server), so the HPA controller would mark
 * multi-env's prod HPA `ScalingActive=False` (FailedGetResourceMetric) a few seconds after it is
 * applied, and its health Degraded. Without the controller an HPA is accepted and keeps the replicas
 * it was given, as on a cluster whose autoscaler has nothing to act on.
 */
const DEV_DISABLED_CONTROLLERS = ['horizontal-pod-autoscaler-controller'];

const DEV_HOME = 'ferry-dev';

/**
 * The home cluster has three nodes (the stateful example spreads its three replicas over distinct
 * nodes) and the metrics rig (the checkout example's canary is analysed there; the controller places
 * single-cluster apps on its own cluster); the prod clusters one node each (64 CPUs and 256 GiB of fake
 * capacity hold prod's 6 api replicas and the ledger).
 */
export const DEV_CLUSTERS: readonly DevCluster[] = [
  { name: DEV_HOME, context: DEV_HOME, nodes: 3, metrics: true },
  { name: `${DEV_HOME}-prod-eu`, context: 'prod-eu', nodes: 1 },
  { name: `${DEV_HOME}-prod-us`, context: 'prod-us', nodes: 1 },
];

/** Where the merged kubeconfig is written: inside the home cluster's folder, removed with it. */
const devKubeconfigPath = (home = DEV_HOME) => join(clusterDir(home), 'kubeconfig-all');

export interface DevEnvironment {
  kubeconfig: string;
  clusters: ClusterState[];
  /** The home cluster's Prometheus, when it runs the metrics rig. */
  prometheusUrl?: string;
}

/**
 * Starts (or reuses) every cluster — the home one first (it builds the binaries on first use), then
 * the others side by side — and writes the merged kubeconfig with the home cluster as current context.
 */
export async function startDevClusters(
  opts: {
    clusters?: readonly DevCluster[];
    log?: (line: string) => void;
    /** Starts one cluster (default startCluster; tests give a fake). */
    start?: (o: UpOptions) => Promise<ClusterState>;
  } = {},
): Promise<DevEnvironment> {
  const [home, ...rest] = opts.clusters ?? DEV_CLUSTERS;
  if (!home) throw new Error('no cluster to start');
  const log = opts.log ?? (() => {});
  const start = opts.start ?? startCluster;
  const up = (c: DevCluster) =>
    start({
      name: c.name,
      nodes: c.nodes,
      disableControllers: DEV_DISABLED_CONTROLLERS,
      withMetrics: c.metrics ?? false,
      log: (l) => log(`[${c.context}] ${l}`),
    });
  const first = await up(home);
  const others = await Promise.allSettled(rest.map(up));
  const failed = others.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason as Error;
  const states = [first, ...others.map((r) => (r as PromiseFulfilledResult<ClusterState>).value)];
  const all = [home, ...rest];
  const kubeconfig = writeMergedKubeconfig(
    devKubeconfigPath(home.name),
    all.map((c, i) => ({ context: c.context, file: states[i]!.kubeconfig })),
    home.context,
  );
  return { kubeconfig, clusters: states, ...(first.prometheusUrl ? { prometheusUrl: first.prometheusUrl } : {}) };
}
