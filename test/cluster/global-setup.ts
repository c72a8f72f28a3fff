/**
 * Global setup of the cluster test project: uses FERRY_TEST_KUBECONFIG when given, otherwise
 * starts a local cluster with Prometheus and the traffic simulator (building and fetching on first use)
 * and stops it afterwards.
 */
import type { TestProject } from 'vitest/node';
import { startCluster, stopCluster } from '../../src/localcluster/cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfig: string;
    ownCluster: boolean;
    /**
     * Prometheus scraping the traffic simulator ('' when FERRY_TEST_KUBECONFIG names a cluster without
     * FERRY_TEST_PROMETHEUS_URL).
     */
    prometheusUrl: string;
  }
}

const NAME = process.env.FERRY_TEST_CLUSTER ?? 'ferry-test';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.FERRY_TEST_KUBECONFIG;
  if (given) {
    project.provide('kubeconfig', given);
    project.provide('ownCluster', false);
    project.provide('prometheusUrl', process.env.FERRY_TEST_PROMETHEUS_URL ?? '');
    return async () => {};
  }
  const state = await startCluster({
    name: NAME,
    log: (l) => console.error(`[cluster] ${l}`),
    timeoutSeconds: 300,
    withMetrics: true,
  });
  project.provide('kubeconfig', state.kubeconfig);
  project.provide('ownCluster', true);
  project.provide('prometheusUrl', state.prometheusUrl ?? '');
  return async () => {
    await stopCluster(NAME);
  };
}
