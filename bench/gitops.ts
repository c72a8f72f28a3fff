/**
 * npm run bench:gitops [-- --apps N] [--shards N] — a generated repository of N apps (default BENCH_APPS or
 * 1,000), against a local cluster (started for the run, or FERRY_BENCH_KUBECONFIG). Without --shards the
 * controller runs in this process; prints start → all synced, CPU time of a no-op poll, one-app commit → applied
 * latency after a signed webhook to the controller's HTTP server, peak RSS, and the API server's share of the CPU.
 * With --shards N: N `ferry serve --shards N` processes (gitops-shards.ts).
 */
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { tuneForController } from '../src/cli/controller-runtime.js';
import { Controller } from '../src/gitops/controller/controller.js';
import { GitSource } from '../src/gitops/source/git-source.js';
import { KubeCluster } from '../src/kube/kube-cluster.js';
import { startServer } from '../src/gitops/controller/server.js';
import { jsonLogger, Metrics } from '../src/gitops/reconcile/telemetry.js';
import { startCluster, stopCluster } from '../src/localcluster/cluster.js';
import { nodesFor } from './cluster-size.js';
import { loadWasmEngine } from '../src/oam/cue/wasm-engine.js';
import { loadRegistry } from '../src/oam/definitions/builtin.js';
import { engineFlags, engineTier } from '../src/cli/prestart.js';
import { readState } from '../src/localcluster/state.js';
import { runSharded } from './gitops-shards.js';
import { cpuSeconds } from './proc-usage.js';

// As bin/ferry runs `ferry serve` (src/cli/prestart.ts): a heap sized for memory, the CUE engine's wasm flags.
tuneForController();
engineFlags(engineTier(['node', 'ferry', 'serve']));
if (process.env.BENCH_V8FLAGS) v8.setFlagsFromString(process.env.BENCH_V8FLAGS);

const { values: args } = parseArgs({ options: { apps: { type: 'string' }, shards: { type: 'string' } } });
const APPS = Number(args.apps ?? process.env.BENCH_APPS ?? 1000);
const SHARDS = args.shards === undefined ? undefined : Number(args.shards);
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
const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@example.com', ...args], { cwd: repo });
git('init', '-q', '-b', 'main');
for (let i = 0; i < APPS; i++) {
  mkdirSync(join(repo, 'apps', `app-${i}`), { recursive: true });
  writeFileSync(join(repo, 'apps', `app-${i}`, 'app.yaml'), app(i, `registry.example.com/app-${i}:1`));
}
git('add', '-A');
git('commit', '-qm', 'apps');

const own = !process.env.FERRY_BENCH_KUBECONFIG;
const kubeconfig =
  process.env.FERRY_BENCH_KUBECONFIG ?? (await startCluster({ name: 'ferry-bench', nodes: nodesFor(APPS) })).kubeconfig;
const clusterName = own ? 'ferry-bench' : '';
const serverPids = (readState(clusterName)?.components ?? [])
  .filter((c) => c.name === 'kube-apiserver' || c.name === 'etcd')
  .map((c) => c.pid);
const serverCpu = () => serverPids.reduce((n, p) => n + cpuSeconds(p), 0);
try {
  if (SHARDS !== undefined) await runSharded({ repo, apps: APPS, shards: SHARDS, kubeconfig, cluster: clusterName });
  else await inProcess();
} finally {
  clearInterval(sample);
  if (own) await stopCluster('ferry-bench');
  rmSync(repo, { recursive: true, force: true });
}

