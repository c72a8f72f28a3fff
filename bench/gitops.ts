/**
 * npm run bench:gitops — a generated repository of BENCH_APPS (default 1,000) apps, the controller
 * in this process, against a local cluster (started for the run, or FERRY_BENCH_KUBECONFIG).
 * Prints: start → all synced, CPU time of a no-op poll, one-app commit → applied latency after a
 * trigger (what a webhook calls), and peak RSS.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller } from '../src/gitops/controller.js';
import { GitSource } from '../src/gitops/git-source.js';
import { KubeCluster } from '../src/gitops/kube-cluster.js';
import { jsonLogger, Metrics } from '../src/gitops/telemetry.js';
import { startCluster, stopCluster } from '../src/localcluster/cluster.js';
import { loadWasmEngine } from '../src/oam/cue/wasm-engine.js';
import { loadRegistry } from '../src/oam/definitions/builtin.js';

const APPS = Number(process.env.BENCH_APPS ?? 1000);
const NS = 'bench-gitops';
const app = (i: number, image: string) => `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: app-${i}, namespace: ${NS}}
spec:
  components:
    - name: app-${i}
      type: webservice
      properties: {image: "${image}", port: 8080}
`;

let peak = 0;
const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const repo = mkdtempSync(join(tmpdir(), 'ferry-bench-repo-'));
const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@example.com', ...args], { cwd: repo });
git('init', '-q', '-b', 'main');
for (let i = 0; i < APPS; i++) {
  mkdirSync(join(repo, 'apps', `app-${i}`), { recursive: true });
  writeFileSync(join(repo, 'apps', `app-${i}`, 'app.yaml'), app(i, `registry.example.com/app-${i}:1`));
}
git('add', '-A');
git('commit', '-qm', 'apps');

const own = !process.env.FERRY_BENCH_KUBECONFIG;
const kubeconfig = process.env.FERRY_BENCH_KUBECONFIG ?? (await startCluster({ name: 'ferry-bench', nodes: 4 })).kubeconfig;
try {
  const cluster = KubeCluster.fromFile(kubeconfig);
  const registry = loadRegistry(await loadWasmEngine(), []);
  if (!registry.ok) throw new Error('definitions');
  const metrics = new Metrics();
  const controller = new Controller({ source: new GitSource({ repo, cacheDir: join(repo, '.cache') }), path: '.', intervalMs: 3_600_000, clusterFor: () => cluster, registry: registry.value, metrics, log: jsonLogger({ level: 'warn' }), concurrency: 16 });
  const started = performance.now();
  controller.start();
  const synced = () => [...controller.releases.values()].filter((r) => r.actor?.getSnapshot().value === 'synced').length;
  while (controller.releases.size < APPS || synced() < APPS) {
    await sleep(500);
    const failed = [...controller.releases.values()].filter((r) => r.actor?.getSnapshot().value === 'failed');
    if (failed.length > 0) throw new Error(`${failed.length} apps failed: ${failed[0]!.actor!.getSnapshot().context.failure?.message}`);
  }
  const allSynced = (performance.now() - started) / 1000;
  await sleep(2000);
  // A no-op poll: the head has not moved.
  const cpu: number[] = [];
  for (let k = 0; k < 5; k++) {
    const before = process.cpuUsage();
    await controller.pollOnce();
    const d = process.cpuUsage(before);
    cpu.push((d.user + d.system) / 1000);
  }
  // One app changes: commit, trigger (as the webhook does), wait until its Deployment has the image.
  writeFileSync(join(repo, 'apps', 'app-7', 'app.yaml'), app(7, 'registry.example.com/app-7:2'));
  git('commit', '-qam', 'app-7 v2');
  const t0 = performance.now();
  controller.trigger();
  for (;;) {
    const d = await cluster.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'app-7' });
    if ((d?.spec as { template: { spec: { containers: { image: string }[] } } } | undefined)?.template.spec.containers[0]?.image === 'registry.example.com/app-7:2') break;
    await sleep(20);
  }
  const oneApp = (performance.now() - t0) / 1000;
  await controller.stop();
  clearInterval(sample);
  const rendersOther = await metrics.renders.get();
  const renderCount = rendersOther.values.reduce((n, v) => n + v.value, 0);
  console.log(`bench:gitops (${APPS} apps, 1 webservice each, local repository, 2-core VM)`);
  console.log(`  start → all ${APPS} synced:           ${allSynced.toFixed(1)} s`);
  console.log(`  no-op poll CPU (5 polls):            ${cpu.map((c) => c.toFixed(1)).join(', ')} ms   (target < 200 ms)`);
  console.log(`  one-app commit → applied (trigger):  ${oneApp.toFixed(2)} s   (target < 2 s)`);
  console.log(`  renders in total:                    ${renderCount} (= ${APPS} + 1 expected)`);
  console.log(`  peak RSS:                            ${(peak / 2 ** 20).toFixed(0)} MiB   (target < 500 MiB)`);
} finally {
  clearInterval(sample);
  if (own) await stopCluster('ferry-bench');
  rmSync(repo, { recursive: true, force: true });
}
