/**
 * The reconcile logic (machine, steps, recording) driven through the real Controller, without
 * Kubernetes: a local Git repository, the built-in definitions and an in-memory cluster (see
 * test/support/reconcile-harness.ts). What the cluster suites check with `ferry serve` on a real
 * cluster, in seconds.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { retryDelayMs } from '../../src/gitops/reconcile/machine.js';
import { readInventory } from '../../src/gitops/store/inventory.js';
import type { KubeObject } from '../../src/objects/objects.js';
import { RUNTIME_TRAITS } from '../../src/traits/registry.js';
import { type HarnessOptions, ReconcileHarness, until, webApp } from '../support/reconcile-harness.js';
import { imageOf } from '../support/sim-cluster.js';
import { SOAK_DEFINITION, SoakTrait } from '../support/traits/soak/trait.js';

const harnesses: ReconcileHarness[] = [];
const harness = async (o?: HarnessOptions) => {
  const h = await ReconcileHarness.create(o);
  harnesses.push(h);
  return h;
};
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(harnesses.splice(0).map((h) => h.dispose()));
});

/** A harness whose app runs the test-only `soak` runtime trait (registered next to the built-in ones). */
const withSoak = (soak: SoakTrait, steps: number, o: HarnessOptions = {}) =>
  harness({
    runtimeTraits: [...RUNTIME_TRAITS, soak],
    files: { 'definitions/soak.cue': SOAK_DEFINITION },
    traits: [{ type: 'soak', properties: { steps } }],
    ...o,
  });
const soakApp = (image: string, steps: unknown) => webApp({ image, traits: [{ type: 'soak', properties: { steps } }] });

