/**
 * npm run bench:canary — the canary (gray release) at work: BENCH_CANARY_APPS (default 20, or --apps N)
 * apps, each in its own namespace with a `canary` trait analysed every --interval (default 5s) on a
 * local cluster's real Prometheus, the traffic simulator sending 50 requests/s to each app's Service.
 * `ferry serve` runs as its own process (bin/ferry), as in production.
 *
 *   1. all apps synced at `example/web:v1` (first deployment: no canary);
 *   2. commit: every app to `:v2` (healthy) → each canary passes its analysis and is promoted;
 *      per app: commit → synced again;
 *   3. commit: every app to `:v3-errors` (20 % of answers 500) → each canary fails its analysis and is
 *      aborted; per app, from polling the canary Deployments every 200 ms: t_ready (first
 *      readyReplicas ≥ 1), t_gone (first poll without it), and t_failed (the Failed analysis run's time,
 *      from the release's state record);
 *   4. commit: every app to `:v4-slow` (5× the latency) → the same, on the latency check.
 *
 * Prints, per bad phase and both together, rollback time (t_gone − t_ready), detection (t_failed −
 * t_ready), when the canary's pods are gone too (a list of canary Pods, the Deployment being deleted in
 * the background), the analysis runs each bad canary had before its abort (a Successful one is a verdict
 * on too little data: there must be none); the controller's CPU per analysis run (/proc/<pid>/stat over
 * phases 2–4 ÷ ferry_analysis_runs_total), metric queries per run (the controller's
 * ferry_analysis_queries_total, and Prometheus's own /api/v1/query request count), and whether every app
 * ended held with a Failed revision of each bad commit; then one JSON line.
 */
import { percentile } from './stats.js';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { listStates, readHistory, type StateSummary } from '../src/gitops/store/release-store.js';
import { KubeCluster } from '../src/kube/kube-cluster.js';
import { startCluster, stopCluster } from '../src/localcluster/cluster.js';
import { LABEL_TRACK } from '../src/traits/canary/targets.js';
import { canaryOf } from '../src/traits/canary/progress.js';
import { parseDurationMs } from '../src/util/duration.js';
import { type ServeProcess, startServe } from './serve-process.js';

const CLUSTER = 'ferry-bench-canary';
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const { values: args } = parseArgs({ options: { apps: { type: 'string' }, interval: { type: 'string' } } });
const APPS = Number(args.apps ?? process.env.BENCH_CANARY_APPS ?? 20);
const INTERVAL = args.interval ?? '5s';
const intervalMs = /^\d+(\.\d+)?$/.test(INTERVAL) ? Number(INTERVAL) * 1000 : parseDurationMs(INTERVAL);
if (!Number.isInteger(APPS) || APPS < 1) throw new Error(`--apps / BENCH_CANARY_APPS: a positive integer, not ${APPS}`);
if (intervalMs === undefined || intervalMs < 1000)
  throw new Error(`--interval: a duration of at least 1s, not ${INTERVAL}`);

const name = (i: number) => `app-${String(i).padStart(3, '0')}`;
const ns = (i: number) => `bench-canary-${String(i).padStart(3, '0')}`;
const canaryMetrics = '[{name: success-rate, min: 95}, {name: latency, max: 300ms}]';
const appYaml = (i: number, image: string) => `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: ${name(i)}, namespace: ${ns(i)}}
spec:
  components:
    - name: web
      type: webservice
      properties: {image: "${image}", port: 8080}
      traits:
        - type: scaler
          properties: {replicas: 2}
        - type: expose
          properties: {port: [8080], annotations: {"sim.ferry.dev/rps": "50"}}
        - type: canary
          properties:
            steps: [{weight: 50}, {pause: {duration: 30s}}]
            analysis: {interval: ${intervalMs / 1000}s, failureLimit: 1, metrics: ${canaryMetrics}}
`;

// Ctrl-C / SIGTERM: every wait below throws, so the finally block stops ferry serve and the cluster.
let interrupted: string | undefined;
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => (interrupted = sig));
const sleep = async (ms: number) => {
  await new Promise((r) => setTimeout(r, ms));
  if (interrupted) throw new Error(`interrupted (${interrupted})`);
};

