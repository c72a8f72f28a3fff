/**
 * Sharded controllers without Kubernetes (test/support/reconcile-harness.ts). A shard dropped while the poll under
 * way is restoring one of its releases (reading its saved state): the release's machine never starts, nothing is
 * written about it, and the drop does not wait for the poll (the first poll of a large repository outlasts what is
 * left of a Lease that could not be renewed). A shard taken while a first poll lists the records does not make its
 * apps look removed.
 */
import { afterEach, expect, it } from 'vitest';
import { shardOf } from '../../src/gitops/controller/shards.js';
import { recordSelector } from '../../src/gitops/store/record-names.js';
import { readState } from '../../src/gitops/store/release-store.js';
import { ReconcileHarness, until, webApp } from '../support/reconcile-harness.js';

const harnesses: ReconcileHarness[] = [];
/** The status recorded in the app's state (this harness's source). */
const statusOf = async (h: ReconcileHarness, app: string) =>
  (await readState(h.cluster, { app, env: h.env, source: h.scope.source! })).summary?.status;
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
  const polls = () => h.logs.filter((l) => l.msg === 'new commit').length;
  const seen = polls();
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
  await until('the poll under way to end', () => (polls() > seen ? true : undefined));
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

it("a shard taken while a first poll lists the records: its apps, skipped as another's, are not pruned", async () => {
  const h = await ReconcileHarness.create({ shards: 3, start: false });
  harnesses.push(h);
  const source = h.scope.source!;
  // An app of shard 1, beside the harness's own.
  const b = Array.from({ length: 50 }, (_, i) => `b${i}`).find((name) => shardOf(source, name, 3) === 1)!;
  h.commit({ [`apps/${b}/app.yaml`]: webApp({ name: b, image: 'nginx:1.0' }) });
  const controller = await h.start();
  const polls = () => h.logs.filter((l) => l.msg === 'new commit').length;
  const deployment = () => h.cluster.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: b });
  // Shard 1 here: b synced. Then dropped (another replica's now), and a poll reads b's folder as another's.
  controller.takeShard(1);
  await until('b synced', async () => ((await statusOf(h, b)) === 'synced' ? true : undefined));
  await controller.dropShard(1);
  let seen = polls();
  controller.takeShard(0);
  await until('a poll owning shard 0', () => (polls() > seen ? true : undefined));
  expect(await deployment()).toBeDefined();
  // Shard 2 taken: a first poll again, which skips b's folder (read before, all another replica's) and lists the
  // records; shard 1 comes back while that listing is under way.
  let letGo!: () => void;
  const gate = new Promise<void>((r) => {
    letGo = r;
  });
  // Only the listing of the records of state waits (the first poll's look for removed apps, and restores).
  let held = false;
  const list = h.cluster.list.bind(h.cluster);
  h.cluster.list = async (...a) => {
    if (a[1] === 'ConfigMap' && recordSelector('state', source) === a[3]) {
      held = true;
      await gate;
    }
    return list(...a);
  };
  seen = polls();
  controller.takeShard(2);
  await until('the poll listing the records', () => held || undefined);
  controller.takeShard(1);
  letGo();
  await until('b reconciled here again', () => (controller.releases.get(`${b}/${h.env}`)?.actor ? true : undefined));
  await until('two polls', () => (polls() >= seen + 2 ? true : undefined));
  await new Promise((r) => setTimeout(r, 300));
  expect(h.logs.filter((l) => l.app === b && /removed|removing/.test(String(l.msg)))).toEqual([]);
  expect(await deployment()).toBeDefined();
  expect(await statusOf(h, b)).toBe('synced');
});

it("a shard's drop does not wait for another shard's removal that keeps failing", async () => {
  const h = await ReconcileHarness.create({ shards: 2, start: false });
  harnesses.push(h);
  const source = h.scope.source!;
  const web = shardOf(source, h.app, 2);
  // An app of the other shard, removed from Git later, whose prune fails on and on.
  const b = Array.from({ length: 50 }, (_, i) => `b${i}`).find((name) => shardOf(source, name, 2) !== web)!;
  h.commit({ [`apps/${b}/app.yaml`]: webApp({ name: b, image: 'nginx:1.0' }) });
  const controller = await h.start();
  controller.takeShard(0);
  controller.takeShard(1);
  const synced = async (app: string) => (await statusOf(h, app)) === 'synced';
  await until('both apps synced', async () => ((await synced(h.app)) && (await synced(b)) ? true : undefined));
  const del = h.cluster.delete.bind(h.cluster);
  h.cluster.delete = async (ref) => {
    if (ref.name === b && ref.kind !== 'ConfigMap') throw new Error(`${ref.kind} ${ref.name} is forbidden`);
    return del(ref);
  };
  h.commit({ [`apps/${b}`]: null });
  await h.poll();
  await until(
    'the removal failing',
    () => h.logs.some((l) => l.app === b && String(l.msg).startsWith('removing the objects')) || undefined,
  );
  let dropped = false;
  void controller.dropShard(web).then(() => {
    dropped = true;
  });
  await until('the drop of the other shard', () => dropped || undefined, 3000);
  expect(h.logs.some((l) => l.app === b && String(l.msg).startsWith('removed'))).toBe(false);
});
