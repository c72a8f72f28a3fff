/**
 * npm run bench:sync — against a local cluster (started for the run, or FERRY_BENCH_KUBECONFIG):
 * 200 apps of 5 objects each. Prints the first full sync, a no-op re-sync (wall time and write
 * requests, which must be 0), a one-app change, and peak RSS.
 */
import { readFileSync } from 'node:fs';
import { KubeCluster } from '../src/kube/kube-cluster.js';
import type { KubeObject } from '../src/objects/objects.js';
import { syncApp, type SyncResult } from '../src/gitops/sync/sync.js';
import { startCluster, stopCluster } from '../src/localcluster/cluster.js';
import { nodesFor } from './cluster-size.js';

const APPS = Number(process.env.BENCH_APPS ?? 200);
const PARALLEL = Number(process.env.BENCH_PARALLEL ?? 16);
const NS = 'bench-sync';

function appObjects(i: number, version: number): KubeObject[] {
  const name = `app-${String(i).padStart(3, '0')}`;
  const labels = { 'app.oam.dev/component': name, app: name };
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: NS, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: 'main', image: `registry.example.com/${name}:${version}` }] },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: NS, labels },
      spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${name}-config`, namespace: NS, labels },
      data: { version: String(version), level: 'info' },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${name}-secret`, namespace: NS, labels },
      stringData: { token: `t-${i}` },
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: NS, labels } },
  ];
}

async function syncAll(cluster: KubeCluster, version: (i: number) => number): Promise<SyncResult[]> {
  const results: SyncResult[] = new Array(APPS);
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      for (let i = next++; i < APPS; i = next++)
        results[i] = await syncApp({
          scope: { app: `app-${i}`, env: 'bench' },
          objects: appObjects(i, version(i)),
          cluster,
        });
    }),
  );
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) throw new Error(`${failed.length} syncs failed: ${failed[0]!.errors.join('; ')}`);
  return results;
}

const peakRss = () => Number(readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s+(\d+) kB/)?.[1] ?? 0) / 1024;

async function main(): Promise<void> {
  const own = !process.env.FERRY_BENCH_KUBECONFIG;
  const kubeconfig =
    process.env.FERRY_BENCH_KUBECONFIG ??
    (await startCluster({ name: 'ferry-bench', nodes: nodesFor(APPS) })).kubeconfig;
  try {
    const cluster = KubeCluster.fromFile(kubeconfig);
    await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    const timed = async (f: () => Promise<SyncResult[]>) => {
      const before = cluster.writes;
      const t = performance.now();
      const r = await f();
      return { seconds: (performance.now() - t) / 1000, writes: cluster.writes - before, results: r };
    };
    const first = await timed(() => syncAll(cluster, () => 1));
    const noop = await timed(() => syncAll(cluster, () => 1));
    const one = await timed(async () => [
      await syncApp({ scope: { app: 'app-7', env: 'bench' }, objects: appObjects(7, 2), cluster }),
    ]);
    console.log(
      `bench:sync  ${APPS} apps x 5 objects (Deployment, Service, ConfigMap, Secret, ServiceAccount), ` +
        `${PARALLEL} syncs at a time`,
    );
    console.log(
      `first full sync: ${first.seconds.toFixed(1)} s, ` +
        `${first.writes} write requests (dry-run + apply + inventory + lock)`,
    );
    console.log(`no-op re-sync:   ${noop.seconds.toFixed(2)} s, ${noop.writes} write requests`);
    console.log(
      `one-app change:  ${(one.seconds * 1000).toFixed(0)} ms, ${one.writes} write requests ` +
        `(${one.results[0]!.items.filter((i) => i.action === 'configured').length} objects configured)`,
    );
    console.log(`peak RSS: ${peakRss().toFixed(0)} MiB`);
    await cluster.delete({ apiVersion: 'v1', kind: 'Namespace', name: NS });
  } finally {
    if (own) await stopCluster('ferry-bench');
  }
}

await main();