const PIPELINE = ['fetching', 'rendering', 'planning', 'applying', 'delivering', 'verifying'];
const eventsOf = async (h: ReconcileHarness) =>
  (await h.cluster.list('v1', 'Event', h.namespace, `ferry.dev/app=${h.app}`)).map(
    (e) => `${e.type} ${e.reason}: ${e.message}`,
  );
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the reconcile loop on an in-memory cluster', () => {
  it('renders, applies and records a commit as Synced, then the next commit', async () => {
    const h = await harness();
    const [c1] = h.commits;
    const m = await h.waitFor('synced', c1);
    expect(m.context).toMatchObject({ revision: c1, lastGood: c1, attempts: 0 });
    expect(m.context.failure).toBeUndefined();
    expect(h.states).toEqual(['idle', ...PIPELINE, 'synced']);
    // The state record: the machine's snapshot and the summary `ferry status` shows.
    const { snapshot, summary } = await h.state();
    expect((snapshot as { value: string }).value).toBe('synced');
    expect(summary).toMatchObject({
      app: 'web',
      env: 'default',
      status: 'synced',
      commit: c1,
      lastGood: c1,
      health: 'Healthy',
      source: h.scope.source,
    });
    expect(summary?.lastError).toBeUndefined();
    // One revision in the history, with the objects applied (kept for rollback).
    const history = await h.history();
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      revision: 1,
      commit: c1,
      outcome: 'Synced',
      message: 'synced and healthy',
      attempts: 1,
    });
    expect(history[0]!.placements?.map((p) => p.objects.map((o) => `${o.kind}/${o.metadata.name}`))).toEqual([
      ['Namespace/shop', 'Deployment/web'],
    ]);
    // The objects in the cluster carry Ferry's tracking labels and annotations, and are in its inventory.
    const d = h.deployment()!;
    expect(imageOf(d)).toBe('nginx:1.0');
    expect(d.metadata.labels).toMatchObject({
      'ferry.dev/app': 'web',
      'ferry.dev/environment': 'default',
      'ferry.dev/component': 'web',
      'app.oam.dev/component': 'web',
    });
    expect(d.metadata.annotations).toMatchObject({ 'ferry.dev/tracking-id': 'web/default:apps/Deployment:shop/web' });
    expect(d.metadata.annotations?.['ferry.dev/desired-hash']).toMatch(/^[0-9a-f]+$/);
    expect((await readInventory(h.cluster, h.scope)).map((r) => `${r.kind}/${r.namespace ?? ''}/${r.name}`)).toEqual([
      'Namespace//shop',
      'Deployment/shop/web',
    ]);
    expect(h.cluster.object('Namespace', undefined, 'shop')?.metadata.labels).toMatchObject({ 'ferry.dev/app': 'web' });
    expect(await eventsOf(h)).toEqual([
      `Normal Synced: [default] revision 1 (commit ${c1!.slice(0, 12)}) synced and healthy`,
    ]);

    // A poll without a new commit writes nothing.
    const writes = h.cluster.log.length;
    await h.poll();
    expect(h.cluster.log.length).toBe(writes);

    // The next commit: applied over the first (a new generation), recorded as revision 2.
    const c2 = h.commitApp(webApp({ image: 'nginx:1.1' }));
    expect((await h.poll()).changed).toEqual(['web/default']);
    await h.waitFor('synced', c2);
    expect(imageOf(h.deployment())).toBe('nginx:1.1');
    expect(h.deployment()!.metadata.generation).toBe(2);
    expect((await h.history()).map((r) => [r.revision, r.commit, r.outcome])).toEqual([
      [2, c2, 'Synced'],
      [1, c1, 'Synced'],
    ]);
    expect((await h.state()).summary).toMatchObject({ status: 'synced', commit: c2, lastGood: c2 });
  });

  it('a render failure keeps the last good objects, records RenderFailed and waits for a new commit', async () => {
    const h = await harness();
    const [c1] = h.commits;
    await h.waitFor('synced', c1);
    const before = h.deployment();
    const inventory = await readInventory(h.cluster, h.scope);
    const appWrites = h.cluster.writesIn(h.namespace).length;
    // A simulated clock from here on (it moves with real time too), so the retry backoff can be skipped.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], shouldAdvanceTime: true });

    // A CUE error: the port must be an int.
    const c2 = h.commitApp(webApp({ image: 'nginx:2.0', port: 'eighty' }));
    await h.poll();
    const m = await h.waitFor('failed', c2);
    expect(m.context).toMatchObject({ revision: c2, lastGood: c1, attempts: 1 });
    expect(m.context.failure?.reason).toBe('RenderFailed');
    expect(m.context.failure?.message).toMatch(/^apps\/web\/app\.yaml:\d+:\d+: component "web": /);
    expect(h.states.slice(-4)).toEqual(['synced', 'fetching', 'rendering', 'failed']);
    const { summary } = await h.state();
    expect(summary).toMatchObject({ status: 'failed', commit: c2, lastGood: c1, waitingFor: 'a new commit' });
    expect(summary?.lastError).toBe(`RenderFailed: ${m.context.failure!.message}`);
    expect((await h.history()).map((r) => [r.commit, r.outcome, r.reason, r.attempts])).toEqual([
      [c2, 'Failed', 'RenderFailed', 1],
      [c1, 'Synced', undefined, 1],
    ]);
    expect(
      (await eventsOf(h)).filter((e) => e.startsWith('Warning RenderFailed: [default] apps/web/app.yaml:')),
    ).toHaveLength(1);
    // Nothing of the last good commit was touched: no apply, no prune, the same object and resourceVersion.
    expect(h.deployment()).toEqual(before);
    expect(await readInventory(h.cluster, h.scope)).toEqual(inventory);
    expect(h.cluster.writesIn(h.namespace)).toHaveLength(appWrites);

    // Past every backoff (and a poll): the same commit is not tried again.
    await vi.advanceTimersByTimeAsync(retryDelayMs(1) + retryDelayMs(20));
    await h.poll();
    expect(h.machine).toMatchObject({ value: 'failed', context: { revision: c2, attempts: 1 } });
    expect(h.states.at(-1)).toBe('failed');
    expect((await h.history())[0]).toMatchObject({ commit: c2, attempts: 1 });
    vi.useRealTimers();

    // A fixed commit syncs.
    const c3 = h.commitApp(webApp({ image: 'nginx:3.0' }));
    await h.poll();
    const fixed = await h.waitFor('synced', c3);
    expect(fixed.context).toMatchObject({ lastGood: c3, attempts: 0 });
    expect(fixed.context.failure).toBeUndefined();
    expect(imageOf(h.deployment())).toBe('nginx:3.0');
    expect((await h.state()).summary).toMatchObject({ status: 'synced', commit: c3 });
    expect((await h.state()).summary?.waitingFor).toBeUndefined();
    expect((await h.history()).map((r) => [r.commit, r.outcome])).toEqual([
      [c3, 'Synced'],
      [c2, 'Failed'],
      [c1, 'Synced'],
    ]);
  });

  describe('holds', () => {
    it('a hold placed from outside holds the release, nothing applied even on polls; lifted, it resumes', async () => {
      const h = await harness();
      const [c1] = h.commits;
      await h.waitFor('synced', c1);
      const hold = await h.placeHold('suspended by the on-call');
      expect(hold.specDigest).toBe((await h.state()).summary?.specDigest);
      const held = await h.waitFor('held');
      expect(held.context).toMatchObject({ hold: 'suspended by the on-call', revision: c1 });
      expect((await h.state()).summary).toMatchObject({ status: 'held', hold: 'suspended by the on-call', commit: c1 });
      expect(h.logged('hold placed')).toHaveLength(1);

      // A hand edit meanwhile (kubectl edit): while held, nothing corrects it, whatever polls bring.
      const edited = h.deployment()!;
      (edited.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!.image =
        'nginx:hotfix';
      await h.cluster.apply(edited);
      const appWrites = h.cluster.writesIn(h.namespace).length;
      const c2 = h.commit({ 'README.md': 'a commit that does not touch the app\n' });
      expect((await h.poll()).changed).toEqual([]);
      await h.poll();
      await sleep(50);
      expect(h.machine?.value).toBe('held');
      expect(h.cluster.writesIn(h.namespace)).toHaveLength(appWrites);
      expect(imageOf(h.deployment())).toBe('nginx:hotfix');

      // `ferry resume`: the hold is gone, the release reconciles its spec again (the README commit did not
      // change it) and heals the edit.
      const mark = h.states.length;
      await h.resume();
      await h.waitFor('synced');
      expect(h.states.slice(mark)).toEqual(['idle', ...PIPELINE, 'synced']);
      expect(h.machine?.context.revision).toBe(c1);
      expect(h.release?.sameSpec.has(c2)).toBe(true);
      expect(imageOf(h.deployment())).toBe('nginx:1.0');
      expect(await h.hold()).toBeUndefined();
      const { summary } = await h.state();
      expect(summary).toMatchObject({ status: 'synced', commit: c1 });
      expect(summary?.hold).toBeUndefined();
      expect((await h.history()).map((r) => [r.revision, r.commit, r.outcome])).toEqual([
        [2, c1, 'Synced'],
        [1, c1, 'Synced'],
      ]);
    });

    it('a hold that the polls do not see yet never flaps held → idle → held', async () => {
      const h = await harness({ ferryYaml: 'defaults:\n  autoRollback: true\n' });
      const [c1] = h.commits;
      await h.waitFor('synced', c1);
      // The new image never becomes ready; the listings of holds miss what is placed from now on (a watch
      // or a relist that lags behind the cluster).
      h.cluster.workloads = (o: KubeObject) => (imageOf(o) === 'nginx:broken' ? 'degraded' : 'ready');
      h.cluster.hideFromLists((o) => o.metadata.labels?.['ferry.dev/kind'] === 'hold');
      const c2 = h.commitApp(webApp({ image: 'nginx:broken' }));
      await h.poll();
      // Verification fails: rolled back to revision 1 automatically, and held there.
      await h.waitFor('held', c2);
      const reason = 'automatic rollback to revision 1 after HealthCheckFailed';
      expect(await h.hold()).toMatchObject({ reason, commit: c1, revision: 1 });
      expect(imageOf(h.deployment())).toBe('nginx:1.0');
      expect(h.states.slice(-3)).toEqual(['verifying', 'failed', 'held']);
      expect((await h.history()).map((r) => [r.commit, r.outcome, r.reason])).toEqual([
        [c1, 'RolledBack', 'AutoRollback'],
        [c2, 'Failed', 'HealthCheckFailed'],
        [c1, 'Synced', undefined],
      ]);
      expect((await h.state()).summary).toMatchObject({ status: 'held', hold: reason, commit: c1, newest: c2 });

      // Polls whose view of the holds lacks this one (and a commit that does not touch the app).
      const mark = h.states.length;
      const appWrites = h.cluster.writesIn(h.namespace).length;
      await h.poll();
      h.commit({ 'README.md': 'docs\n' });
      await h.poll();
      await h.poll();
      // The watch relists and sees it.
      h.cluster.hideFromLists();
      await sleep(20);
      await h.poll();
      expect(h.states.slice(mark)).toEqual([]);
      expect(h.machine).toMatchObject({ value: 'held', context: { hold: reason } });
      expect(h.logged('hold lifted')).toEqual([]);
      expect(h.cluster.writesIn(h.namespace)).toHaveLength(appWrites);
      expect(imageOf(h.deployment())).toBe('nginx:1.0');
    });

    it('ferry rollback holds the release on an earlier revision; ferry resume syncs the newest again', async () => {
      const h = await harness();
      const [c1] = h.commits;
      await h.waitFor('synced', c1);
      const c2 = h.commitApp(webApp({ image: 'nginx:2.0' }));
      await h.poll();
      await h.waitFor('synced', c2);

      const rev = await h.rollback(1);
      expect(rev.revision).toBe(3);
      expect(imageOf(h.deployment())).toBe('nginx:1.0');
      const reason = `rollback to revision 1 (commit ${c1!.slice(0, 12)}) by ferry rollback`;
      await h.waitFor('held', c2);
      expect((await h.state()).summary).toMatchObject({ status: 'held', hold: reason, commit: c1, newest: c2 });
      // Held on the rolled-back revision: polls apply nothing.
      const rv = h.deployment()!.metadata.resourceVersion;
      await h.poll();
      await h.poll();
      await sleep(50);
      expect(h.machine?.value).toBe('held');
      expect(h.deployment()!.metadata.resourceVersion).toBe(rv);
      expect(imageOf(h.deployment())).toBe('nginx:1.0');

      await h.resume();
      const m = await h.waitFor('synced', c2);
      expect(m.context).toMatchObject({ lastGood: c2 });
      expect(m.context.hold).toBeUndefined();
      expect(imageOf(h.deployment())).toBe('nginx:2.0');
      expect((await h.state()).summary).toMatchObject({ status: 'synced', commit: c2 });
      expect((await h.state()).summary?.newest).toBeUndefined();
      expect((await h.history()).map((r) => [r.revision, r.commit, r.outcome])).toEqual([
        [4, c2, 'Synced'],
        [3, c1, 'RolledBack'],
        [2, c2, 'Synced'],
        [1, c1, 'Synced'],
      ]);
    });
  });

  it("a runtime trait reads its environment's metric source (ferry.yaml metrics) via the controller", async () => {
    const soak = new SoakTrait();
    const asked: unknown[] = [];
    const h = await withSoak(soak, 1, {
      ferryYaml: 'metrics: {prometheus: "http://prom.monitoring:9090", provider: istio}\n',
      metricSources: (source) => {
        asked.push(source);
        return {
          name: `${source?.provider} at ${source?.prometheus}`,
          separatesWorkloads: true,
          evidence: async () => ({ kind: 'no-data' }),
          requestRate: async () => ({ kind: 'no-data' }),
          successRate: async () => ({ kind: 'no-data' }),
          latency: async () => ({ kind: 'no-data' }),
          latencyTail: async () => ({ kind: 'no-data' }),
          query: async () => ({ kind: 'no-data' }),
        };
      },
    });
    await h.waitFor('synced', h.commits[0]);
    const c2 = h.commitApp(soakApp('nginx:2.0', 1));
    await h.poll();
    await h.waitFor('synced', c2);
    expect(soak.deliveries.at(-1)).toMatchObject({ revision: c2, metrics: 'istio at http://prom.monitoring:9090' });
    expect(asked).toContainEqual({ prometheus: 'http://prom.monitoring:9090', provider: 'istio' });
  });

  it("a synced release runs its trait's watch: kept by commits, restarted on new settings, else stopped", async () => {
    const soak = new SoakTrait();
    const h = await withSoak(soak, 1);
    await h.waitFor('synced', h.commits[0]);
    await until('the watch to start', () => soak.watches.length === 1 || undefined);
    expect(soak.watches[0]).toMatchObject({ revision: h.commits[0], steps: 1, stopped: false });
    // Another image, the same soak settings: the watch goes on.
    const c2 = h.commitApp(soakApp('nginx:2.0', 1));
    await h.poll();
    await h.waitFor('synced', c2);
    await sleep(50);
    expect(soak.watches).toHaveLength(1);
    expect(soak.watches[0]!.stopped).toBe(false);
    // New settings: the old watch stops, a new one runs with them.
    const c3 = h.commitApp(soakApp('nginx:2.0', 2));
    await h.poll();
    await h.waitFor('synced', c3);
    await until('the second watch', () => soak.watches.length === 2 || undefined);
    expect(soak.watches.map((w) => [w.steps, w.stopped])).toEqual([
      [1, true],
      [2, false],
    ]);
    // Without the trait: no watch runs.
    const c4 = h.commitApp(webApp({ image: 'nginx:2.0' }));
    await h.poll();
    await h.waitFor('synced', c4);
    await until('the watch to stop', () => soak.watches[1]!.stopped || undefined);
    expect(soak.watches).toHaveLength(2);
  });

  it('a newer commit supersedes a delivery in progress: its signal fires, the newer one is reconciled', async () => {
    const soak = new SoakTrait();
    const h = await withSoak(soak, 2);
    const [c1] = h.commits;
    await h.waitFor('synced', c1);
    soak.auto = false;
    const c2 = h.commitApp(soakApp('nginx:2.0', 2));
    await h.poll();
    const d2 = await soak.blockedAt(1, c2);
    soak.pass();
    await soak.blockedAt(2, c2);
    await h.settled();
    expect(h.machine).toMatchObject({ value: 'delivering', context: { revision: c2 } });
    expect((await h.state()).summary?.traits).toEqual([
      {
        component: 'web',
        trait: 'soak',
        commit: c2,
        progress: { v: 1, commit: c2, done: 1, of: 2 },
        status: 'soaked 1/2',
      },
    ]);

    const c3 = h.commitApp(soakApp('nginx:3.0', 2));
    const mark = h.states.length;
    await h.poll();
    const d3 = await soak.blockedAt(1, c3);
    expect(d2.signal.aborted).toBe(true);
    expect(d2.ended).toBe('superseded');
    // The new delivery is handed the saved progress (of the older commit): it starts over.
    expect(d3.progress).toEqual({ commit: c2, step: 1, steps: 2 });
    soak.auto = true;
    soak.pass();
    await h.waitFor('synced', c3);
    expect(h.states.slice(mark)).toEqual([...PIPELINE, 'synced']);
    expect(soak.deliveries.map((d) => [d.revision, d.ended])).toEqual([
      [c1, 'promoted'],
      [c2, 'superseded'],
      [c3, 'promoted'],
    ]);
    expect(imageOf(h.deployment())).toBe('nginx:3.0');
    // The superseded commit is never recorded.
    const history = await h.history();
    expect(history.map((r) => [r.commit, r.outcome])).toEqual([
      [c3, 'Synced'],
      [c1, 'Synced'],
    ]);
    expect(history[0]!.message).toBe('soak of web promoted after 2 steps: synced and healthy');
    expect((await h.state()).summary).toMatchObject({ status: 'synced', commit: c3, lastGood: c3 });
  });

  it('a controller restarted mid-delivery resumes delivering with the trait progress saved, then syncs', async () => {
    const soak = new SoakTrait();
    soak.auto = false;
    const h = await withSoak(soak, 3);
    const [c1] = h.commits;
    const first = await soak.blockedAt(1, c1);
    expect(first.progress).toBeUndefined();
    soak.pass();
    await soak.blockedAt(2, c1);
    await h.settled();
    const { summary } = await h.state();
    expect(summary).toMatchObject({ status: 'delivering', commit: c1 });
    expect(summary?.traits).toEqual([
      {
        component: 'web',
        trait: 'soak',
        commit: c1,
        progress: { v: 1, commit: c1, done: 1, of: 3 },
        status: 'soaked 1/3',
      },
    ]);

    await h.stop();
    expect(first.signal.aborted).toBe(true);
    expect(first.ended).toBe('superseded');
    expect(await h.history()).toEqual([]);
    expect((await h.state()).summary).toMatchObject({ status: 'delivering', commit: c1 });
    const appWrites = h.cluster.writesIn(h.namespace).length;

    await h.start();
    const resumed = await soak.blockedAt(2, c1);
    expect(soak.starts).toBe(2);
    expect(h.machine).toMatchObject({ value: 'delivering', context: { revision: c1 } });
    expect(h.logged('resumed')).toMatchObject([{ state: 'delivering', revision: c1 }]);
    // The progress comes back decoded through the trait's codec.
    expect(resumed.progress).toEqual({ commit: c1, step: 1, steps: 3 });
    soak.auto = true;
    soak.pass();
    await h.waitFor('synced', c1);
    expect(soak.deliveries.map((d) => d.ended)).toEqual(['superseded', 'promoted']);
    // Not applied again: the restarted release went on from its delivery.
    expect(h.cluster.writesIn(h.namespace)).toHaveLength(appWrites);
    const history = await h.history();
    expect(history.map((r) => [r.commit, r.outcome, r.message])).toEqual([
      [c1, 'Synced', 'soak of web promoted after 3 steps: synced and healthy'],
    ]);
    expect((await h.state()).summary?.traits).toEqual([
      {
        component: 'web',
        trait: 'soak',
        commit: c1,
        progress: { v: 1, commit: c1, done: 3, of: 3 },
        status: 'soaked 3/3',
        outcome: 'promoted',
      },
    ]);
  });

  describe('a runtime trait registered by the test (soak)', () => {
    it('is recorded (history message, progress entry and its line); a bad setting fails the render', async () => {
      const soak = new SoakTrait();
      const h = await withSoak(soak, 3);
      const [c1] = h.commits;
      await h.waitFor('synced', c1);
      const message = 'soak of web promoted after 3 steps';
      expect(soak.deliveries).toMatchObject([
        { revision: c1, component: 'web', progress: undefined, ended: 'promoted' },
      ]);
      const history = await h.history();
      expect(history[0]).toMatchObject({ commit: c1, outcome: 'Synced', message: `${message}: synced and healthy` });
      expect((await eventsOf(h)).some((e) => e.startsWith('Normal Synced:') && e.includes(message))).toBe(true);
      expect((await h.state()).summary?.traits).toEqual([
        {
          component: 'web',
          trait: 'soak',
          commit: c1,
          progress: { v: 1, commit: c1, done: 3, of: 3 },
          status: 'soaked 3/3',
          outcome: 'promoted',
        },
      ]);

      // The trait's parser refuses a bad setting in the render pipeline, located at the component and trait.
      const before = h.deployment();
      const c2 = h.commitApp(soakApp('nginx:2.0', 0));
      await h.poll();
      const m = await h.waitFor('failed', c2);
      expect(m.context.failure?.reason).toBe('RenderFailed');
      expect(m.context.failure?.message).toMatch(
        /^apps\/web\/app\.yaml:\d+:\d+: component "web", trait "soak": steps: must be an integer >= 1, not 0$/,
      );
      expect(h.deployment()).toEqual(before);
      expect(soak.deliveries).toHaveLength(1);
      expect((await h.history())[0]).toMatchObject({ commit: c2, outcome: 'Failed', reason: 'RenderFailed' });
    });

    it('an aborted delivery fails (DeliveryFailed) and holds the commit; ferry resume delivers it again', async () => {
      const soak = new SoakTrait();
      const h = await withSoak(soak, 1);
      const [c1] = h.commits;
      await h.waitFor('synced', c1);
      soak.abortAt = { step: 2, reason: 'error budget burnt' };
      const c2 = h.commitApp(soakApp('nginx:2.0', 2));
      await h.poll();
      const held = await h.waitFor('held', c2);
      const reason = `soak aborted at commit ${c2.slice(0, 12)}: error budget burnt`;
      expect(held.context).toMatchObject({ hold: reason, lastGood: c1 });
      expect(h.states.slice(-3)).toEqual(['delivering', 'failed', 'held']);
      expect((await h.history())[0]).toMatchObject({
        commit: c2,
        outcome: 'Failed',
        reason: 'DeliveryFailed',
        message: 'soak aborted: error budget burnt',
      });
      const { summary } = await h.state();
      expect(await h.hold()).toMatchObject({ reason, commit: c1, specDigest: summary?.specDigest });
      expect(summary).toMatchObject({ status: 'held', hold: reason, commit: c1, newest: c2 });
      expect(summary?.traits).toEqual([
        {
          component: 'web',
          trait: 'soak',
          commit: c2,
          progress: { v: 1, commit: c2, done: 1, of: 2, aborted: 'error budget burnt' },
          status: 'soak aborted after 1/2: error budget burnt',
          outcome: 'aborted',
        },
      ]);
      // Held: polls do not try the commit again.
      await h.poll();
      await sleep(50);
      expect(soak.deliveries).toHaveLength(2);

      // `ferry resume`: the same commit delivers again, from the start.
      soak.abortAt = undefined;
      await h.resume();
      await h.waitFor('synced', c2);
      expect(soak.deliveries.map((d) => [d.revision, d.ended])).toEqual([
        [c1, 'promoted'],
        [c2, 'aborted'],
        [c2, 'promoted'],
      ]);
      expect(soak.deliveries[2]!.progress).toBeUndefined();
      expect(await h.hold()).toBeUndefined();
      expect((await h.history()).map((r) => [r.commit, r.outcome, r.reason])).toEqual([
        [c2, 'Synced', undefined],
        [c2, 'Failed', 'DeliveryFailed'],
        [c1, 'Synced', undefined],
      ]);
      expect((await h.state()).summary).toMatchObject({ status: 'synced', commit: c2, lastGood: c2 });
    });

    it.each([
      ['a poll sees the hold go before the watch does', false],
      ['the hold was lifted while the controller was away', true],
    ])('ferry resume lets an aborted commit deliver again when %s', async (_, restart) => {
      const soak = new SoakTrait();
      const h = await withSoak(soak, 1);
      const [c1] = h.commits;
      await h.waitFor('synced', c1);
      // The hold watch lags behind the cluster: it never sees this hold, placed and lifted.
      h.cluster.hideFromLists((o) => o.metadata.labels?.['ferry.dev/kind'] === 'hold');
      soak.abortAt = { step: 1, reason: 'error budget burnt' };
      const c2 = h.commitApp(soakApp('nginx:2.0', 2));
      await h.poll();
      await h.waitFor('held', c2);
      soak.abortAt = undefined;
      if (restart) await h.stop();
      await h.resume();
      if (restart) {
        h.cluster.hideFromLists();
        await h.start();
      } else await h.poll();
      // The poll reads the hold of a held release: gone, the release resumes, and its trait starts afresh.
      await h.waitFor('synced', c2);
      expect(h.logged('hold lifted')).toMatchObject([{ event: 'RESUME' }]);
      expect(soak.deliveries.map((d) => [d.revision, d.ended, d.progress?.aborted])).toEqual([
        [c1, 'promoted', undefined],
        [c2, 'aborted', undefined],
        [c2, 'promoted', undefined],
      ]);
      expect((await h.history()).map((r) => [r.commit, r.outcome])).toEqual([
        [c2, 'Synced'],
        [c2, 'Failed'],
        [c1, 'Synced'],
      ]);
      expect(await h.hold()).toBeUndefined();
    });
  });

  it('the lease regained while the loop still stops: the new start waits for the stop, then runs whole', async () => {
    const h = await harness();
    await h.waitFor('synced', h.commits[0]);
    const c = h.controller!;
    const stopping = c.stop();
    c.start();
    await stopping;
    // Started again after the clean-up (which empties the releases): it reads them back and runs them.
    await until('the release back and synced', () => {
      const m = c.releases.get(`${h.app}/${h.env}`)?.actor?.getSnapshot();
      return c.ready && m?.value === 'synced' && m.status === 'active' ? m : undefined;
    });
    const c2 = h.commitApp(webApp({ image: 'nginx:2.0' }));
    await h.poll();
    await h.waitFor('synced', c2);
    expect(imageOf(h.deployment()!)).toBe('nginx:2.0');
  });
});
