/** Fake nodes for KWOK, and the last readiness checks of a fresh cluster. */
import { CoreV1Api, KubeConfig, StorageV1Api, type V1Node } from '@kubernetes/client-node';

function fakeNode(name: string): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        type: 'kwok',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node-role.kubernetes.io/agent': '',
      },
    },
    spec: {},
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Creates the fake nodes, then waits until they are Ready and `default` has its ServiceAccount. */
export async function prepareNodes(kubeconfigFile: string, count: number, deadline: number): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigFile);
  const core = kc.makeApiClient(CoreV1Api);
  for (let i = 0; i < count; i++) {
    const name = `ferry-node-${i}`;
    try {
      await core.createNode({ body: fakeNode(name) });
    } catch (e) {
      if ((e as { code?: number }).code !== 409) throw e;
    }
  }
  while (Date.now() < deadline) {
    const nodes = await core.listNode({ labelSelector: 'type=kwok' });
    // Ready, and the node-lifecycle controller has lifted the not-ready taint (else nothing schedules).
    const ready = nodes.items.filter(
      (n) =>
        n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') &&
        !n.spec?.taints?.some((t) => t.key.startsWith('node.kubernetes.io/')),
    ).length;
    let sa = false;
    try {
      await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
      sa = true;
    } catch {
      sa = false;
    }
    if (ready >= count && sa) return await defaultStorageClass(kc);
    await sleep(250);
  }
  throw new Error('timed out waiting for the fake nodes to become Ready and the default ServiceAccount');
}

/**
 * The default StorageClass "standard": kube-controller-manager's built-in host-path provisioner
 * (--enable-hostpath-provisioner, directories under /tmp/hostpath_pv, deleted with their claim), so
 * PersistentVolumeClaims bind and StatefulSets with storage become ready, as on a kind cluster.
 */
async function defaultStorageClass(kc: KubeConfig): Promise<void> {
  try {
    await kc.makeApiClient(StorageV1Api).createStorageClass({
      body: {
        metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
        provisioner: 'kubernetes.io/host-path',
        reclaimPolicy: 'Delete',
        volumeBindingMode: 'Immediate',
      },
    });
  } catch (e) {
    if ((e as { code?: number }).code !== 409) throw e;
  }
}