/** The controller in this process: the figures above. */
async function inProcess(): Promise<void> {
  const cluster = KubeCluster.fromFile(kubeconfig);
  const registry = loadRegistry(await loadWasmEngine(), []);
  if (!registry.ok) throw new Error('definitions');
  const metrics = new Metrics();
  const log = jsonLogger({ level: 'warn' });
  const controller = new Controller({
    source: new GitSource({ repo, cacheDir: join(repo, '.cache') }),
    path: '.',
    intervalMs: 3_600_000,
    clusterFor: () => cluster,
    registry: registry.value,
    metrics,
    log,
  }); // serve's defaults (8 steps at once)
  const mem = (label: string) => {
    const m = process.memoryUsage();
    if (process.env.BENCH_MEMLOG)
      console.error(
        `${label}: rss ${(m.rss / 2 ** 20).toFixed(0)} ` +
          `heap ${(m.heapUsed / 2 ** 20).toFixed(0)}/${(m.heapTotal / 2 ** 20).toFixed(0)} ` +
          `external ${(m.external / 2 ** 20).toFixed(0)} arrayBuffers ${(m.arrayBuffers / 2 ** 20).toFixed(0)} MiB`,
      );
  };
  mem('definitions loaded');
  // The controller's HTTP server, as `ferry serve` runs it: the one-app change arrives by a signed webhook.
  const secret = 'bench-secret';
  const server = await startServer({
    port: 0,
    metrics,
    log,
    webhookSecret: secret,
    branch: 'main',
    ready: () => ({ ready: controller.ready, message: '' }),
    trigger: () => {
      controller.trigger();
      return true;
    },
  });
  const started = performance.now();
  const [cpu0, server0] = [process.cpuUsage(), serverCpu()];
  controller.start();
  const synced = () =>
    [...controller.releases.values()].filter((r) => r.actor?.getSnapshot().value === 'synced').length;
  while (controller.releases.size < APPS || synced() < APPS) {
    await sleep(500);
    if (Math.random() < 0.1) mem(`${synced()} synced`);
    const failed = [...controller.releases.values()].filter((r) => r.actor?.getSnapshot().value === 'failed');
    if (failed.length > 0)
      throw new Error(`${failed.length} apps failed: ${failed[0]!.actor!.getSnapshot().context.failure?.message}`);
  }
  const allSynced = (performance.now() - started) / 1000;
  const ownCpu = process.cpuUsage(cpu0);
  const [ferryS, serverS] = [(ownCpu.user + ownCpu.system) / 1e6, serverCpu() - server0];
  mem('all synced');
  if (process.env.BENCH_HEAPSNAP) v8.writeHeapSnapshot(process.env.BENCH_HEAPSNAP);
  await sleep(2000);
  // A no-op poll: the head has not moved.
  const cpu: number[] = [];
  for (let k = 0; k < 5; k++) {
    const before = process.cpuUsage();
    await controller.pollOnce();
    const d = process.cpuUsage(before);
    cpu.push((d.user + d.system) / 1000);
  }
  // A drift check of every app (what --resync does every 10 minutes): nothing drifted, nothing written.
  const writesBefore = cluster.writes;
  const cpuResync = process.cpuUsage();
  const r0 = performance.now();
  const checked = controller.resync();
  while ([...controller.releases.values()].some((r) => r.actor?.getSnapshot().value !== 'synced')) await sleep(20);
  const resyncS = (performance.now() - r0) / 1000;
  const resyncCpu = process.cpuUsage(cpuResync);
  const resyncWrites = cluster.writes - writesBefore;
  // One app changes: commit, trigger (as the webhook does), wait until its Deployment has the image.
  writeFileSync(join(repo, 'apps', 'app-7', 'app.yaml'), app(7, 'registry.example.com/app-7:2'));
  git('commit', '-qam', 'app-7 v2');
  const payload = JSON.stringify({ ref: 'refs/heads/main', after: git('rev-parse', 'HEAD').toString().trim() });
  const t0 = performance.now();
  const hook = await fetch(`http://127.0.0.1:${server.port}/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-ferry-signature': `sha256=${createHmac('sha256', secret).update(payload).digest('hex')}`,
    },
    body: payload,
  });
  if (hook.status !== 200) throw new Error(`webhook answered ${hook.status}: ${await hook.text()}`);
  for (;;) {
    const d = await cluster.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'app-7' });
    if (
      (d?.spec as { template: { spec: { containers: { image: string }[] } } } | undefined)?.template.spec.containers[0]
        ?.image === 'registry.example.com/app-7:2'
    )
      break;
    await sleep(20);
  }
  const oneApp = (performance.now() - t0) / 1000;
  await controller.stop();
  await server.close();
  clearInterval(sample);
  const rendersOther = await metrics.renders.get();
  const renderCount = rendersOther.values.reduce((n, v) => n + v.value, 0);
  console.log(`bench:gitops (${APPS} apps, 1 webservice each, local repository, 2-core VM)`);
  console.log(`  ${`start → all ${APPS} synced:`.padEnd(37)}${allSynced.toFixed(1)} s`);
  console.log(
    `  no-op poll CPU (5 polls):            ${cpu.map((c) => c.toFixed(1)).join(', ')} ms   (target < 200 ms)`,
  );
  console.log(
    `  ${`drift check of all ${checked} apps:`.padEnd(37)}${resyncS.toFixed(1)} s, ` +
      `${((resyncCpu.user + resyncCpu.system) / 1000).toFixed(0)} ms CPU, ${resyncWrites} writes`,
  );
  console.log(`  one-app commit → applied (webhook):  ${oneApp.toFixed(2)} s   (target < 2 s)`);
  console.log(
    `  CPU until all synced:                controller ${ferryS.toFixed(0)} s, ` +
      `API server + etcd ${serverS.toFixed(0)} s ` +
      `(controller ${((100 * ferryS) / (ferryS + serverS)).toFixed(0)} %)`,
  );
  console.log(`  renders in total:                    ${renderCount} (= ${APPS} + 1 expected)`);
  // The kernel's high-water mark of this process (getrusage), beside the 100 ms samples.
  const maxRss = process.resourceUsage().maxRSS * 1024;
  console.log(
    `  peak RSS (getrusage / sampled):      ${(maxRss / 2 ** 20).toFixed(0)} / ` +
      `${(peak / 2 ** 20).toFixed(0)} MiB   (target < 500 MiB)`,
  );
}
