/**
 * Sharding `ferry serve` across replicas (`--shards N`), on Leases only. Each app of a Git source hashes to one of
 * N shards; each shard is owned through its own Lease in ferry-system (ferry-shard.<source>.<i>-of-<N>). Every
 * replica keeps a membership Lease (ferry-replica.<source>.<identity digest>, labelled with the source) and takes
 * its fair share of the shards: with M live replicas sorted by identity, the k-th owns ⌊N/M⌋ shards, one more
 * when k < N mod M. A replica over its share hands its highest shards back: it stops reconciling their apps
 * first and gives the Lease up only then; a replica under its share takes shards that are free or expired. So no
 * app is reconciled by two replicas at once: a shard changes hands only through a released or expired Lease, and
 * a replica that cannot renew stops its shards before the Lease can expire (at two thirds of its duration).
 *
 * Replicas must agree on N (shard Leases of another N are other Leases): each membership Lease records its N, and
 * a replica that sees a live one with another N, or a live leader Lease of the source (a replica started without
 * --shards), hands its shards back and takes none until the disagreement is gone. Safety before progress.
 */
import { abortableSleep } from '../../util/sleep.js';
import { createHash } from 'node:crypto';
import type { ClusterPort } from '../../ports/cluster.js';
import type { KubeObject } from '../../objects/objects.js';
import { leaderLeaseName, SYSTEM_NAMESPACE } from '../store/record-names.js';
import { ensureSystemNamespace } from '../store/inventory.js';
import { giveUpLease, leaseRef, microTime, tryTakeLease } from '../store/lease.js';

/** The shard of an app: the first 4 bytes of sha256(source/app), modulo `shards`. */
export function shardOf(source: string, app: string, shards: number): number {
  return createHash('sha256').update(`${source}/${app}`).digest().readUInt32BE(0) % shards;
}

export const shardLeaseName = (source: string, shard: number, shards: number): string =>
  `ferry-shard.${source}.${shard}-of-${shards}`;

export const LABEL_REPLICA_OF = 'ferry.dev/replica-of';
/** A membership Lease's annotation: the replica's N. */
export const ANNOTATION_SHARDS = 'ferry.dev/shards';

const replicaLeaseName = (source: string, identity: string) =>
  `ferry-replica.${source}.${createHash('sha256').update(identity).digest('hex').slice(0, 16)}`;

/** How many shards the k-th of `members` replicas (sorted) owns. */
export function fairShare(shards: number, members: number, k: number): number {
  return Math.floor(shards / members) + (k < shards % members ? 1 : 0);
}

export interface ShardOptions {
  cluster: ClusterPort;
  source: string;
  identity: string;
  shards: number;
  leaseSeconds: number;
  signal: AbortSignal;
  /** A shard is this replica's: start reconciling its apps. */
  take(shard: number): void;
  /** A shard is no longer this replica's: resolves once nothing of it is reconciled any more. */
  drop(shard: number): Promise<void>;
  log: { info(o: object, msg: string): void; warn(o: object, msg: string): void; error(o: object, msg: string): void };
}

