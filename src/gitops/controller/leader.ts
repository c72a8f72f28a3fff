/**
 * Leader election on a coordination.k8s.io Lease (as client-go's leaderelection does): a candidate
 * takes the lease when it is free or was not renewed within its duration, renews it every third of
 * the duration with the resourceVersion it last saw (so two replicas cannot both win), and steps
 * down when a renewal fails for longer than the duration. The replicas of one Git source share a
 * Lease; controllers of other sources elect their own leaders on the same cluster.
 */
import { ClusterError, type ClusterPort } from '../../ports/cluster.js';
import { ensureSystemNamespace, SYSTEM_NAMESPACE } from '../sync/inventory.js';
import type { KubeObject } from '../sync/objects.js';

export interface LeaderOptions {
  cluster: ClusterPort;
  identity: string;
  /** The Lease in ferry-system: `ferry serve` uses ferry-controller.<source> (leaderLeaseName), or --leader-election-id. */
  name: string;
  leaseSeconds?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  signal: AbortSignal;
}

const micro = (d: Date) => d.toISOString().replace(/\.(\d+)Z$/, (_, ms: string) => `.${ms.padEnd(6, '0')}Z`);
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((r) => {
    const wake = () => {
      clearTimeout(t);
      r();
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', wake);
      r();
    }, ms);
    signal.addEventListener('abort', wake, { once: true });
  });

export async function runLeaderElection(o: LeaderOptions): Promise<void> {
  const name = o.name;
  const seconds = o.leaseSeconds ?? 15;
  const ref = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: SYSTEM_NAMESPACE, name };
  let leading = false;
  let lastRenew = 0;
  const lease = (live: KubeObject | undefined, acquire: boolean): KubeObject => {
    const spec = (live?.spec ?? {}) as Record<string, unknown>;
    return {
      apiVersion: ref.apiVersion,
      kind: 'Lease',
      metadata: { name, namespace: SYSTEM_NAMESPACE, ...(live?.metadata.resourceVersion ? { resourceVersion: live.metadata.resourceVersion } : {}) },
      spec: { holderIdentity: o.identity, leaseDurationSeconds: seconds, acquireTime: acquire ? micro(new Date()) : spec.acquireTime, renewTime: micro(new Date()), leaseTransitions: ((spec.leaseTransitions as number | undefined) ?? 0) + (acquire && live ? 1 : 0) },
    };
  };
  await ensureSystemNamespace(o.cluster).catch(() => undefined);
  while (!o.signal.aborted) {
    try {
      const live = await o.cluster.get(ref);
      const spec = (live?.spec ?? {}) as { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number };
      const mine = spec.holderIdentity === o.identity;
      const expired = !spec.holderIdentity || !spec.renewTime || Date.parse(spec.renewTime) + (spec.leaseDurationSeconds ?? seconds) * 1000 < Date.now();
      if (!live) await o.cluster.create(lease(undefined, true));
      else if (mine || expired) await o.cluster.apply(lease(live, !mine), { force: true });
      const now = await o.cluster.get(ref);
      const holder = (now?.spec as { holderIdentity?: string } | undefined)?.holderIdentity;
      if (holder === o.identity) {
        lastRenew = Date.now();
        if (!leading) {
          leading = true;
          o.onStartedLeading();
        }
      } else if (leading) {
        leading = false;
        o.onStoppedLeading();
      }
    } catch (e) {
      if (!(e instanceof ClusterError)) throw e;
      // 409: another replica moved first; anything else: try again, stepping down if it lasts.
      if (leading && Date.now() - lastRenew > seconds * 1000) {
        leading = false;
        o.onStoppedLeading();
      }
    }
    await sleep(leading ? (seconds * 1000) / 3 : (seconds * 1000) / 5, o.signal);
  }
  if (leading) {
    // Give the lease up on shutdown so another replica takes over at once.
    const live = await o.cluster.get(ref).catch(() => undefined);
    if ((live?.spec as { holderIdentity?: string } | undefined)?.holderIdentity === o.identity) await o.cluster.delete(ref).catch(() => undefined);
    o.onStoppedLeading();
  }
}
