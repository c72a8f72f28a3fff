/**
 * A release's last error belongs to the commit it happened on, through the real Controller on an in-memory
 * cluster (test/support/reconcile-harness.ts): while a newer commit is delivered (its runtime trait mid-way),
 * `ferry status` (what `listStates` reads, and its table) shows no error of the commit before; the history
 * keeps it. The same story as test/cluster/canary-status.test.ts, in seconds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { statusTable } from '../../src/cli/releases.js';
import { recordRef } from '../../src/gitops/store/record-names.js';
import { listStates, type StateSummary } from '../../src/gitops/store/release-store.js';
import { RUNTIME_TRAITS } from '../../src/traits/registry.js';
import { ReconcileHarness, webApp } from '../support/reconcile-harness.js';
import { SOAK_DEFINITION, SoakTrait } from '../support/traits/soak/trait.js';

const harnesses: ReconcileHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.dispose()));
});
async function withSoak(soak: SoakTrait, steps: number): Promise<ReconcileHarness> {
  const h = await ReconcileHarness.create({
    runtimeTraits: [...RUNTIME_TRAITS, soak],
    files: { 'definitions/soak.cue': SOAK_DEFINITION },
    traits: [{ type: 'soak', properties: { steps } }],
  });
  harnesses.push(h);
  return h;
}
const soakApp = (image: string, steps: unknown) => webApp({ image, traits: [{ type: 'soak', properties: { steps } }] });

/** The summary as the controller wrote it (not as read: reading drops a stale error too). */
async function written(h: ReconcileHarness): Promise<StateSummary> {
  const cm = await h.cluster.get(recordRef('state', h.scope));
  return JSON.parse((cm!.data as Record<string, string>)['summary.json']!) as StateSummary;
}

/** What `ferry status` shows of the release: its summary as listed, and its row (STATE, LAST ERROR). */
async function status(h: ReconcileHarness) {
  const [summary] = await listStates(h.cluster, h.scope.source);
  const row = statusTable([summary!])[1]!;
  return { summary: summary!, state: row[3], lastError: row.at(-1) };
}

describe('the last error of a release', () => {
  it(
    "an aborted commit's error shows with its commit while held; the next commit, mid-delivery, " +
      'shows its own state and no error; the history keeps the abort',
    async () => {
      const soak = new SoakTrait();
      const h = await withSoak(soak, 1);
      const [c1] = h.commits;
      await h.waitFor('synced', c1);
      soak.abortAt = { step: 1, reason: 'latency 725 ms > 300 ms' };
      const c2 = h.commitApp(soakApp('nginx:2.0', 2));
      await h.poll();
      await h.waitFor('held', c2);
      await h.settled();
      const error = 'DeliveryFailed: soak aborted: latency 725 ms > 300 ms';
      let now = await status(h);
      expect(now.summary).toMatchObject({ status: 'held', commit: c1, newest: c2, lastErrorCommit: c2 });
      expect(now.summary.lastError).toBe(error);
      expect(now.lastError).toBe(`at ${c2.slice(0, 12)}: ${error}`);

      soak.abortAt = undefined;
      soak.auto = false;
      const c3 = h.commitApp(soakApp('nginx:3.0', 2));
      await h.poll();
      await soak.blockedAt(1, c3);
      soak.pass();
      await soak.blockedAt(2, c3);
      await h.settled();
      now = await status(h);
      expect(now.summary).toMatchObject({ status: 'delivering', commit: c3 });
      expect(now.summary).not.toHaveProperty('lastError');
      expect(now.summary).not.toHaveProperty('lastErrorCommit');
      expect(await written(h)).not.toHaveProperty('lastError');
      expect(now).toMatchObject({ state: 'soaked 1/2', lastError: '' });
      expect((await h.history()).map((r) => [r.commit, r.outcome, r.reason])).toEqual([
        [c2, 'Failed', 'DeliveryFailed'],
        [c1, 'Synced', undefined],
      ]);

      soak.auto = true;
      soak.pass();
      await h.waitFor('synced', c3);
      await h.settled();
      now = await status(h);
      expect(now.summary).toMatchObject({ status: 'synced', commit: c3 });
      expect(now.summary).not.toHaveProperty('lastError');
    },
  );

  it("a render failure is its commit's last error; the next commit being applied has none", async () => {
    const soak = new SoakTrait();
    const h = await withSoak(soak, 1);
    const [c1] = h.commits;
    await h.waitFor('synced', c1);
    const c2 = h.commitApp(soakApp('nginx:2.0', 0));
    await h.poll();
    await h.waitFor('failed', c2);
    await h.settled();
    let now = await status(h);
    expect(now.summary).toMatchObject({ status: 'failed', commit: c2, lastErrorCommit: c2 });
    // The COMMIT column shows c2 already: the cell is the error alone.
    expect(now.lastError).toMatch(/^RenderFailed: apps\/web\/app\.yaml:\d+:\d+: component "web", trait "soak"/);
    soak.auto = false;
    const c3 = h.commitApp(soakApp('nginx:3.0', 1));
    await h.poll();
    await soak.blockedAt(1, c3);
    await h.settled();
    now = await status(h);
    expect(now.summary).toMatchObject({ status: 'delivering', commit: c3 });
    expect(now.summary.lastError).toBeUndefined();
    expect(await written(h)).not.toHaveProperty('lastError');
    expect(now.lastError).toBe('');
    soak.auto = true;
    soak.pass();
    await h.waitFor('synced', c3);
  });
});
