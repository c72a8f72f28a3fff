/**
 * Promotion across environments through the real Controller, without Kubernetes (the reconcile harness:
 * a local Git repository, the built-in definitions, an in-memory cluster as every cluster): dev follows
 * Git, staging takes what dev verified after a soak, prod waits for `ferry approve`; a newer commit never
 * leaks past an environment that has not verified it; a failure upstream is never promoted.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { approve, readApprovals, readPromotion, requestPromotion } from '../../src/gitops/store/promotion-store.js';
import { type HarnessOptions, ReconcileHarness, until, webApp } from '../support/reconcile-harness.js';
import { imageOf } from '../support/sim-cluster.js';

const CHAIN_CONFIG = `environments:
  - name: dev
    namespace: shop-dev
  - name: staging
    namespace: shop-staging
    promotion: {from: dev, soak: 1s}
  - name: prod
    namespace: shop-prod
    promotion: {from: staging, approval: required}
`;

const harnesses: ReconcileHarness[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(harnesses.splice(0).map((h) => h.dispose()));
});

async function chain(ferryYaml = CHAIN_CONFIG, o: Omit<HarnessOptions, 'ferryYaml'> = {}) {
  const h = await ReconcileHarness.create({ ferryYaml, ...o });
  harnesses.push(h);
  const scope = (env: string) => ({ ...h.scope, env });
  const machine = (env: string) => h.controller?.releases.get(`web/${env}`)?.actor?.getSnapshot();
  /** Polls until the environment's release is synced at `commit` (each poll also decides promotions). */
  const syncedAt = (env: string, commit: string) =>
    until(
      `${env} synced at ${commit.slice(0, 8)}`,
      async () => {
        await h.poll();
        const m = machine(env);
        return m?.value === 'synced' && m.context.revision === commit ? m : undefined;
      },
      15_000,
      () => `${env} is ${machine(env)?.value} at ${machine(env)?.context.revision?.slice(0, 8)}`,
    );
  const image = (env: string) => {
    const d = h.cluster.object('Deployment', `shop-${env}`, 'web');
    return d ? imageOf(d) : undefined;
  };
  const promotion = (env: string) => readPromotion(h.cluster, scope(env));
  return { h, scope, machine, syncedAt, image, promotion, c1: h.commits[0]! };
}