/** Nearest-rank percentile of an ascending list. */
const pct = percentile;
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50: pct(s, 50), p95: pct(s, 95), p99: pct(s, 99), max: s.at(-1) ?? NaN };
};

/** The sum of a metric's samples (optionally those whose labels contain `match`) in Prometheus exposition text. */
function metricSum(text: string, metric: string, match = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    if (match && !line.includes(match)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
const scrape = async (url: string) => {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return r.text();
};

/** utime + stime of a process, in ms (/proc/<pid>/stat fields 14 and 15, in clock ticks). */
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  return ((Number(f[11]) + Number(f[12])) * 1000) / ticksPerSecond;
}

const repo = mkdtempSync(join(tmpdir(), 'ferry-bench-canary-repo-'));
const logFile = join(tmpdir(), `ferry-bench-canary-serve-${process.pid}.log`);
const git = (...a: string[]) =>
  execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@example.com', ...a], { cwd: repo })
    .toString()
    .trim();
const commitAll = (image: (i: number) => string, message: string) => {
  for (let i = 0; i < APPS; i++) {
    mkdirSync(join(repo, 'apps', name(i)), { recursive: true });
    writeFileSync(join(repo, 'apps', name(i), 'app.yaml'), appYaml(i, image(i)));
  }
  git('add', '-A');
  git('commit', '-qm', message);
  return git('rev-parse', 'HEAD');
};

let serve: ServeProcess | undefined;

git('init', '-q', '-b', 'main');
const c0 = commitAll(() => 'example/web:v1', 'apps at v1');

try {
  await stopCluster(CLUSTER); // a left-over cluster of an interrupted run would carry its apps' records
  const started = performance.now();
  const state = await startCluster({ name: CLUSTER, withMetrics: true });
  if (!state.prometheusUrl) throw new Error('the cluster has no Prometheus');
  const prometheusUrl = state.prometheusUrl;
  const cluster = KubeCluster.fromFile(state.kubeconfig);
  console.error(
    `cluster "${CLUSTER}" ready in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
      `Prometheus ${prometheusUrl}; ferry serve logs to ${logFile}`,
  );

  serve = await startServe({ root: ROOT, repo, kubeconfig: state.kubeconfig, prometheusUrl, logFile, sleep });
  const { pid, port } = serve;
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;

  /** The state summary of each bench app, by app name. */
  const summaries = async () => {
    const m = new Map<string, StateSummary>();
    for (const s of await listStates(cluster)) if (s.app.startsWith('app-')) m.set(s.app, s);
    return m;
  };
  /** Waits until every app is synced at `commit`; returns the ms from `t0` at which each was first seen so. */
  const waitSynced = async (commit: string, t0: number, timeoutMs: number, label: string) => {
    const at = new Map<string, number>();
    for (const deadline = Date.now() + timeoutMs; at.size < APPS; await sleep(500)) {
      serve!.check();
      for (const [app, s] of await summaries()) {
        if (!at.has(app) && s.status === 'synced' && s.commit === commit) at.set(app, Date.now() - t0);
        if (s.status === 'held') throw new Error(`${label}: ${app} is held: ${s.hold ?? s.lastError ?? ''}`);
      }
      if (Date.now() > deadline) {
        const stuck = [...(await summaries()).values()]
          .filter((s) => !at.has(s.app))
          .map((s) => `${s.app} ${s.status}${s.lastError ? `: ${s.lastError}` : ''}`);
        throw new Error(
          `${label}: ${at.size} of ${APPS} apps synced at ${commit.slice(0, 12)} after ${timeoutMs / 1000} s ` +
            `(${stuck.slice(0, 3).join('; ')}); see ${logFile}`,
        );
      }
    }
    return at;
  };

  // 1. First deployment at v1: applied directly (no stable version to compare with).
  const t1 = Date.now();
  await waitSynced(c0, t1, 180_000 + APPS * 5_000, 'first sync');
  console.error(`all ${APPS} apps synced at v1 in ${((Date.now() - t1) / 1000).toFixed(1)} s`);

  const cpu0 = cpuMs(pid);
  const ferry0 = await scrape(metricsUrl);
  const prom0 = await scrape(`${prometheusUrl}/metrics`);
  const queryRequests = (text: string) => metricSum(text, 'prometheus_http_requests_total', 'handler="/api/v1/query"');

  // 2. A good version: every canary passes and is promoted.
  const c1 = commitAll(() => 'example/web:v2', 'apps at v2');
  const t2 = Date.now();
  const promoted = await waitSynced(c1, t2, 180_000 + 30_000 + APPS * 5_000, 'v2 (good) canary');
  const promote = stats([...promoted.values()].map((ms) => ms / 1000));
  console.error(
    `all ${APPS} canaries promoted (v2): p50 ${promote.p50.toFixed(1)} s, ` +
      `max ${promote.max.toFixed(1)} s after the commit`,
  );
  const cpuGood = cpuMs(pid) - cpu0;
  const runsGood =
    metricSum(await scrape(metricsUrl), 'ferry_analysis_runs_total') - metricSum(ferry0, 'ferry_analysis_runs_total');

  const problems: string[] = [];
  /**
   * A bad version: every canary fails its analysis and is aborted. Per app: when its canary was ready,
   * gone, its pods gone, its Failed run; and the results of the runs before the abort.
   */
  const badPhase = async (image: string, stableImage: string) => {
    const c = commitAll(() => image, `apps at ${image}`);
    const t = Date.now();
    const ready = new Map<string, number>();
    const gone = new Map<string, number>();
    const failed = new Map<string, number>();
    const before = new Map<string, string[]>();
    const byNs = new Map(Array.from({ length: APPS }, (_, i) => [ns(i), name(i)] as const));
    const podsGone = new Map<string, number>();
    let polls = 0;
    let allGoneAt: number | undefined;
    // Until every canary Deployment is gone and its Failed run read; its pods (deleted in the background
    // after it) are waited for at most 30 s more.
    const pending = () =>
      gone.size < APPS ||
      failed.size < APPS ||
      (podsGone.size < APPS && Date.now() - (allGoneAt ?? Date.now()) < 30_000);
    for (const deadline = t + 180_000 + APPS * 5_000; pending(); polls++) {
      const tick = Date.now();
      if (tick > deadline)
        throw new Error(
          `${image} (bad) canary: ${ready.size} ready, ${failed.size} failed, ${gone.size} removed of ${APPS} ` +
            `after ${(tick - t) / 1000} s; see ${logFile}`,
        );
      serve!.check();
      const canaries = await cluster.list('apps/v1', 'Deployment', undefined, `${LABEL_TRACK}=canary`);
      const now = Date.now();
      const present = new Set<string>();
      for (const d of canaries) {
        const app = byNs.get(d.metadata.namespace ?? '');
        if (!app || d.metadata.name !== 'web-canary' || d.metadata.annotations?.['ferry.dev/canary-commit'] !== c)
          continue;
        present.add(app);
        const readyReplicas = (d as { status?: { readyReplicas?: number } }).status?.readyReplicas ?? 0;
        if (readyReplicas >= 1 && !ready.has(app)) ready.set(app, now);
      }
      for (const app of ready.keys()) if (!present.has(app) && !gone.has(app)) gone.set(app, now);
      if (gone.size === APPS) allGoneAt ??= now;
      if (gone.size > podsGone.size) {
        const pods = new Set(
          (await cluster.list('v1', 'Pod', undefined, `${LABEL_TRACK}=canary`)).map((p) =>
            byNs.get(p.metadata.namespace ?? ''),
          ),
        );
        const at = Date.now();
        for (const app of gone.keys()) if (!pods.has(app) && !podsGone.has(app)) podsGone.set(app, at);
      }
      // The Failed run's time and the runs before it, from the state records (every 5th poll: once a second).
      if (polls % 5 === 0 || gone.size === APPS) {
        for (const [app, st] of await summaries()) {
          const p = canaryOf(st.traits);
          if (failed.has(app) || p?.commit !== c) continue;
          const i = p.analysis.findIndex((r) => r.result === 'Failed');
          if (i < 0) continue;
          failed.set(app, Date.parse(p.analysis[i]!.time));
          before.set(
            app,
            p.analysis.slice(0, i).map((r) => r.result),
          );
        }
      }
      await sleep(Math.max(0, 200 - (Date.now() - tick)));
    }
    // Wait until each release has recorded the Failed revision and its hold.
    let final = await summaries();
    const settled = (x: StateSummary) => x.status === 'held' && canaryOf(x.traits)?.commit === c;
    for (const deadline = Date.now() + 30_000; ![...final.values()].every(settled) && Date.now() < deadline; )
      await sleep(500).then(async () => void (final = await summaries()));
    // Correctness: each app held at the bad commit with a Failed revision, no analysis passed before the
    // abort, its stable Deployment unchanged.
    for (let i = 0; i < APPS; i++) {
      const st = final.get(name(i));
      if (!st) {
        problems.push(`${name(i)}: no state record`);
        continue;
      }
      if (st.status !== 'held') problems.push(`${name(i)}: ${st.status}, not held`);
      if (canaryOf(st.traits)?.commit !== c || canaryOf(st.traits)!.phase !== 'Aborted')
        problems.push(
          `${name(i)}: canary ${canaryOf(st.traits)?.phase ?? 'missing'} ` +
            `at ${canaryOf(st.traits)?.commit?.slice(0, 12) ?? '-'}, not Aborted at ${c.slice(0, 12)}`,
        );
      if ((before.get(name(i)) ?? []).includes('Successful'))
        problems.push(`${name(i)}: a Successful analysis of ${image} before its abort`);
      const history = await readHistory(cluster, {
        app: st.app,
        env: st.env,
        ...(st.source ? { source: st.source } : {}),
      });
      if (!history.some((h) => h.commit === c && h.outcome === 'Failed'))
        problems.push(`${name(i)}: no Failed revision of ${c.slice(0, 12)} in its history`);
      const stable = (await cluster.get({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: ns(i),
        name: 'web',
      })) as { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } } | undefined;
      const running = stable?.spec?.template?.spec?.containers?.[0]?.image;
      if (running !== stableImage)
        problems.push(`${name(i)}: stable Deployment runs ${running ?? 'nothing'}, not ${stableImage}`);
    }
    const per = (a: Map<string, number>, b: Map<string, number>) =>
      [...a.keys()].filter((k) => b.has(k)).map((k) => (a.get(k)! - b.get(k)!) / 1000);
    const runsBefore = [...before.values()].flat();
    return {
      image,
      rollback: per(gone, ready),
      detection: per(failed, ready),
      removal: per(gone, failed),
      podsRemoval: per(podsGone, ready),
      successfulBefore: runsBefore.filter((r) => r === 'Successful').length,
      inconclusiveBefore: runsBefore.filter((r) => r === 'Inconclusive').length,
    };
  };

  // 3. and 4.: two bad versions, each aborted on its own check.
  const errors = await badPhase('example/web:v3-errors', 'example/web:v2');
  const slow = await badPhase('example/web:v4-slow', 'example/web:v2');
  const cpuAll = cpuMs(pid) - cpu0;
  const ferry1 = await scrape(metricsUrl);
  const prom1 = await scrape(`${prometheusUrl}/metrics`);

  const rollback = stats([...errors.rollback, ...slow.rollback]);
  const phases = [errors, slow].map((x) => ({
    image: x.image,
    rollback: stats(x.rollback),
    detection: stats(x.detection),
    removal: stats(x.removal),
    podsRemoval: stats(x.podsRemoval),
    successfulBefore: x.successfulBefore,
    inconclusiveBefore: x.inconclusiveBefore,
  }));
  const runs = metricSum(ferry1, 'ferry_analysis_runs_total');
  const runsFailed = metricSum(ferry1, 'ferry_analysis_runs_total', 'result="Failed"');
  const runsInconclusive = metricSum(ferry1, 'ferry_analysis_runs_total', 'result="Inconclusive"');
  const runsBad = runs - metricSum(ferry0, 'ferry_analysis_runs_total') - runsGood;
  /** The rollback times as a histogram of 1 s bins, for the distribution. */
  const bins = (xs: number[]) => {
    const h = new Map<number, number>();
    for (const x of xs) h.set(Math.floor(x), (h.get(Math.floor(x)) ?? 0) + 1);
    return [...h]
      .sort(([a], [b]) => a - b)
      .map(([b, n]) => `${b}–${b + 1} s: ${n}`)
      .join(', ');
  };
  const queries = metricSum(ferry1, 'ferry_analysis_queries_total') - metricSum(ferry0, 'ferry_analysis_queries_total');
  const promQueries = queryRequests(prom1) - queryRequests(prom0);
  const targetS = intervalMs / 1000 + 5;

  const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
  const row = (label: string, s: ReturnType<typeof stats>, note = '') =>
    console.log(
      `  ${label.padEnd(40)}${[s.p50, s.p95, s.p99, s.max].map((x) => f(x, 2).padStart(8)).join('')}` +
        `   n=${s.n}${note ? `   ${note}` : ''}`,
    );
  console.log(
    `bench:canary (${APPS} apps, analysis every ${intervalMs / 1000} s, ` +
      'success-rate ≥ 95 % and p99 latency ≤ 300 ms at 50 rps; ferry serve as a process; 2-core VM)',
  );
  console.log(`  ${'seconds'.padEnd(40)}${['p50', 'p95', 'p99', 'max'].map((x) => x.padStart(8)).join('')}`);
  row('v2 (good): commit → promoted, synced', promote, '(weight 50, one analysis, 30 s pause, promotion)');
  for (const x of phases) {
    const tag = x.image.split(':')[1]!;
    row(`${tag}: rollback (canary ready → gone)`, x.rollback, `(target p99 ≤ ${f(targetS, 0)} s)`);
    row(`${tag}: detection (ready → Failed run)`, x.detection);
    row(`${tag}: Failed run → canary gone`, x.removal);
    row(`${tag}: canary ready → its pods gone`, x.podsRemoval, '(the Deployment is deleted in the background)');
    console.log(
      `  ${tag}: runs before the abort: ${x.successfulBefore} Successful, ${x.inconclusiveBefore} Inconclusive`,
    );
  }
  row('both bad versions: rollback', rollback, `(target p99 ≤ ${f(targetS, 0)} s)`);
  console.log(`  rollback distribution: ${bins([...errors.rollback, ...slow.rollback])}`);
  console.log(
    `  analysis runs: ${runs} (v2 ${runsGood}, bad versions ${runsBad}; ` +
      `${runsFailed} Failed, ${runsInconclusive} Inconclusive)`,
  );
  console.log(
    `  controller CPU per analysis run:         ${f(cpuAll / runs)} ms   ` +
      `(${f(cpuAll, 0)} ms of ferry serve CPU over both canary phases ÷ ${runs} runs; ` +
      `v2 phase alone ${f(cpuGood / runsGood)} ms/run)`,
  );
  console.log(
    `  metric queries per analysis run:         ${f(queries / runs, 2)} sent by ferry, ` +
      `${f(promQueries / runs, 2)} received by Prometheus (/api/v1/query)`,
  );
  console.log(
    `  correctness: ${APPS - new Set(problems.map((p) => p.split(':')[0])).size} of ${APPS} apps held ` +
      `with a Failed revision of each bad commit, no analysis passed before, stable at v2; ` +
      `failures: ${problems.length}`,
  );
  for (const p of problems.slice(0, 20)) console.log(`    ${p}`);
  console.log(
    JSON.stringify({
      bench: 'canary',
      apps: APPS,
      intervalS: intervalMs / 1000,
      promoteS: promote,
      rollbackS: rollback,
      rollbackTargetS: targetS,
      phases,
      analysisRuns: runs,
      analysisRunsFailed: runsFailed,
      analysisRunsInconclusive: runsInconclusive,
      cpuMsPerAnalysis: Number(f(cpuAll / runs, 2)),
      queriesPerAnalysis: Number(f(queries / runs, 3)),
      prometheusQueriesPerAnalysis: Number(f(promQueries / runs, 3)),
      failures: problems.length,
    }),
  );
  if (problems.length > 0) process.exitCode = 1;
} finally {
  await serve?.stop();
  await stopCluster(CLUSTER);
  rmSync(repo, { recursive: true, force: true });
}
