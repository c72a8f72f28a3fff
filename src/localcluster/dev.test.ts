/** npm start's clusters: the home one with the metrics rig, its Prometheus handed on; started through a fake. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { kubeconfigYaml, type UpOptions } from './cluster.js';
import { DEV_CLUSTERS, startDevClusters } from './dev.js';
import { clusterDir, type ClusterState } from './state.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ferry-dev-clusters-'));
  vi.stubEnv('FERRY_CLUSTERS_DIR', dir);
});
afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

/** Records what each cluster was asked for; a cluster with the rig answers on a Prometheus port. */
function fakeStart(asked: UpOptions[]) {
  return async (o: UpOptions): Promise<ClusterState> => {
    asked.push(o);
    mkdirSync(clusterDir(o.name), { recursive: true });
    const kubeconfig = join(clusterDir(o.name), 'kubeconfig');
    writeFileSync(kubeconfig, kubeconfigYaml(o.name, 6443 + asked.length, { ca: 'Y2E=', cert: 'Yw==', key: 'aw==' }));
    return {
      name: o.name,
      kubeconfig,
      ports: {},
      components: [],
      startedAt: new Date(0).toISOString(),
      ...(o.withMetrics ? { prometheusUrl: `http://127.0.0.1:${9090 + asked.length}` } : {}),
    };
  };
}

describe('startDevClusters', () => {
  it('starts the home cluster with Prometheus and the traffic simulator, and returns its URL', async () => {
    const asked: UpOptions[] = [];
    const dev = await startDevClusters({ start: fakeStart(asked) });
    expect(asked.map((o) => [o.name, o.withMetrics])).toEqual([
      ['ferry-dev', true],
      ['ferry-dev-prod-eu', false],
      ['ferry-dev-prod-us', false],
    ]);
    expect(dev.prometheusUrl).toBe('http://127.0.0.1:9091');
    expect(dev.kubeconfig).toBe(join(dir, 'ferry-dev', 'kubeconfig-all'));
    expect(readFileSync(dev.kubeconfig, 'utf8')).toMatch(/current-context: ferry-dev\n/);
  });

  it('returns no Prometheus when the home cluster runs without the rig', async () => {
    const clusters = DEV_CLUSTERS.map((c) => ({ ...c, metrics: false }));
    const dev = await startDevClusters({ clusters, start: fakeStart([]) });
    expect(dev.prometheusUrl).toBeUndefined();
  });
});
