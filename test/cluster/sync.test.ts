/** The sync engine against the real local cluster. */
import { AppsV1Api, CoreV1Api, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { KubeCluster } from '../../src/kube/kube-cluster.js';
import type { KubeObject } from '../../src/objects/objects.js';
import { watchDrift, type DriftReport } from '../../src/gitops/sync/self-heal.js';
import { syncApp } from '../../src/gitops/sync/sync.js';
import { ANN_PRUNE } from '../../src/gitops/sync/tracking.js';
import { inject } from 'vitest';
import { eventually, testKubeConfig, useNamespace } from './kube.js';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const ns = useNamespace('sync');
const cluster = () => KubeCluster.fromFile(inject('kubeconfig'));

const cm = (name: string, data: Record<string, string>, component = 'config'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns(), labels: { 'app.oam.dev/component': component } },
  data,
});
const deploy = (name: string, image: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: ns(), labels: { 'app.oam.dev/component': name } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image }] } },
    ...extra,
  },
});

describe('syncApp', () => {
  const scope = () => ({ app: `shop-${ns()}`, env: 'dev' });

  it('creates, then a no-op re-sync makes zero write requests, then updates', async () => {
    const c = cluster();
    const objs = [cm('settings', { a: '1' }), deploy('web', 'nginx:1.27')];
    const first = await syncApp({ scope: scope(), objects: objs, cluster: c, wait: true, timeoutMs: 60_000 });
    expect(first.errors).toEqual([]);
    expect(
      first.items
        .filter((i) => i.action === 'created')
        .map((i) => i.ref.name)
        .sort(),
    ).toEqual(['settings', 'web']);
    const live = await core.readNamespacedConfigMap({ name: 'settings', namespace: ns() });
    expect(live.metadata?.labels?.['ferry.dev/app']).toBe(scope().app);
    expect(live.metadata?.annotations?.['ferry.dev/tracking-id']).toBe(
      `${scope().app}/dev:/ConfigMap:${ns()}/settings`,
    );

    const again = await syncApp({ scope: scope(), objects: objs, cluster: cluster() });
    expect(again.ok).toBe(true);
    expect(again.writes).toBe(0);
    expect(again.items.every((i) => i.action === 'unchanged')).toBe(true);

    const changed = await syncApp({
      scope: scope(),
      objects: [cm('settings', { a: '2' }), deploy('web', 'nginx:1.27')],
      cluster: cluster(),
    });
    expect(changed.items.find((i) => i.ref.name === 'settings')?.action).toBe('configured');
    expect(changed.items.find((i) => i.ref.name === 'web')?.action).toBe('unchanged');
    expect((await core.readNamespacedConfigMap({ name: 'settings', namespace: ns() })).data).toEqual({ a: '2' });
  });

  it('detects drift of managed fields and heals it', async () => {
    const objs = [deploy('drifty', 'nginx:1.27')];
    await syncApp({ scope: scope(), objects: objs, cluster: cluster() });
    await kc.makeApiClient(KubernetesObjectApi).patch(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'drifty', namespace: ns() },
        spec: { replicas: 5 },
      } as never,
      undefined,
      undefined,
      'someone-else',
      true,
      PatchStrategy.ServerSideApply,
    );
    const healed = await syncApp({ scope: scope(), objects: objs, cluster: cluster(), force: true });
    const item = healed.items.find((i) => i.ref.name === 'drifty');
    expect(item?.action).toBe('configured');
    expect(item?.message).toContain('drifted: /spec/replicas');
    expect((await apps.readNamespacedDeployment({ name: 'drifty', namespace: ns() })).spec?.replicas).toBe(2);
  });

  it('with self-heal on, a periodic check reports drift and corrects it', async () => {
    const s = { app: `heal-${ns()}`, env: 'dev' };
    const objs = [deploy('healme', 'nginx:1.27')];
    await syncApp({ scope: s, objects: objs, cluster: cluster() });
    const stop = new AbortController();
    const reports: DriftReport[] = [];
    const watching = watchDrift({
      scope: s,
      objects: objs,
      cluster: cluster(),
      intervalMs: 300,
      heal: true,
      signal: stop.signal,
      onReport: (r) => reports.push(r),
    });
    await kc.makeApiClient(KubernetesObjectApi).patch(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'healme', namespace: ns() },
        spec: { replicas: 4 },
      } as never,
      undefined,
      undefined,
      'intruder',
      true,
      PatchStrategy.ServerSideApply,
    );
    await eventually('a drift report', async () => (reports.length > 0 ? true : undefined), 30_000);
    stop.abort();
    await watching;
    expect(reports[0]!.drifted).toEqual([{ object: `Deployment/${ns()}/healme`, paths: ['/spec/replicas'] }]);
    expect(reports[0]!.healed?.ok).toBe(true);
    expect((await apps.readNamespacedDeployment({ name: 'healme', namespace: ns() })).spec?.replicas).toBe(2);
  });

  it('prunes what left the desired set, keeps prune:false objects, refuses to prune everything', async () => {
    const s = { app: `prune-${ns()}`, env: 'dev' };
    await syncApp({
      scope: s,
      objects: [cm('p-a', { x: '1' }), cm('p-b', { x: '1' }), cm('p-keep', { x: '1' })],
      cluster: cluster(),
    });
    await core.patchNamespacedConfigMap({
      name: 'p-keep',
      namespace: ns(),
      body: [{ op: 'add', path: `/metadata/annotations/${ANN_PRUNE.replace('/', '~1')}`, value: 'false' }],
    });
    const pruned = await syncApp({ scope: s, objects: [cm('p-a', { x: '1' })], cluster: cluster(), prune: true });
    expect(pruned.errors).toEqual([]);
    expect(pruned.items.find((i) => i.ref.name === 'p-b')?.action).toBe('deleted');
    expect(pruned.items.find((i) => i.ref.name === 'p-keep')?.action).toBe('keep');
    await expect(core.readNamespacedConfigMap({ name: 'p-b', namespace: ns() })).rejects.toMatchObject({ code: 404 });
    await core.readNamespacedConfigMap({ name: 'p-keep', namespace: ns() });

    const refused = await syncApp({ scope: s, objects: [], cluster: cluster(), prune: true });
    expect(refused.ok).toBe(false);
    expect(refused.writes).toBe(0);
    expect(refused.errors[0]).toMatch(/refusing to prune all 1 objects/);
    await core.readNamespacedConfigMap({ name: 'p-a', namespace: ns() });
  });

  it('a rejected object fails the dry-run and nothing of that sync is written', async () => {
    const s = { app: `reject-${ns()}`, env: 'dev' };
    await syncApp({ scope: s, objects: [cm('r-ok', { v: 'old' })], cluster: cluster() });
    const bad = deploy('r-bad', 'nginx:1.27', { replicas: -3 });
    const r = await syncApp({ scope: s, objects: [cm('r-ok', { v: 'new' }), bad], cluster: cluster(), prune: true });
    expect(r.ok).toBe(false);
    expect(r.phase).toBe('dry-run');
    expect(r.errors.join('\n')).toMatch(/Deployment\/.*\/r-bad: .*spec\.replicas/);
    expect((await core.readNamespacedConfigMap({ name: 'r-ok', namespace: ns() })).data).toEqual({ v: 'old' });
    await expect(apps.readNamespacedDeployment({ name: 'r-bad', namespace: ns() })).rejects.toMatchObject({
      code: 404,
    });
  });

  it('leaves an object it did not create untouched, unless adoption is requested', async () => {
    await core.createNamespacedConfigMap({
      namespace: ns(),
      body: { metadata: { name: 'theirs' }, data: { owner: 'them' } },
    });
    const s = { app: `adopt-${ns()}`, env: 'dev' };
    const r = await syncApp({ scope: s, objects: [cm('theirs', { owner: 'ferry' })], cluster: cluster() });
    expect(r.items[0]).toMatchObject({ action: 'foreign' });
    expect((await core.readNamespacedConfigMap({ name: 'theirs', namespace: ns() })).data).toEqual({ owner: 'them' });
    const adopted = await syncApp({
      scope: s,
      objects: [cm('theirs', { owner: 'ferry' })],
      cluster: cluster(),
      adopt: true,
      force: true,
    });
    expect(adopted.items[0]).toMatchObject({ action: 'configured' });
    expect((await core.readNamespacedConfigMap({ name: 'theirs', namespace: ns() })).data).toEqual({ owner: 'ferry' });
  });

  it('waits Progressing to Healthy, and fails fast when a Deployment is Degraded', async () => {
    const s = { app: `health-${ns()}`, env: 'dev' };
    const ok = await syncApp({
      scope: s,
      objects: [deploy('h-good', 'nginx:1.27')],
      cluster: cluster(),
      wait: true,
      timeoutMs: 60_000,
    });
    expect(ok.ok).toBe(true);
    const bad = await syncApp({
      scope: s,
      objects: [deploy('h-good', 'nginx:1.27'), deploy('h-bad', 'nginx:bad', { progressDeadlineSeconds: 3 })],
      cluster: cluster(),
      wait: true,
      timeoutMs: 90_000,
    });
    expect(bad.ok).toBe(false);
    expect(bad.phase).toBe('health');
    expect(bad.errors.join('\n')).toMatch(/Deployment\/.*\/h-bad is Degraded: ProgressDeadlineExceeded/);
  });

  it('applies a CRD before its custom resources, and components after those they depend on', async () => {
    const s = { app: `order-${ns()}`, env: 'dev' };
    const group = `${ns().replace(/[^a-z0-9]/g, '')}.order.ferry.dev`;
    const crd: KubeObject = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `gadgets.${group}` },
      spec: {
        group,
        names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
              },
            },
          },
        ],
      },
    };
    const gadget: KubeObject = {
      apiVersion: `${group}/v1`,
      kind: 'Gadget',
      metadata: { name: 'g1', namespace: ns(), labels: { 'app.oam.dev/component': 'gadgets' } },
      spec: { size: 2 },
    };
    const db = deploy('db', 'postgres:16');
    const api = deploy('api', 'api:1');
    const r = await syncApp({
      scope: s,
      objects: [gadget, api, crd, db],
      components: [{ name: 'api', dependsOn: ['db'] }, { name: 'db' }, { name: 'gadgets' }],
      cluster: cluster(),
      timeoutMs: 60_000,
    });
    expect(r.errors).toEqual([]);
    const order = r.items.filter((i) => i.action === 'created').map((i) => i.ref.name);
    expect(order.indexOf(`gadgets.${group}`)).toBe(0);
    expect(order.indexOf('db')).toBeLessThan(order.indexOf('api'));
    const dbReady = (await apps.readNamespacedDeployment({ name: 'db', namespace: ns() })).status?.readyReplicas;
    expect(dbReady).toBe(2);
    const apiCreated = (await apps.readNamespacedDeployment({ name: 'api', namespace: ns() })).metadata
      ?.creationTimestamp;
    const dbPods = await core.listNamespacedPod({ namespace: ns(), labelSelector: 'app=db' });
    const dbReadyAt = Math.max(
      ...dbPods.items.map((p) =>
        Date.parse(String(p.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime)),
      ),
    );
    expect(Date.parse(String(apiCreated))).toBeGreaterThanOrEqual(dbReadyAt - 1000);
  });

  it('serializes concurrent syncs of the same app and environment', async () => {
    const s = { app: `lock-${ns()}`, env: 'dev' };
    const results = await Promise.all(
      [1, 2, 3].map((n) => syncApp({ scope: s, objects: [cm('l-cm', { n: String(n) })], cluster: cluster() })),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    const live = await core.readNamespacedConfigMap({ name: 'l-cm', namespace: ns() });
    expect(['1', '2', '3']).toContain(live.data?.n);
    await eventually('the lock to be released', async () => {
      try {
        await kc.makeApiClient(KubernetesObjectApi).read({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: `ferry-sync.${s.app}.dev`, namespace: 'ferry-system' },
        });
        return undefined;
      } catch (e) {
        return (e as { code?: number }).code === 404 ? true : undefined;
      }
    });
  });
});
