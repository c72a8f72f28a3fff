/**
 * Taking a coordination.k8s.io Lease in ferry-system, as client-go's leader election does: free, not
 * renewed within its duration, or already ours → write it with the resourceVersion seen (a concurrent
 * take-over fails with 409), then read back who holds it. Used by the per-release sync lock and by the
 * controller's leader election.
 */
import { ClusterError, type ClusterPort } from '../../ports/cluster.js';
import { SYSTEM_NAMESPACE } from './inventory.js';
import type { KubeObject, ObjectRef } from '../../objects/objects.js';

export const leaseRef = (name: string): ObjectRef => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  namespace: SYSTEM_NAMESPACE,
  name,
});

/** MicroTime as the API server writes it. */
export const microTime = (d: Date) => d.toISOString().replace(/\.(\d+)Z$/, (_, ms: string) => `.${ms.padEnd(6, '0')}Z`);

interface LeaseSpec {
  holderIdentity?: string;
  renewTime?: string;
  acquireTime?: string;
  leaseDurationSeconds?: number;
  leaseTransitions?: number;
}

const specOf = (o: KubeObject | undefined) => (o?.spec ?? {}) as LeaseSpec;

/**
 * One attempt: take or renew the lease when it is free, expired or ours. Returns whether `identity`
 * holds it afterwards and who does; a 409 (another candidate moved first) is "not held".
 */
export async function tryTakeLease(
  cluster: ClusterPort,
  name: string,
  identity: string,
  seconds: number,
  now: () => Date = () => new Date(),
): Promise<{ held: boolean; holder?: string }> {
  const ref = leaseRef(name);
  const live = await cluster.get(ref);
  const spec = specOf(live);
  const mine = spec.holderIdentity === identity;
  const expired =
    !spec.holderIdentity ||
    !spec.renewTime ||
    Date.parse(spec.renewTime) + (spec.leaseDurationSeconds ?? seconds) * 1000 < now().getTime();
  if (live && !mine && !expired)
    return { held: false, ...(spec.holderIdentity ? { holder: spec.holderIdentity } : {}) };
  const acquire = !mine;
  const lease: KubeObject = {
    apiVersion: ref.apiVersion,
    kind: 'Lease',
    metadata: {
      name,
      namespace: SYSTEM_NAMESPACE,
      ...(live?.metadata.resourceVersion ? { resourceVersion: live.metadata.resourceVersion } : {}),
    },
    spec: {
      holderIdentity: identity,
      leaseDurationSeconds: seconds,
      acquireTime: acquire ? microTime(now()) : spec.acquireTime,
      renewTime: microTime(now()),
      leaseTransitions: (spec.leaseTransitions ?? 0) + (acquire && live ? 1 : 0),
    },
  };
  try {
    if (live) await cluster.apply(lease, { force: true });
    else await cluster.create(lease);
  } catch (e) {
    if (e instanceof ClusterError && e.status === 409) return { held: false };
    throw e;
  }
  const holder = specOf(await cluster.get(ref)).holderIdentity;
  return { held: holder === identity, ...(holder ? { holder } : {}) };
}

/** Deletes the lease if `identity` still holds it (a clean hand-over). */
export async function giveUpLease(cluster: ClusterPort, name: string, identity: string): Promise<void> {
  const ref = leaseRef(name);
  if (specOf(await cluster.get(ref)).holderIdentity === identity) await cluster.delete(ref);
}
