/** Proof that the local control plane is a real one: API, CRDs, controllers, scheduler, KWOK pods. */
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  VersionApi,
  type V1Deployment,
} from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';
import { startCluster, stopCluster } from '../../src/localcluster/cluster.js';
import { isAlive } from '../../src/localcluster/state.js';
import { eventually, testKubeConfig, useNamespace } from './kube.js';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const ns = useNamespace('smoke');

function deployment(
  name: string,
  namespace: string,
  image: string,
  extra: Partial<V1Deployment['spec']> = {},
): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image }] } },
      ...extra,
    },
  };
}

async function apply(obj: V1Deployment): Promise<void> {
  await kc
    .makeApiClient(KubernetesObjectApi)
    .patch(obj, undefined, undefined, 'ferry-smoke', true, PatchStrategy.ServerSideApply);
}

describe('local control plane', () => {
  it('reports the real Kubernetes version', async () => {
    const v = await kc.makeApiClient(VersionApi).getCode();
    expect(v.gitVersion).toMatch(/^v1\.36\.\d+$/);
  });

  it('serves CRDs and custom resources', async () => {
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    const name = `widgets${ns().replace(/[^a-z0-9]/g, '')}.smoke.ferry.dev`;
    const plural = name.split('.')[0]!;
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name },
        spec: {
          group: 'smoke.ferry.dev',
          names: {
            plural,
            singular: plural.slice(0, -1),
            kind: `Widget${ns().replace(/[^a-z0-9]/g, '')}`,
            listKind: 'WidgetList',
          },
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
      },
    });
    await eventually('CRD established', async () =>
      (await ext.readCustomResourceDefinition({ name })).status?.conditions?.some(
        (c) => c.type === 'Established' && c.status === 'True',
      )
        ? true
        : undefined,
    );
    const custom = kc.makeApiClient(CustomObjectsApi);
    await custom.createNamespacedCustomObject({
      group: 'smoke.ferry.dev',
      version: 'v1',
      namespace: ns(),
      plural,
      body: {
        apiVersion: 'smoke.ferry.dev/v1',
        kind: `Widget${ns().replace(/[^a-z0-9]/g, '')}`,
        metadata: { name: 'w1' },
        spec: { size: 3 },
      },
    });
    const got = (await custom.getNamespacedCustomObject({
      group: 'smoke.ferry.dev',
      version: 'v1',
      namespace: ns(),
      plural,
      name: 'w1',
    })) as { spec: { size: number } };
    expect(got.spec.size).toBe(3);
    await ext.deleteCustomResourceDefinition({ name });
  });

  it('rolls out a Deployment to 3 ready replicas on fake nodes, then a new image', async () => {
    await apply(deployment('web', ns(), 'nginx:1.27'));
    await eventually('3 ready replicas', async () =>
      (await apps.readNamespacedDeployment({ name: 'web', namespace: ns() })).status?.readyReplicas === 3
        ? true
        : undefined,
    );
    const pods = await core.listNamespacedPod({ namespace: ns(), labelSelector: 'app=web' });
    expect(pods.items).toHaveLength(3);
    for (const p of pods.items) expect(p.status?.podIP).toMatch(/^127\./);

    await apply(deployment('web', ns(), 'nginx:1.28'));
    const rs = await eventually('the new ReplicaSet to take over', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns() });
      const list = await apps.listNamespacedReplicaSet({ namespace: ns(), labelSelector: 'app=web' });
      const fresh = list.items.find((r) => r.spec?.template?.spec?.containers[0]?.image === 'nginx:1.28');
      const old = list.items.find((r) => r.spec?.template?.spec?.containers[0]?.image === 'nginx:1.27');
      const done =
        d.status?.updatedReplicas === 3 &&
        d.status?.readyReplicas === 3 &&
        d.status?.replicas === 3 &&
        fresh?.status?.readyReplicas === 3 &&
        (old?.status?.replicas ?? 0) === 0;
      return done ? list.items : undefined;
    });
    expect(rs).toHaveLength(2);
  });

  it('reports ProgressDeadlineExceeded for a Deployment whose image never becomes ready', async () => {
    await apply(deployment('broken', ns(), 'example.com/app:bad', { progressDeadlineSeconds: 5, replicas: 2 }));
    const cond = await eventually(
      'ProgressDeadlineExceeded',
      async () =>
        (await apps.readNamespacedDeployment({ name: 'broken', namespace: ns() })).status?.conditions?.find(
          (c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded',
        ),
      90_000,
    );
    expect(cond.status).toBe('False');
    const pods = await core.listNamespacedPod({ namespace: ns(), labelSelector: 'app=broken' });
    expect(pods.items.length).toBeGreaterThan(0);
    for (const p of pods.items) expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
  });

  it('deletes a Namespace with its contents', async () => {
    const name = `${ns()}-gone`;
    await core.createNamespace({ body: { metadata: { name } } });
    await apply(deployment('doomed', name, 'nginx:1.27', { replicas: 1 }));
    await eventually('a running pod', async () =>
      (await core.listNamespacedPod({ namespace: name })).items.some((p) => p.status?.phase === 'Running')
        ? true
        : undefined,
    );
    await core.deleteNamespace({ name });
    await eventually(
      'the namespace to go away',
      async () => {
        try {
          await core.readNamespace({ name });
          return undefined;
        } catch (e) {
          return (e as { code?: number }).code === 404 ? true : undefined;
        }
      },
      120_000,
    );
  });
});

