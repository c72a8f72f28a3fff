import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { DEV_CLUSTERS } from './dev.js';
import { mergeKubeconfigs } from './kubeconfig.js';
import { kubeconfigYaml } from './cluster.js';

/** A kubeconfig as `cluster:up` writes it, with fake certificate data. */
const single = (name: string, port: number) =>
  kubeconfigYaml(name, port, { ca: 'Q0EtJHtuYW1lfQ==', cert: 'Y2VydC0ke25hbWV9', key: 'a2V5LSR7bmFtZX0=' });

describe('mergeKubeconfigs', () => {
  it('gives each cluster a context of the topology name, the first one current', () => {
    const merged = mergeKubeconfigs([
      { context: 'ferry-dev', kubeconfig: single('ferry-dev', 6443) },
      { context: 'prod-eu', kubeconfig: single('ferry-dev-prod-eu', 6444) },
      { context: 'prod-us', kubeconfig: single('ferry-dev-prod-us', 6445) },
    ]);
    const kc = new KubeConfig();
    kc.loadFromString(merged);
    expect(kc.getContexts().map((c) => c.name)).toEqual(['ferry-dev', 'prod-eu', 'prod-us']);
    expect(kc.getCurrentContext()).toBe('ferry-dev');
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
    kc.setCurrentContext('prod-us');
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:6445');
    expect(kc.getCurrentUser()?.certData).toBe('Y2VydC0ke25hbWV9');
    expect(kc.getContextObject('prod-eu')).toMatchObject({
      cluster: 'prod-eu',
      user: 'prod-eu-admin',
      namespace: 'default',
    });
    expect(kc.getCluster('prod-eu')?.caData).toBe('Q0EtJHtuYW1lfQ==');
  });

  it("takes each source's current context and can make another one current", () => {
    expect(() =>
      mergeKubeconfigs([{ context: 'x', kubeconfig: single('a', 1).replace('current-context: a', '') }]),
    ).toThrow(/has no current context/);
    const merged = mergeKubeconfigs(
      [
        { context: 'x', kubeconfig: single('a', 1) },
        { context: 'y', kubeconfig: single('b', 2) },
      ],
      'y',
    );
    const kc = new KubeConfig();
    kc.loadFromString(merged);
    expect(kc.getCurrentContext()).toBe('y');
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:2');
  });

  it('refuses duplicate contexts, an unknown current context and dangling references', () => {
    expect(() => mergeKubeconfigs([])).toThrow(/no kubeconfig/);
    expect(() =>
      mergeKubeconfigs([
        { context: 'x', kubeconfig: single('a', 1) },
        { context: 'x', kubeconfig: single('b', 2) },
      ]),
    ).toThrow(/"x" is given twice/);
    expect(() => mergeKubeconfigs([{ context: 'x', kubeconfig: single('a', 1) }], 'z')).toThrow(/current context "z"/);
    expect(() =>
      mergeKubeconfigs([{ context: 'x', kubeconfig: single('a', 1).replace('user: a-admin', 'user: nobody') }]),
    ).toThrow(/no user "nobody"/);
    expect(() =>
      mergeKubeconfigs([{ context: 'x', kubeconfig: single('a', 1).replace('cluster: a\n', 'cluster: gone\n') }]),
    ).toThrow(/no cluster "gone"/);
  });
});

describe('npm start clusters', () => {
  it("names contexts after multi-env's prod topology, the home cluster first", () => {
    expect(DEV_CLUSTERS.map((c) => c.context)).toEqual(['ferry-dev', 'prod-eu', 'prod-us']);
    expect(new Set(DEV_CLUSTERS.map((c) => c.name)).size).toBe(3);
  });
});
