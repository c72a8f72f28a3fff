import { describe, expect, it } from 'vitest';
import { HangingCluster } from '../../../test/support/memory-cluster.js';
import { runLeaderElection } from './leader.js';

describe('runLeaderElection', () => {
  it('leads, steps down at two thirds of the Lease when a renewal hangs, and leads again once it answers', async () => {
    const cluster = new HangingCluster();
    const events: string[] = [];
    const stop = new AbortController();
    const done = runLeaderElection({
      cluster,
      identity: 'a',
      name: 'ferry-controller.test',
      leaseSeconds: 1.5,
      signal: stop.signal,
      onStartedLeading: () => events.push('started'),
      onStoppedLeading: () => events.push('stopped'),
    });
    const until = (want: string[]) => expect.poll(() => events, { timeout: 30_000, interval: 50 }).toEqual(want);
    await until(['started']);
    cluster.hang();
    await until(['started', 'stopped']);
    cluster.answer();
    await until(['started', 'stopped', 'started']);
    stop.abort();
    await done;
    expect(events).toEqual(['started', 'stopped', 'started', 'stopped']);
  });
});
