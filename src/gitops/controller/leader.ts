/**
 * Leader election on a coordination.k8s.io Lease (as client-go's leaderelection does): a candidate
 * takes the lease when it is free or was not renewed within its duration, renews it every third of
 * the duration with the resourceVersion it last saw (so two replicas cannot both win), and steps
 * down when it has not renewed for two thirds of the duration (on a timer, even while a request hangs).
 * The replicas of one Git source share a Lease; controllers of other sources elect their own leaders
 * on the same cluster.
 */
import { abortableSleep } from '../../util/sleep.js';
import { ClusterError, type ClusterPort } from '../../ports/cluster.js';
import { ensureSystemNamespace } from '../store/inventory.js';
import { giveUpLease, tryTakeLease } from '../store/lease.js';

export interface LeaderOptions {
  cluster: ClusterPort;
  identity: string;
  /**
   * The Lease in ferry-system: `ferry serve` uses ferry-controller.<source> (leaderLeaseName), or --leader-election-id.
   */
  name: string;
  leaseSeconds?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  signal: AbortSignal;
}

export async function runLeaderElection(o: LeaderOptions): Promise<void> {
  const seconds = o.leaseSeconds ?? 15;
  // Steps down at two thirds of the Lease without a renewal (client-go's renew deadline), before it can expire.
  const stepDown = (seconds * 1000 * 2) / 3;
  let leading = false;
  let lastRenew = 0;
  await ensureSystemNamespace(o.cluster).catch(() => undefined);
  // Stepping down does not wait for the loop: a renewal that hangs (the API server stops answering) cannot keep
  // this replica leading past the Lease.
  const watchdog = setInterval(
    () => {
      if (leading && Date.now() - lastRenew > stepDown) {
        leading = false;
        o.onStoppedLeading();
      }
    },
    Math.max(50, (seconds * 1000) / 10),
  );
  try {
    while (!o.signal.aborted) {
      let failed = false;
      try {
        // Counted from before the request: the Lease's renewTime is no earlier than this.
        const asked = Date.now();
        const { held } = await tryTakeLease(o.cluster, o.name, o.identity, seconds);
        // An answer that came too late counts as none: the Lease may have lapsed meanwhile.
        if (held && Date.now() - asked < stepDown) {
          lastRenew = asked;
          if (!leading) {
            leading = true;
            o.onStartedLeading();
          }
        } else if (leading && !held) {
          leading = false;
          o.onStoppedLeading();
        }
      } catch (e) {
        // Anything else than a clear answer: try again soon (the watchdog steps down if it lasts).
        if (!(e instanceof ClusterError)) throw e;
        failed = true;
      }
      const period = (seconds * 1000) / 3;
      await abortableSleep(failed ? period / 4 : leading ? period : (seconds * 1000) / 5, o.signal);
    }
  } finally {
    clearInterval(watchdog);
  }
  if (leading) {
    // Give the lease up on shutdown so another replica takes over at once.
    await giveUpLease(o.cluster, o.name, o.identity).catch(() => undefined);
    o.onStoppedLeading();
  }
}
