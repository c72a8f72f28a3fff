/**
 * npm run bench:slo-rig — bench:slo's load profile on the real rig: a local cluster, its real Prometheus, the
 * traffic simulator, and `ferry serve` as its own process running the `slo` trait with its defaults (a
 * decision every 15 s on a 1 min window, 1 min stabilization). One app: pods of 100 requests/s capacity and
 * 10 ms service time (an M/M/1 queue), p99 ≤ 200 ms, replicas 2–40 starting at 5. The load is the Service's
 * `sim.ferry.dev/rps`, set every second from the profile (`--minutes N` per phase, default 10): steady
 * 300 rps, a ×3 step to 900, a ramp to 1,500, a drop to 500.
 *
 * Every second it reads the Deployment's spec and ready replicas; the true p99 of that second is the
 * simulator's model for the load over the ready pods (what the simulator draws the requests from). Scored
 * as bench:slo scores its runs (bench/slo-figures.ts), against the oracle, the oracle held for the
 * stabilization window, and the ideal 70 % utilisation target computed from the same profile; also the
 * controller's observed p99 (its tail read of Prometheus's buckets) beside the true one at each decision,
 * and the SloScaled Events. About 4 × 10 minutes (bench:slo's profile), plus the cluster's start.
 */
import { KubeConfig, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { listStates } from '../src/gitops/store/release-store.js';
import { KubeCluster } from '../src/kube/kube-cluster.js';
import { startCluster, stopCluster } from '../src/localcluster/cluster.js';
import { behaviourOf } from '../src/localcluster/traffic/behaviour.js';
import { sloOf } from '../src/traits/slo/status.js';
import {
  baselines,
  figures,
  loadProfile,
  printTable,
  type Scoring,
  summarise,
  totalSeconds,
  type Trace,
} from './slo-figures.js';
import { rateAt, trueQuantileMs } from './slo-world.js';
import { type ServeProcess, startServe } from './serve-process.js';

const CLUSTER = 'ferry-bench-slo';
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: args } = parseArgs({ options: { minutes: { type: 'string' } } });
const MINUTES = Number(args.minutes ?? 10);
if (!(MINUTES >= 2)) throw new Error(`--minutes: minutes per phase, at least 2, not ${args.minutes}`);
const phaseS = Math.round(MINUTES * 60);
const PROFILE = loadProfile(phaseS);
const OBJECTIVE = { quantile: 0.99, maxMs: 200 };
const STABILIZATION_S = 60;
const SCORING: Scoring = { profile: PROFILE, ...OBJECTIVE, settleS: 60 };
const NS = 'bench-slo';
const POD = { 'sim.ferry.dev/capacity-rps': '100', 'sim.ferry.dev/latency-ms': '10' };
const behaviour = behaviourOf(['example/web:v1'], POD);

const appYaml = `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop, namespace: ${NS}}
spec:
  components:
    - name: web
      type: webservice
      properties: {image: "example/web:v1", port: 8080}
      traits:
        - type: scaler
          properties: {replicas: 5}
        - type: annotations
          properties: ${JSON.stringify(POD)}
        - type: expose
          properties: {port: [8080]}
        - type: slo
          properties: {latency: {percentile: 99, max: 200ms}, replicas: {min: 2, max: 40}}
`;

let interrupted: string | undefined;
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => (interrupted = sig));
const sleep = async (ms: number) => {
  await new Promise((r) => setTimeout(r, ms));
  if (interrupted) throw new Error(`interrupted (${interrupted})`);
};

const repo = mkdtempSync(join(tmpdir(), 'ferry-bench-slo-repo-'));
const logFile = join(tmpdir(), `ferry-bench-slo-serve-${process.pid}.log`);
const git = (...a: string[]) =>
  execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@example.com', ...a], { cwd: repo })
    .toString()
    .trim();
git('init', '-q', '-b', 'main');
mkdirSync(join(repo, 'apps', 'shop'), { recursive: true });
writeFileSync(join(repo, 'apps', 'shop', 'app.yaml'), appYaml);
git('add', '-A');
git('commit', '-qm', 'shop with an slo');

