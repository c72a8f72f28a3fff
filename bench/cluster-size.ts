/** How many fake nodes a benchmark's local cluster needs. */
import { PODS_PER_NODE } from '../src/localcluster/kwok-stages.js';

/**
 * Nodes for `pods` running pods plus a quarter more for rolling updates' surge pods (at least 4). A full cluster
 * leaves a new ReplicaSet's pod Pending, and the app's verification then fails for want of room, not for Ferry.
 */
export const nodesFor = (pods: number) => Math.max(4, Math.ceil((pods * 1.25) / PODS_PER_NODE));