describe('storage', () => {
  it(
    'binds a claim of the default StorageClass and a StatefulSet using it becomes ready; ' +
      'the volume goes with the claim',
    async () => {
      await core.createNamespacedPersistentVolumeClaim({
        namespace: ns(),
        body: {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      });
      const claim = await eventually('the claim to be bound', async () => {
        const c = await core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace: ns() });
        return c.status?.phase === 'Bound' ? c : undefined;
      });
      expect(claim.spec?.storageClassName).toBe('standard');
      const volume = claim.spec!.volumeName!;
      await apps.createNamespacedStatefulSet({
        namespace: ns(),
        body: {
          metadata: { name: 'db' },
          spec: {
            serviceName: 'db',
            replicas: 1,
            selector: { matchLabels: { app: 'db' } },
            template: {
              metadata: { labels: { app: 'db' } },
              spec: {
                containers: [
                  { name: 'db', image: 'postgres:16', volumeMounts: [{ name: 'data', mountPath: '/data' }] },
                ],
                volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
              },
            },
          },
        },
      });
      await eventually('the StatefulSet to be ready', async () =>
        (await apps.readNamespacedStatefulSet({ name: 'db', namespace: ns() })).status?.readyReplicas === 1
          ? true
          : undefined,
      );
      await apps.deleteNamespacedStatefulSet({ name: 'db', namespace: ns() });
      await core.deleteNamespacedPersistentVolumeClaim({ name: 'data', namespace: ns() });
      await eventually(
        'the volume to be deleted',
        async () => {
          try {
            await core.readPersistentVolume({ name: volume });
            return undefined;
          } catch (e) {
            return (e as { code?: number }).code === 404 ? true : undefined;
          }
        },
        60_000,
      );
    },
  );
});

describe('cluster lifecycle', () => {
  it('runs a second cluster beside the first, and down leaves none of its processes', async () => {
    const name = `ferry-second-${process.pid}`;
    const state = await startCluster({ name, nodes: 1, timeoutSeconds: 300 });
    try {
      expect(state.kubeconfig).not.toBe(inject('kubeconfig'));
      const pids = state.components.map((c) => c.pid);
      expect(state.components.map((c) => c.name)).toEqual([
        'etcd',
        'kube-apiserver',
        'kube-controller-manager',
        'kube-scheduler',
        'kwok',
      ]);
      for (const pid of pids) expect(isAlive(pid)).toBe(true);
      const stopped = await stopCluster(name);
      expect(stopped.map((c) => c.pid).sort()).toEqual([...pids].sort());
      for (const pid of pids) expect(isAlive(pid)).toBe(false);
      const ps = execFileSync('ps', ['-eo', 'pid='], { encoding: 'utf8' })
        .split('\n')
        .map((l) => Number(l.trim()));
      for (const pid of pids) expect(ps).not.toContain(pid);
    } finally {
      await stopCluster(name);
    }
  });
});