/** Runs this replica's part until `signal` aborts; then stops its shards and gives their Leases up. */
export async function runShards(o: ShardOptions): Promise<void> {
  const owned = new Map<number, number>(); // shard → when its Lease was last renewed
  // Shards being stopped (their releases finishing a step): a handed-back one keeps its Lease renewed until then.
  const leaving = new Map<number, Promise<void>>();
  const period = (o.leaseSeconds * 1000) / 3;
  const stepDown = (o.leaseSeconds * 1000 * 2) / 3;
  const lease = (shard: number) => shardLeaseName(o.source, shard, o.shards);
  await ensureSystemNamespace(o.cluster).catch(() => undefined);
  /** Stops a shard's releases in the background; a shard handed back is given up only once they have stopped. */
  const leave = (shard: number, why: string, handBack: boolean) => {
    if (leaving.has(shard)) return;
    if (!handBack) owned.delete(shard);
    // Logged once its apps have stopped, before its Lease is given up (so before another replica can take it).
    const released = () => o.log.info({ shard, shards: o.shards, why }, 'shard released');
    const done = o
      .drop(shard)
      .catch((e: unknown) => o.log.warn({ shard, err: (e as Error).message }, 'stopping a shard failed'))
      .then(released)
      .then(() => (handBack ? giveUpLease(o.cluster, lease(shard), o.identity).catch(() => undefined) : undefined))
      .finally(() => {
        owned.delete(shard);
        leaving.delete(shard);
      });
    leaving.set(shard, done);
  };
  // A shard not renewed for two thirds of the Lease is stopped before another replica may take it, even while
  // the loop waits on a request that hangs.
  const watchdog = setInterval(
    () => {
      for (const [shard, renewed] of [...owned])
        if (Date.now() - renewed > stepDown) leave(shard, 'its Lease could not be renewed', false);
    },
    Math.max(50, period / 4),
  );
  /**
   * Renews the Lease of every shard held (one on its way out too), all at once; a Lease someone else holds now is
   * gone. Resolves once every renewal has answered (never two renewals of one Lease at once), to whether all did;
   * a failed one is logged (the watchdog stops its shard if the next tries fail too).
   */
  const renew = async () =>
    (
      await Promise.all(
        [...owned.keys()].map(async (shard) => {
          // Counted from before the request: the Lease's renewTime is no earlier than this.
          const asked = Date.now();
          try {
            const r = await tryTakeLease(o.cluster, lease(shard), o.identity, o.leaseSeconds);
            // Stopped meanwhile (the watchdog): not held again here; a later round takes it, and starts its apps.
            if (!owned.has(shard)) return true;
            if (r.held) owned.set(shard, asked);
            else leave(shard, `taken by ${r.holder ?? 'another replica'}`, false);
            return true;
          } catch (e) {
            o.log.warn({ shard, err: (e as Error).message }, 'renewing a shard Lease failed; trying again');
            return false;
          }
        }),
      )
    ).every(Boolean);
  /**
   * Hands shards over the fair share back (the highest first), and takes free or expired ones up to it: one at least,
   * more while the round is less than half a period old (the next round's renewals are not pushed back by slow takes).
   */
  const rebalance = async (members: string[], round: number) => {
    const k = members.indexOf(o.identity);
    const share = fairShare(o.shards, members.length, k < 0 ? members.length : k);
    // Over the share (a replica joined): hand the highest shards back, each stopped before its Lease goes.
    const staying = [...owned.keys()].filter((shard) => !leaving.has(shard)).sort((a, b) => b - a);
    for (const shard of staying.slice(0, Math.max(0, staying.length - share)))
      leave(shard, `rebalancing to ${members.length} replicas`, true);
    // Under it: take shards that are free or expired, in order.
    let mine = Math.min(staying.length, share);
    let tried = 0;
    for (let shard = 0; shard < o.shards && mine < share && !o.signal.aborted; shard++) {
      if (owned.has(shard) || leaving.has(shard)) continue;
      if (tried++ > 0 && Date.now() - round > period / 2) break;
      const asked = Date.now();
      const r = await tryTakeLease(o.cluster, lease(shard), o.identity, o.leaseSeconds);
      // An answer that came too late: the Lease may have lapsed meanwhile (taken again next round).
      if (!r.held || Date.now() - asked >= stepDown) continue;
      owned.set(shard, asked);
      mine++;
      o.log.info({ shard, shards: o.shards, replicas: members.length }, 'shard taken');
      o.take(shard);
    }
  };
  // The first round only announces this replica: replicas started together see each other before taking shards.
  let announced = false;
  let disagreement = '';
  while (!o.signal.aborted) {
    // Rounds start every period whatever their requests took: a slow round is followed at once by the next.
    const round = Date.now();
    let renewed = true;
    try {
      // Renewals first: they are what keeps another replica from taking a shard whose apps still run here.
      renewed = await renew();
      const { members, conflicts } = await liveMembers(o);
      const now = conflicts.join('; ');
      if (announced && now !== disagreement) {
        if (now) o.log.error({ conflicts, shards: o.shards }, 'replicas disagree on sharding: holding no shard');
        else o.log.info({ shards: o.shards }, 'replicas agree on sharding again');
        disagreement = now;
      }
      if (!announced) announced = true;
      else if (disagreement) for (const shard of [...owned.keys()]) leave(shard, 'replicas disagree on sharding', true);
      else await rebalance(members, round);
    } catch (e) {
      // Whatever failed, the loop goes on: shards not renewed in time are stopped by the watchdog, never kept running.
      o.log.warn({ err: (e as Error).message }, 'shard leases: a request failed; trying again');
    }
    // A failed renewal is tried again within a quarter period, well before the watchdog's two thirds of the Lease.
    const pause = !renewed ? period / 4 : owned.size > 0 && announced ? period : period / 2;
    await abortableSleep(Math.max(period / 10, pause - (Date.now() - round)), o.signal);
  }
  // Shutting down: every shard handed back, its Lease renewed until its apps have stopped (the pod's grace
  // period bounds this; a replica killed before leaves Leases that expire).
  for (const shard of [...owned.keys()]) leave(shard, 'shutting down', true);
  while (leaving.size > 0) {
    await renew();
    await Promise.race([Promise.all(leaving.values()), new Promise((r) => setTimeout(r, period))]);
  }
  clearInterval(watchdog);
  await o.cluster.delete(leaseRef(replicaLeaseName(o.source, o.identity))).catch(() => undefined);
}

