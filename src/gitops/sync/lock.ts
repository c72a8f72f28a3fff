/** Serializes syncs of one (app, environment): a coordination.k8s.io Lease in ferry-system. */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { ClusterError, type ClusterPort } from '../../ports/cluster.js';
import { ensureSystemNamespace, SYSTEM_NAMESPACE } from './inventory.js';
import type { KubeObject } from './objects.js';
import type { SyncScope } from './tracking.js';

export interface SyncLock {
  release(): Promise<void>;
}

/** Per release: a controller's releases are scoped by its source, so two sources' apps of one name do not wait for each other. */
const leaseName = (scope: SyncScope) => (scope.source ? `ferry-sync.${scope.source}.${scope.app}.${scope.env}` : `ferry-sync.${scope.app}.${scope.env}`);

/** Waits (up to timeoutMs) for the lease; a lease not renewed for `leaseSeconds` is taken over. */
export async function acquireLock(cluster: ClusterPort, scope: SyncScope, opts: { timeoutMs?: number; leaseSeconds?: number; now?: () => Date } = {}): Promise<SyncLock> {
  await ensureSystemNamespace(cluster);
  const holder = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const now = opts.now ?? (() => new Date());
  const leaseSeconds = opts.leaseSeconds ?? 30;
  const ref = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: SYSTEM_NAMESPACE, name: leaseName(scope) };
  const deadline = Date.now() + (opts.timeoutMs ?? 5 * 60_000);
  for (;;) {
    const live = await cluster.get(ref);
    const spec = (live?.spec ?? {}) as { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number };
    const expired = !spec.holderIdentity || !spec.renewTime || Date.parse(spec.renewTime) + (spec.leaseDurationSeconds ?? leaseSeconds) * 1000 < now().getTime();
    if (!live || expired) {
      const lease: KubeObject = {
        apiVersion: ref.apiVersion,
        kind: 'Lease',
        metadata: { name: ref.name, namespace: SYSTEM_NAMESPACE, ...(live?.metadata.resourceVersion ? { resourceVersion: live.metadata.resourceVersion } : {}) },
        spec: { holderIdentity: holder, leaseDurationSeconds: leaseSeconds, acquireTime: now().toISOString().replace(/\.\d+Z$/, '.000000Z'), renewTime: now().toISOString().replace(/\.\d+Z$/, '.000000Z') },
      };
      try {
        // Create fails with 409 when another sync created it first; a take-over carries the
        // resourceVersion it saw, so a concurrent take-over fails with 409 as well.
        if (live) await cluster.apply(lease, { force: true });
        else await cluster.create(lease);
        const check = await cluster.get(ref);
        if ((check?.spec as { holderIdentity?: string } | undefined)?.holderIdentity === holder) {
          // Renew while the sync runs, so a long sync keeps the lock and a crashed one loses it soon.
          const renew = setInterval(() => {
            const stamp = now().toISOString().replace(/\.\d+Z$/, '.000000Z');
            cluster.apply({ apiVersion: ref.apiVersion, kind: 'Lease', metadata: { name: ref.name, namespace: SYSTEM_NAMESPACE }, spec: { holderIdentity: holder, leaseDurationSeconds: leaseSeconds, renewTime: stamp } }, { force: true }).catch(() => undefined);
          }, (leaseSeconds * 1000) / 3);
          renew.unref();
          return {
            release: async () => {
              clearInterval(renew);
              const cur = await cluster.get(ref);
              if ((cur?.spec as { holderIdentity?: string } | undefined)?.holderIdentity === holder) await cluster.delete(ref);
            },
          };
        }
      } catch (e) {
        if (!(e instanceof ClusterError && e.status === 409)) throw e;
      }
    }
    if (Date.now() > deadline) throw new ClusterError(ref, 0, `timed out waiting for the sync lock of ${scope.app}/${scope.env} (held by ${spec.holderIdentity ?? 'unknown'})`);
    await new Promise((r) => setTimeout(r, 200 + Math.random() * 300));
  }
}