describe('promotion across environments', () => {
  it('dev follows Git; staging takes it after the soak; prod after ferry approve; nothing leaks ahead', async () => {
    const { h, scope, machine, syncedAt, image, promotion, c1 } = await chain();
    await syncedAt('dev', c1);
    // Staging has nothing until dev verified c1 for the soak; prod has nothing until staging did and it is approved.
    expect(image('staging')).toBeUndefined();
    await syncedAt('staging', c1);
    expect(image('staging')).toBe('nginx:1.0');
    expect((await promotion('staging'))?.current).toMatchObject({ commit: c1, from: 'dev', by: 'auto' });
    await until('prod waits for approval', async () => {
      await h.poll();
      const p = await promotion('prod');
      return p?.waiting?.state === 'waiting-approval' && p.waiting.commit === c1 ? p : undefined;
    });
    expect(image('prod')).toBeUndefined();
    expect(machine('prod')?.context.revision).toBeUndefined();
    await approve(h.cluster, scope('prod'), c1);
    await syncedAt('prod', c1);
    expect((await promotion('prod'))?.current).toMatchObject({ commit: c1, from: 'staging', by: 'approval' });

    // A new commit: dev takes it at once; staging and prod keep c1 until dev verified c2 for the soak.
    const c2 = h.commitApp(webApp({ image: 'nginx:2.0' }));
    await syncedAt('dev', c2);
    expect(image('dev')).toBe('nginx:2.0');
    expect(image('staging')).toBe('nginx:1.0');
    await syncedAt('staging', c2);
    expect(image('staging')).toBe('nginx:2.0');
    expect(image('prod')).toBe('nginx:1.0');
    const events = await h.cluster.list('v1', 'Event', 'shop-staging', 'ferry.dev/app=web');
    expect(events.map((e) => (e as { reason?: string }).reason)).toContain('Promoted');
  });

  it('a release that fails in dev is never promoted; the next good one goes the normal way', async () => {
    const { h, syncedAt, image, promotion, c1 } = await chain();
    await syncedAt('staging', c1);
    // c2 does not render (a component type that does not exist): dev fails it, staging keeps c1.
    const bad = h.commitApp(webApp({ image: 'nginx:2.0' }).replace('type: webservice', 'type: no-such-type'));
    await until('dev failed c2', async () => {
      await h.poll();
      const m = h.controller?.releases.get('web/dev')?.actor?.getSnapshot();
      return m?.value === 'failed' && m.context.revision === bad ? m : undefined;
    });
    for (let i = 0; i < 3; i++) await h.poll();
    expect(image('staging')).toBe('nginx:1.0');
    expect((await promotion('staging'))?.current?.commit).toBe(c1);
    const c3 = h.commitApp(webApp({ image: 'nginx:3.0' }));
    await syncedAt('dev', c3);
    await syncedAt('staging', c3);
    expect(image('staging')).toBe('nginx:3.0');
  });

  it('a controller restarted during the soak goes on with the time served: neither restarted nor skipped', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-12-07T10:00:00Z') });
    const { h, syncedAt, image, promotion, c1 } = await chain(CHAIN_CONFIG.replace('soak: 1s', 'soak: 10m'));
    await syncedAt('dev', c1);
    // Polls a minute apart for 6 minutes: 6 minutes served, written.
    for (let i = 0; i < 7; i++) {
      await h.poll();
      vi.setSystemTime(Date.now() + 60_000);
    }
    const served = (await promotion('dev'))!.soak!.servedMs;
    expect(served).toBeGreaterThanOrEqual(5 * 60_000);
    expect((await promotion('staging'))?.waiting).toMatchObject({ state: 'soaking' });
    // Down for an hour: none of it is served. Back, the soak goes on from what was written.
    await h.stop();
    vi.setSystemTime(Date.now() + 3_600_000);
    await h.start();
    await h.poll();
    expect((await promotion('dev'))!.soak!.servedMs).toBe(served);
    expect(image('staging')).toBeUndefined();
    for (let i = 0; i < 3; i++) {
      vi.setSystemTime(Date.now() + 60_000);
      await h.poll();
    }
    expect(image('staging')).toBeUndefined();
    vi.setSystemTime(Date.now() + 10 * 60_000 - served - 3 * 60_000 + 1);
    await h.poll(); // within the step allowed: served
    expect(image('staging')).toBeUndefined();
    vi.setSystemTime(Date.now() + 30_000);
    await syncedAt('staging', c1);
  });

  it('a held environment takes no promotion until ferry resume; holds elsewhere do not matter', async () => {
    const { h, scope, syncedAt, image, promotion, c1 } = await chain();
    await syncedAt('staging', c1);
    const { placeHold, releaseHold } = await import('../../src/gitops/store/release-store.js');
    await placeHold(h.cluster, scope('staging'), { reason: 'rolled back by hand', since: new Date().toISOString() });
    const c2 = h.commitApp(webApp({ image: 'nginx:2.0' }));
    await syncedAt('dev', c2);
    await until('staging waits: held', async () => {
      await h.poll();
      const p = await promotion('staging');
      return p?.waiting?.state === 'held' ? p : undefined;
    });
    expect(image('staging')).toBe('nginx:1.0');
    expect(image('dev')).toBe('nginx:2.0');
    await releaseHold(h.cluster, scope('staging'));
    await syncedAt('staging', c2);
    expect(image('staging')).toBe('nginx:2.0');
  });

  it('an objective broken during the soak (slo violated in dev) fails the release there, unpromoted', async () => {
    const slow = { kind: 'value', value: 480, linear: 520 } as const;
    const { h, syncedAt, image, promotion, c1 } = await chain(CHAIN_CONFIG.replace('soak: 1s', 'soak: 3s'), {
      traits: [
        { type: 'slo', properties: { latency: { percentile: 99, max: '200ms' }, interval: '1s', window: '10s' } },
      ],
      metricSources: () => ({
        name: 'fake',
        separatesWorkloads: true,
        evidence: async () => ({ kind: 'no-data' }),
        requestRate: async () => ({ kind: 'value', value: 100 }),
        successRate: async () => ({ kind: 'value', value: 100 }),
        latency: async () => ({ kind: 'value', value: 520 }),
        latencyTail: async () => slow,
        query: async () => ({ kind: 'no-data' }),
      }),
    });
    await syncedAt('dev', c1);
    const failed = await until('staging: the release failed in dev', async () => {
      await h.poll();
      const p = await promotion('staging');
      return p?.waiting?.state === 'failed' ? p : undefined;
    });
    expect(failed.waiting!.why).toMatch(/failed in dev: slo of web/);
    expect((await promotion('dev'))!.failed).toContain(c1);
    for (let i = 0; i < 5; i++) await h.poll();
    expect(image('staging')).toBeUndefined();
  });

  it('a ferry promote its gates refuse for good is answered and cleared: it never blocks the next one', async () => {
    const { h, scope, syncedAt, image, promotion, c1 } = await chain();
    await syncedAt('staging', c1);
    const c2 = h.commitApp(webApp({ image: 'nginx:2.0' }));
    await syncedAt('dev', c2);
    // Into staging, a request for c1, which dev no longer runs: refused (not what the upstream runs), and cleared.
    await requestPromotion(h.cluster, scope('staging'), c1, false);
    const refused = await until('staging: the request refused', async () => {
      await h.poll();
      const p = await promotion('staging');
      return p?.waiting?.why.includes('refused') ? p : undefined;
    });
    expect(refused.waiting).toMatchObject({ state: 'manual' });
    expect((await readApprovals(h.cluster, scope('staging'))).promote).toBeUndefined();
    // The normal path goes on: staging takes c2 after the soak.
    await syncedAt('staging', c2);
    expect(image('staging')).toBe('nginx:2.0');
  });

  it("no ferry.yaml environments: the app's workflow is the chain; auto: false waits", async () => {
    const topology = (name: string) => ({
      name,
      type: 'topology',
      properties: { clusters: ['local'], namespace: `shop-${name}` },
    });
    const appYaml = (image: string) =>
      stringify({
        apiVersion: 'core.oam.dev/v1beta1',
        kind: 'Application',
        metadata: { name: 'web', namespace: 'shop' },
        spec: {
          components: [{ name: 'web', type: 'webservice', properties: { image, port: 8080 } }],
          policies: ['dev', 'staging', 'prod'].map(topology),
          workflow: {
            steps: [
              { name: 'dev', type: 'deploy', properties: { policies: ['dev'] } },
              { name: 'staging', type: 'deploy', properties: { policies: ['staging'] } },
              { name: 'prod', type: 'deploy', properties: { policies: ['prod'], auto: false } },
            ],
          },
        },
      });
    const { h, scope, syncedAt, image, promotion, c1 } = await chain('defaults: {autoRollback: false}\n', {
      appYaml: appYaml('nginx:1.0'),
    });
    await syncedAt('dev', c1);
    await syncedAt('staging', c1);
    expect((await promotion('staging'))?.current).toMatchObject({ commit: c1, from: 'dev', by: 'auto' });
    expect((await promotion('staging'))?.policy).toEqual({ from: 'dev', auto: true, approval: false, soakMs: 0 });
    await until('prod waits for approval', async () => {
      await h.poll();
      const p = await promotion('prod');
      return p?.waiting?.state === 'waiting-approval' && p.waiting.commit === c1 ? p : undefined;
    });
    expect(image('prod')).toBeUndefined();
    await approve(h.cluster, scope('prod'), c1);
    await syncedAt('prod', c1);
    expect(image('prod')).toBe('nginx:1.0');
    // A new commit: dev at once, staging after dev verified it, prod keeps c1.
    const c2 = h.commitApp(appYaml('nginx:2.0'));
    await syncedAt('staging', c2);
    expect(image('dev')).toBe('nginx:2.0');
    expect(image('prod')).toBe('nginx:1.0');
  });

  it('an approval is decided on at once: the approval records are watched, no poll needed', async () => {
    const { h, scope, machine, syncedAt, promotion, c1 } = await chain();
    await syncedAt('staging', c1);
    await until('prod waits for approval', async () => {
      await h.poll();
      const p = await promotion('prod');
      return p?.waiting?.state === 'waiting-approval' ? p : undefined;
    });
    const polls = h.logs.length;
    await approve(h.cluster, scope('prod'), c1);
    // No h.poll() from here on: the watch hears the approval and the controller polls by itself.
    await until('prod synced at c1', () => {
      const m = machine('prod');
      return m?.value === 'synced' && m.context.revision === c1 ? m : undefined;
    });
    expect(h.logs.slice(polls).some((l) => l.msg === 'promoted' && l.env === 'prod')).toBe(true);
  });

  it('a broken ferry.yaml keeps the chain going; a policy removed is forgotten in the records', async () => {
    const { h, syncedAt, image, promotion, c1 } = await chain();
    await syncedAt('staging', c1);
    // A commit that breaks ferry.yaml and changes the app: staging keeps its promoted release and policy.
    const broken = h.commit({
      'ferry.yaml': 'environments: [{name: dev, nope: 1}]\n',
      'apps/web/app.yaml': webApp({ image: 'nginx:2.0' }),
    });
    for (let i = 0; i < 3; i++) await h.poll();
    expect(h.controller?.releases.get('web/staging')?.config?.promotion?.from).toBe('dev');
    expect(image('staging')).toBe('nginx:1.0');
    expect((await promotion('staging'))?.policy).toEqual({ from: 'dev', auto: true, approval: false, soakMs: 1000 });
    expect(h.machine).toBeUndefined();
    expect(broken).toBeDefined();
    // prod's policy removed: the record no longer offers a chain into it.
    expect((await promotion('prod'))?.policy?.from).toBe('staging');
    h.commit({ 'ferry.yaml': CHAIN_CONFIG.replace('    promotion: {from: staging, approval: required}\n', '') });
    await until('prod policy forgotten', async () => {
      await h.poll();
      const p = await promotion('prod');
      return p && p.policy === undefined ? p : undefined;
    });
  });
});