type LeaseSpec = { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number };
const isLive = (s: LeaseSpec, seconds: number, now: Date) =>
  !!s.holderIdentity &&
  !!s.renewTime &&
  Date.parse(s.renewTime) + (s.leaseDurationSeconds ?? seconds) * 1000 >= now.getTime();

/**
 * Renews this replica's membership Lease; returns the identities of the live replicas that agree on N, sorted, and
 * what disagrees: a live replica with another N, or a live leader of the source (a replica without --shards).
 */
async function liveMembers(o: ShardOptions): Promise<{ members: string[]; conflicts: string[] }> {
  const now = new Date();
  const lease: KubeObject = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: replicaLeaseName(o.source, o.identity),
      namespace: SYSTEM_NAMESPACE,
      labels: { [LABEL_REPLICA_OF]: o.source },
      annotations: { [ANNOTATION_SHARDS]: String(o.shards) },
    },
    spec: { holderIdentity: o.identity, leaseDurationSeconds: o.leaseSeconds, renewTime: microTime(now) },
  };
  await o.cluster.apply(lease, { force: true });
  const all = await o.cluster.list(
    'coordination.k8s.io/v1',
    'Lease',
    SYSTEM_NAMESPACE,
    `${LABEL_REPLICA_OF}=${o.source}`,
  );
  const conflicts: string[] = [];
  const live: string[] = [];
  for (const l of all) {
    const spec = l.spec as LeaseSpec;
    if (!isLive(spec, o.leaseSeconds, now)) continue;
    const theirs = l.metadata.annotations?.[ANNOTATION_SHARDS];
    if (theirs === String(o.shards)) live.push(spec.holderIdentity!);
    else if (theirs === undefined) conflicts.push(`${spec.holderIdentity} does not record its N (an older Ferry)`);
    else conflicts.push(`${spec.holderIdentity} runs --shards ${theirs}, this replica --shards ${o.shards}`);
  }
  const leader = (await o.cluster.get(leaseRef(leaderLeaseName(o.source))))?.spec as LeaseSpec | undefined;
  if (leader && isLive(leader, o.leaseSeconds, now))
    conflicts.push(`${leader.holderIdentity} leads the source without --shards (Lease ${leaderLeaseName(o.source)})`);
  return { members: [...new Set([...live, o.identity])].sort(), conflicts };
}
