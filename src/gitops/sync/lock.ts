/** Serializes syncs of one (app, environment): a coordination.k8s.io Lease in ferry-system (lease.ts). */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { ClusterError, type ClusterPort } from '../../ports/cluster.js';
import { ensureSystemNamespace } from '../store/inventory.js';
import { giveUpLease, leaseRef, tryTakeLease } from '../store/lease.js';
import type { SyncScope } from './tracking.js';

export interface SyncLock {
  release(): Promise<void>;
}

/**
 * Per release: a controller's releases are scoped by its source, so two sources' apps of one name do not wait for each
 * other.
 */
const leaseName = (scope: SyncScope) =>
  scope.source ? `ferry-sync.${scope.source}.${scope.app}.${scope.env}` : `ferry-sync.${scope.app}.${scope.env}`;

/** Waits (up to timeoutMs) for the lease; a lease not renewed for `leaseSeconds` is taken over. */
export async function acquireLock(
  cluster: ClusterPort,
  scope: SyncScope,
  opts: { timeoutMs?: number; leaseSeconds?: number; now?: () => Date } = {},
): Promise<SyncLock> {
  await ensureSystemNamespace(cluster);
  const holder = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const now = opts.now ?? (() => new Date());
  const leaseSeconds = opts.leaseSeconds ?? 30;
  const name = leaseName(scope);
  const deadline = Date.now() + (opts.timeoutMs ?? 5 * 60_000);
  for (;;) {
    const taken = await tryTakeLease(cluster, name, holder, leaseSeconds, now);
    if (taken.held) {
      // Renew while the sync runs, so a long sync keeps the lock and a crashed one loses it soon.
      const renew = setInterval(
        () => void tryTakeLease(cluster, name, holder, leaseSeconds, now).catch(() => undefined),
        (leaseSeconds * 1000) / 3,
      );
      renew.unref();
      return {
        release: async () => {
          clearInterval(renew);
          await giveUpLease(cluster, name, holder);
        },
      };
    }
    if (Date.now() > deadline)
      throw new ClusterError(
        leaseRef(name),
        0,
        `timed out waiting for the sync lock of ${scope.app}/${scope.env} (held by ${taken.holder ?? 'unknown'})`,
      );
    await new Promise((r) => setTimeout(r, 200 + Math.random() * 300));
  }
}