let serve: ServeProcess | undefined;
try {
  await stopCluster(CLUSTER);
  const state = await startCluster({ name: CLUSTER, withMetrics: true });
  if (!state.prometheusUrl) throw new Error('the cluster has no Prometheus');
  const cluster = KubeCluster.fromFile(state.kubeconfig);
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  serve = await startServe({
    root: ROOT,
    repo,
    kubeconfig: state.kubeconfig,
    prometheusUrl: state.prometheusUrl,
    logFile,
    sleep,
  });
  console.error(`cluster "${CLUSTER}" up; Prometheus ${state.prometheusUrl}; ferry serve logs to ${logFile}`);
  const setLoad = (rps: number) =>
    objects.patch(
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: NS, annotations: { 'sim.ferry.dev/rps': String(Math.round(rps)) } },
      },
      undefined,
      undefined,
      'bench-load',
      true,
      PatchStrategy.ServerSideApply,
    );
  const slo = async () => sloOf((await listStates(cluster)).find((s) => s.app === 'shop')?.traits);
  const deployment = async () =>
    (await cluster.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'web' })) as
      | { spec?: { replicas?: number }; status?: { readyReplicas?: number } }
      | undefined;

  // Synced, then the first load and a minute of it before the profile starts (the window full).
  for (const deadline = Date.now() + 180_000; !(await deployment()); await sleep(1000)) {
    serve.check();
    if (Date.now() > deadline) throw new Error(`the app was not synced in 180 s; see ${logFile}`);
  }
  let load = rateAt(PROFILE, 0);
  await setLoad(load);
  for (const deadline = Date.now() + 180_000; (await slo())?.state !== 'Met'; await sleep(1000)) {
    serve.check();
    if (Date.now() > deadline) throw new Error(`the slo did not evaluate Met in 180 s; see ${logFile}`);
  }
  await sleep(60_000);

  const trace: Trace = { replicas: [], p99: [] };
  const observed: { t: number; observedMs: number; trueMs: number; replicas: number }[] = [];
  let lastAt = '';
  const totalS = totalSeconds(PROFILE);
  const t0 = Date.now();
  console.error(`profile: ${PROFILE.map((p) => p.name).join(', ')}, ${MINUTES} min each`);
  for (let t = 0; t < totalS; t = Math.floor((Date.now() - t0) / 1000)) {
    serve.check();
    const rps = rateAt(PROFILE, t);
    if (Math.round(rps) !== Math.round(load)) await setLoad((load = rps));
    const d = await deployment();
    const [replicas, ready] = [d?.spec?.replicas ?? 0, d?.status?.readyReplicas ?? 0];
    // Seconds missed (a slow read) take this reading.
    while (trace.replicas.length <= t) {
      trace.replicas.push(replicas);
      trace.p99.push(trueQuantileMs(behaviour, rateAt(PROFILE, trace.replicas.length - 1), ready, OBJECTIVE.quantile));
    }
    if (t % 5 === 0) {
      const s = await slo();
      if (s && s.at !== lastAt && s.observedMs !== undefined) {
        lastAt = s.at;
        observed.push({ t, observedMs: s.observedMs, trueMs: trace.p99[t]!, replicas: s.replicas });
      }
    }
    await sleep(Math.max(0, t0 + (t + 1) * 1000 - Date.now()));
  }

  const { oracle, rows } = baselines(behaviour, SCORING, [STABILIZATION_S]);
  rows.unshift(summarise('ferry slo autoscaler (ferry serve)', [figures(trace, SCORING)], oracle));
  const events = (await cluster.list('v1', 'Event', NS, '')).filter(
    (e) => (e as { reason?: string }).reason === 'SloScaled',
  ).length;
  const errors = observed.map((o) => o.observedMs / o.trueMs - 1).sort((a, b) => a - b);
  const median = errors[Math.floor(errors.length / 2)] ?? Number.NaN;

  console.log(
    `bench:slo-rig — the real rig (local cluster, Prometheus, traffic simulator, ferry serve), one run of ` +
      `${totalS / 60} min`,
  );
  console.log(
    '  p99 ≤ 200 ms; replicas 2–40 (5 at the start); the slo trait with its defaults (15 s, 1 min window, ' +
      '1 min stabilization)',
  );
  console.log(`  load: ${PROFILE.map((p) => `${p.name} (${p.seconds / 60} min)`).join(', ')}`);
  printTable('pods: 100 rps/pod, 10 ms (M/M/1)', rows, PROFILE);
  console.log(
    `  ${observed.length} decisions; the controller's observed p99 ÷ the model's true p99 at that second: ` +
      `median ${(100 * median).toFixed(1)} % off; ${events} SloScaled Events`,
  );
  console.log(JSON.stringify({ bench: 'slo-rig', minutesPerPhase: MINUTES, profile: PROFILE, rows, events }));
} finally {
  await serve?.stop();
  await stopCluster(CLUSTER);
  rmSync(repo, { recursive: true, force: true });
}
