import { afterEach, describe, expect, it } from 'vitest';
import { HangingCluster, MemoryCluster } from '../../../test/support/memory-cluster.js';
import { leaderLeaseName, SYSTEM_NAMESPACE } from '../store/record-names.js';
import { microTime } from '../store/lease.js';
import type { ObjectRef } from '../../objects/objects.js';
import { ShardOwnership } from './shard-ownership.js';
import { fairShare, runShards } from './shards.js';

const SOURCE = 'src1';
const LEASE_SECONDS = 1.5; // rounds every 500 ms; a step-down after 1 s without a renewal
const running: { stop: AbortController; done: Promise<void> }[] = [];

/** One replica on `cluster`: the shards it holds, and what it logged. */
function replica(cluster: MemoryCluster, identity: string, shards: number, leaseSeconds = LEASE_SECONDS) {
  const held = new Set<number>();
  const logs: { msg: string; o: Record<string, unknown> }[] = [];
  const log = (o: object, msg: string) => void logs.push({ msg, o: o as Record<string, unknown> });
  const stop = new AbortController();
  const done = runShards({
    cluster,
    source: SOURCE,
    identity,
    shards,
    leaseSeconds,
    signal: stop.signal,
    take: (s) => void held.add(s),
    drop: async (s) => void held.delete(s),
    log: { info: log, warn: log, error: log },
  });
  running.push({ stop, done });
  return { held, logs, stop: () => (stop.abort(), done) };
}

/** Waits (polling) until `f` returns `want`: rounds come every 100 ms, and this machine may be busy. */
const until = <T>(f: () => T, want: T) => expect.poll(f, { timeout: 30_000, interval: 50 }).toEqual(want);

afterEach(async () => {
  for (const r of running.splice(0)) {
    r.stop.abort();
    await r.done;
  }
});

describe('fairShare', () => {
  it('gives the first N mod M replicas one shard more', () => {
    expect([0, 1, 2].map((k) => fairShare(7, 3, k))).toEqual([3, 2, 2]);
    expect([0, 1, 2, 3].map((k) => fairShare(2, 4, k))).toEqual([1, 1, 0, 0]);
  });
});

describe('runShards', () => {
  it('splits the shards between replicas that agree on N', async () => {
    const cluster = new MemoryCluster();
    const [a, b] = [replica(cluster, 'a', 4), replica(cluster, 'b', 4)];
    await until(() => [a.held.size, b.held.size], [2, 2]);
    expect([...a.held, ...b.held].sort()).toEqual([0, 1, 2, 3]);
  });

  it('holds no shard while a live replica runs another N, and takes them once it is gone', async () => {
    const cluster = new MemoryCluster();
    const a = replica(cluster, 'a', 4);
    await until(() => a.held.size, 4);
    const b = replica(cluster, 'b', 3);
    await until(() => a.held.size, 0);

    const said = a.logs.find((l) => l.msg === 'replicas disagree on sharding: holding no shard');
    expect(said?.o.conflicts).toEqual(['b runs --shards 3, this replica --shards 4']);
    await until(() => b.logs.some((l) => String(l.o.conflicts).includes('a runs --shards 4')), true);
    // b never took one of its own (its first round only announces it).
    expect(b.logs.some((l) => l.msg === 'shard taken')).toBe(false);
    await b.stop(); // its membership Lease goes with it
    await until(() => a.held.size, 4);
    expect(a.logs.some((l) => l.msg === 'replicas agree on sharding again')).toBe(true);
  });

  it('stops its shards at two thirds of the Lease when a renewal hangs, and takes them again after', async () => {
    const cluster = new HangingCluster();
    const a = replica(cluster, 'a', 2);
    await until(() => a.held.size, 2);
    cluster.hang((ref) => ref.name.startsWith('ferry-shard.'));
    await until(() => a.held.size, 0);
    expect(a.logs.filter((l) => l.msg === 'shard released').map((l) => l.o.why)).toEqual([
      'its Lease could not be renewed',
      'its Lease could not be renewed',
    ]);
    // The renewal answers at last (held): the shards are taken again, their apps started again.
    cluster.answer();
    await until(() => a.held.size, 2);
  });

  it('keeps its shards through a failed renewal: tried again within a quarter period, not a period later', async () => {
    // Rounds every 2 s and a step-down after 4 s: a renewal failed at a round and tried only at the next one would
    // come at the step-down itself.
    const cluster = new HangingCluster();
    const shardLease = (ref: ObjectRef) => ref.name.startsWith('ferry-shard.');
    // An API server that takes its time: a renewal answers 0.8 s after it was asked.
    cluster.slow(400, shardLease);
    const a = replica(cluster, 'a', 2, 6);
    await until(() => a.held.size, 2);
    cluster.fail(2, shardLease); // the next round's renewal of each shard
    await until(() => cluster.failuresLeft, 0);
    // Two rounds later, both still held, never stopped.
    await new Promise((r) => setTimeout(r, 4500));
    expect(a.logs.filter((l) => l.msg === 'shard released')).toEqual([]);
    expect(a.held.size).toBe(2);
  });

  it('holds no shard while a replica without --shards leads the source', async () => {
    const cluster = new MemoryCluster();
    const leader = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: leaderLeaseName(SOURCE), namespace: SYSTEM_NAMESPACE },
      spec: { holderIdentity: 'old', leaseDurationSeconds: 60, renewTime: microTime(new Date()) },
    };
    await cluster.apply(leader);
    const a = replica(cluster, 'a', 2);
    await until(() => a.logs.some((l) => l.o.conflicts), true);
    expect(a.held.size).toBe(0);
    expect(String(a.logs.find((l) => l.o.conflicts)?.o.conflicts)).toContain('old leads the source without --shards');
    await cluster.apply({ ...leader, spec: { ...leader.spec, renewTime: microTime(new Date(Date.now() - 120_000)) } });
    await until(() => a.held.size, 2);
  });
});

describe('ShardOwnership', () => {
  const appIn = (o: ShardOwnership, shard: number) =>
    `app-${[...Array(100).keys()].find((i) => o.inShard(`app-${i}`, shard))}`;

  it("owns every app unsharded, and only its shards' apps sharded", () => {
    expect(new ShardOwnership(SOURCE, undefined).owns('any')).toBe(true);
    const o = new ShardOwnership(SOURCE, 3);
    const [a0, a1] = [appIn(o, 0), appIn(o, 1)];
    expect(o.owns(a0)).toBe(false);
    o.take(0);
    expect([o.owns(a0), o.owns(a1), o.generation]).toEqual([true, false, 1]);
    o.drop(0);
    expect([o.owns(a0), o.generation]).toEqual([false, 2]);
  });

  it("skips a folder of other replicas' apps until it changes or one of its apps becomes this replica's", () => {
    const o = new ShardOwnership(SOURCE, 3);
    const a1 = appIn(o, 1);
    o.read('apps/x', 'd1', [a1]);
    expect([o.skips('apps/x', 'd1'), o.skips('apps/x', 'd2')]).toEqual([true, false]);
    o.take(1);
    expect(o.skips('apps/x', 'd1')).toBe(false);
    o.read('apps/x', 'd1', [a1]);
    expect(o.skips('apps/x', 'd1')).toBe(false);
  });
});
