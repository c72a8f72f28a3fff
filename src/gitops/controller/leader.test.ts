import { describe, expect, it } from 'vitest';
import { HangingCluster } from '../../../test/support/memory-cluster.js';
import { runLeaderElection } from './leader.js';

/** One candidate on `cluster`: what it reported (started, stopped), and how to stop it. */
function candidate(cluster: HangingCluster, leaseSeconds: number) {
  const events: string[] = [];
  const stop = new AbortController();
  const done = runLeaderElection({
    cluster,
    identity: 'a',
    name: 'ferry-controller.test',
    leaseSeconds,
    signal: stop.signal,
    onStartedLeading: () => events.push('started'),
    onStoppedLeading: () => events.push('stopped'),
  });
  const until = (want: string[]) => expect.poll(() => events, { timeout: 30_000, interval: 50 }).toEqual(want);
  return { events, until, stop: () => (stop.abort(), done) };
}

describe('runLeaderElection', () => {
  it('leads, steps down at two thirds of the Lease when a renewal hangs, and leads again once it answers', async () => {
    const cluster = new HangingCluster();
    const { events, until, stop } = candidate(cluster, 1.5);
    await until(['started']);
    cluster.hang();
    await until(['started', 'stopped']);
    cluster.answer();
    await until(['started', 'stopped', 'started']);
    await stop();
    expect(events).toEqual(['started', 'stopped', 'started', 'stopped']);
  });

  it('keeps leading through a failed renewal: tried again within a quarter period, not a period later', async () => {
    // Renewals every 2 s and a step-down after 4 s: a try only a period after the failed one would come at it.
    const cluster = new HangingCluster();
    // An API server that takes its time: a renewal answers 0.8 s after it was asked.
    cluster.slow(400);
    const { events, until, stop } = candidate(cluster, 6);
    await until(['started']);
    cluster.fail(1);
    await expect.poll(() => cluster.failuresLeft, { timeout: 30_000, interval: 50 }).toBe(0);
    await new Promise((r) => setTimeout(r, 4500));
    expect(events).toEqual(['started']);
    await stop();
  });
});
