/**
 * A shard dropped while the poll under way is restoring one of its releases (reading its saved state): the
 * release's machine never starts, nothing is written about it, and the drop does not wait for the poll (the first
 * poll of a large repository outlasts what is left of a Lease that could not be renewed).
 */
import { afterEach, expect, it } from 'vitest';
import { readState } from '../../src/gitops/store/release-store.js';
import { ReconcileHarness, until } from '../support/reconcile-harness.js';

const harnesses: ReconcileHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.dispose()));
});

it('a release restored while its shard is dropped never starts, and the drop does not wait for the poll', async () => {
  const h = await ReconcileHarness.create({ shards: 1 });
  harnesses.push(h);
  const controller = h.controller!;
  // Owning nothing, the first poll read nothing.
  expect(h.release).toBeUndefined();
  // Reads of the cluster wait until the test lets them go: the poll stops inside the release's restore.
  let letGo!: () => void;
  const gate = new Promise<void>((r) => {
    letGo = r;
  });
  const list = h.cluster.list.bind(h.cluster);
  h.cluster.list = async (...a) => {
    await gate;
    return list(...a);
  };
  controller.takeShard(0);
  const restoring = await until('the release created by the poll', () => h.release);
  expect(restoring.actor).toBeUndefined();
  // The drop resolves while the poll is still held inside the restore.
  let dropped = false;
  const drop = controller.dropShard(0).then(() => {
    dropped = true;
  });
  await until('the drop', () => dropped || undefined, 2000);
  expect(restoring.retired).toBe(true);
  letGo();
  await drop;
  await until('the poll under way to end', () => h.logs.some((l) => l.msg === 'new commit') || undefined);
  await new Promise((r) => setTimeout(r, 300));
  // Its machine never started: no state reported or written, no step failed for want of the release.
  expect(restoring.actor).toBeUndefined();
  expect(h.states).toEqual([]);
  expect(await readState(h.cluster, h.scope)).toEqual({});
  expect(h.logs.filter((l) => l.app === h.app && (l.level ?? 0) >= 40)).toEqual([]);
  // Taken again, the shard's app syncs.
  controller.takeShard(0);
  await until('the app synced once its shard is back', () => (h.states.at(-1) === 'synced' ? true : undefined));
});
