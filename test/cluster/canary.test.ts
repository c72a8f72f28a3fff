/**
 * Gray release end to end: `ferry serve` processes with a real Git server, the real local cluster, a
 * real Prometheus and the traffic simulator (an image tag ending in `-errors` answers 20 % 500s, in
 * `-slow` 5× the latency). Each scenario has its own app and namespace; the first group shares one
 * controller and runs side by side, the controller-kill and Prometheus-stop scenarios run alone.
 * Timing is never asserted (bench:canary measures it).
 */
import { CoreV1Api } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeCluster } from '../../src/kube/kube-cluster.js';
import { PrometheusClient } from '../../src/metrics/prometheus.js';
import { killComponent, restartComponent } from '../../src/localcluster/cluster.js';
import { readHistory, readHold, sourceId, type StateSummary } from '../../src/gitops/store/release-store.js';
import { ferryCli, Serve, TestRepo } from './gitops-support.js';
import { eventually, sleep, testKubeConfig } from './kube.js';
import { canaryOf } from '../../src/traits/canary/progress.js';

const INTERVAL = '5s';
const prom = new PrometheusClient({ url: inject('prometheusUrl') });
const repo = new TestRepo();
const core = testKubeConfig().makeApiClient(CoreV1Api);
const suffix = randomBytes(3).toString('hex');
const namespaces: string[] = [];
let cluster: KubeCluster;
let shared: Serve;

const serve = (extra: string[] = []) =>
  new Serve(
    [
      '--repo',
      repo.url,
      '--cache-dir',
      `${repo.root}/cache-${randomBytes(3).toString('hex')}`,
      '--interval',
      '1s',
      '--no-leader-elect',
      '--resync',
      '0',
      '--prometheus-url',
      inject('prometheusUrl'),
      ...extra,
    ],
    { KUBECONFIG: inject('kubeconfig') },
  ).start();
const ferry = (...args: string[]) => ferryCli(inject('kubeconfig'), ...args);

interface Scenario {
  app: string;
  ns: string;
}
function scenario(name: string): Scenario {
  const s = { app: `${name}-${suffix}`, ns: `canary-${name}-${suffix}` };
  namespaces.push(s.ns);
  return s;
}

/** A webservice of 4 replicas behind a Service with 200 simulated requests/s, and a canary trait. */
function canaryApp(s: Scenario, image: string, canary: object, gateway = false, replicas = 4): string {
  const route = gateway
    ? `
    - name: route
      type: k8s-objects
      properties:
        objects:
          - apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: web, annotations: {"sim.ferry.dev/rps": "200"}}
            spec:
              hostnames: [web.example.com]
              rules: [{backendRefs: [{name: web, port: 8080}]}]`
    : '';
  return `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: ${s.app}, namespace: ${s.ns}}
spec:
  components:
    - name: web
      type: webservice
      properties: {image: "${image}", port: 8080}
      traits:
        - type: scaler
          properties: {replicas: ${replicas}}
        - type: expose
          properties: {port: [8080]${gateway ? '' : ', annotations: {"sim.ferry.dev/rps": "200"}'}}
        - type: canary
          properties: ${JSON.stringify(canary)}${route}
`;
}
const analysis = (metrics: object[]) => ({ interval: INTERVAL, failureLimit: 1, metrics });
const SUCCESS = { name: 'success-rate', min: 99 };
const LATENCY = { name: 'latency', max: '300ms' };

const commit = (s: Scenario, image: string, canary: object, gateway = false) =>
  repo.commit({ [`apps/${s.app}/app.yaml`]: canaryApp(s, image, canary, gateway) }, `${s.app} ${image}`);
const scope = (s: Scenario) => ({ app: s.app, env: 'default', source: sourceId(repo.url, '.') });

async function summary(s: Scenario): Promise<StateSummary | undefined> {
  const cms = await cluster.list('v1', 'ConfigMap', 'ferry-system', `ferry.dev/kind=state,ferry.dev/app=${s.app}`);
  const text = (cms[0]?.data as Record<string, string> | undefined)?.['summary.json'];
  return text ? (JSON.parse(text) as StateSummary) : undefined;
}
/**
 * Waits for the app's recorded state to satisfy `ok`; on a timeout, says what it was and what the controller logged of
 * it.
 */
async function until(
  s: Scenario,
  what: string,
  ok: (x: StateSummary) => boolean,
  timeoutMs = 180_000,
): Promise<StateSummary> {
  let last: StateSummary | undefined;
  try {
    return await eventually(
      `${s.app}: ${what}`,
      async () => {
        last = await summary(s);
        return last && ok(last) ? last : undefined;
      },
      timeoutMs,
    );
  } catch (e) {
    const logged = shared.logs
      .filter((l) => l.app === s.app && ((l.level as number) >= 40 || /canary|analysis|hold/.test(String(l.msg))))
      .slice(-15);
    throw new Error(
      `${(e as Error).message}\nlast state: ${JSON.stringify(last)}\n` +
        `controller: ${logged.map((l) => JSON.stringify(l)).join('\n')}`,
    );
  }
}
/**
 * Whether the controller's commit `seen` carries the app as `c` has it: tests commit side by side, so
 * the controller may reach an app's change through a later commit of another test.
 */
function same(s: Scenario, c: string, seen: string | undefined): boolean {
  if (seen === undefined) return false;
  if (seen === c) return true;
  try {
    repo.git('merge-base', '--is-ancestor', c, seen);
    repo.git('diff', '--quiet', c, seen, '--', `apps/${s.app}`);
    return true;
  } catch {
    return false;
  }
}
const syncedAt = (s: Scenario, commitId: string) =>
  until(s, `synced at ${commitId.slice(0, 8)}`, (x) => x.status === 'synced' && same(s, commitId, x.commit));

const deployment = async (s: Scenario, name: string) =>
  (await cluster.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: s.ns, name })) as
    | {
        spec?: { replicas?: number; template?: { spec?: { containers?: { image?: string }[] } } };
        status?: { readyReplicas?: number };
      }
    | undefined;
const imageOf = async (s: Scenario, name = 'web') =>
  (await deployment(s, name))?.spec?.template?.spec?.containers?.[0]?.image;
type Backend = { name: string; weight?: number };
const routeWeights = async (s: Scenario) => {
  const r = (await cluster.get({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    namespace: s.ns,
    name: 'web',
  })) as { spec?: { rules?: { backendRefs?: Backend[] }[] } } | undefined;
  return Object.fromEntries((r?.spec?.rules?.[0]?.backendRefs ?? []).map((b) => [b.name, b.weight ?? 1]));
};

/** Samples the canary while it runs: each step's weight, the replicas (or route weights) seen then. */
function sampler(s: Scenario, gateway = false) {
  const seen: {
    step: number;
    weight: number;
    phase: string;
    canaryReplicas?: number;
    stableReplicas?: number;
    route?: Record<string, number>;
  }[] = [];
  let stop = false;
  const done = (async () => {
    while (!stop) {
      const d = canaryOf((await summary(s))?.traits);
      if (d && d.phase !== 'Succeeded' && d.phase !== 'Aborted') {
        const c = await deployment(s, 'web-canary');
        const st = await deployment(s, 'web');
        seen.push({
          step: d.step,
          weight: d.weight,
          phase: d.phase,
          canaryReplicas: c?.status?.readyReplicas,
          stableReplicas: st?.status?.readyReplicas,
          ...(gateway ? { route: await routeWeights(s) } : {}),
        });
      }
      await sleep(300);
    }
  })();
  return {
    seen,
    stop: async () => {
      stop = true;
      await done;
    },
  };
}

/** After an abort: no canary objects, all traffic on stable, held, and the revision Failed with the measured value. */
async function expectRolledBack(
  s: Scenario,
  bad: string,
  message: RegExp,
  stableImage: string,
  gateway = false,
): Promise<void> {
  const x = await until(
    s,
    'held after the abort',
    (y) => y.status === 'held' && canaryOf(y.traits)?.phase === 'Aborted',
  );
  expect(same(s, bad, canaryOf(x.traits)!.commit)).toBe(true);
  // Aborted at its first failing analysis.
  expect(canaryOf(x.traits)!.analysis.filter((a) => a.result === 'Failed')).toHaveLength(1);
  expect(canaryOf(x.traits)!.analysis.at(-1)!.result).toBe('Failed');
  expect(x.hold).toMatch(message);
  expect(await deployment(s, 'web-canary')).toBeUndefined();
  expect(await imageOf(s)).toBe(stableImage);
  if (gateway) {
    expect(await routeWeights(s)).not.toHaveProperty('web-canary');
    expect(
      await cluster.get({ apiVersion: 'v1', kind: 'Service', namespace: s.ns, name: 'web-canary' }),
    ).toBeUndefined();
  }
  const history = await readHistory(cluster, scope(s));
  expect(history[0]).toMatchObject({ outcome: 'Failed', reason: 'DeliveryFailed' });
  expect(same(s, bad, history[0]!.commit)).toBe(true);
  expect(history[0]!.message).toMatch(message);
  expect(await readHold(cluster, scope(s))).toBeDefined();
}

beforeAll(async () => {
  cluster = KubeCluster.fromFile(inject('kubeconfig'));
  await repo.start();
  shared = await serve();
});
afterAll(async () => {
  await shared?.stop('SIGKILL');
  await repo.stop();
  await Promise.all(namespaces.map((name) => core.deleteNamespace({ name }).catch(() => undefined)));
  await cluster?.close();
});

describe.concurrent('canary, replica ratio and Gateway API, one controller', () => {
  it('a good image goes through every step (replica ratios observed at each) and is promoted', async () => {
    const s = scenario('good');
    const steps = [{ weight: 20 }, { pause: { duration: '3s' } }, { weight: 50 }];
    const canary = { steps, analysis: analysis([SUCCESS, LATENCY]) };
    await syncedAt(s, commit(s, 'example/web:v1', canary));
    const first = await summary(s);
    // The first deployment applies at once: there is no stable version to compare with.
    expect(canaryOf(first!.traits)).toBeUndefined();
    const watch = sampler(s);
    const v2 = commit(s, 'example/web:v2', canary);
    const x = await syncedAt(s, v2);
    await watch.stop();
    expect(canaryOf(x.traits)).toMatchObject({ phase: 'Succeeded', steps: 3 });
    expect(canaryOf(x.traits)!.analysis.every((a) => a.result === 'Successful')).toBe(true);
    // Weight 20: 1 canary beside 4 stable (20 %); weight 50: 4 beside 4 (50 %). The stable kept serving throughout.
    const at20 = watch.seen.filter((v) => v.weight === 20 && v.canaryReplicas === 1);
    const at50 = watch.seen.filter((v) => v.weight === 50 && v.canaryReplicas === 4);
    expect(at20.length).toBeGreaterThan(0);
    expect(at50.length).toBeGreaterThan(0);
    // (Until the promotion, when the stable Deployment itself rolls to the new template.)
    expect(watch.seen.filter((v) => v.phase !== 'Promoting').every((v) => v.stableReplicas === 4)).toBe(true);
    expect(
      watch.seen.some(
        (v) => v.weight === 100 || (v.weight === 0 && v.canaryReplicas !== undefined && v.canaryReplicas > 0),
      ),
    ).toBe(false);
    expect(await imageOf(s)).toBe('example/web:v2');
    expect(await deployment(s, 'web-canary')).toBeUndefined();
    expect((await readHistory(cluster, scope(s)))[0]).toMatchObject({ commit: x.commit, outcome: 'Synced' });
    // ferry rollout status: the steps and each analysis run with its values.
    const status = await ferry('rollout', 'status', s.app, '-e', 'default');
    expect(status.stdout).toMatch(/promoted/);
    expect(status.stdout).toMatch(/success-rate 100 % ≥ 99 %/);
    expect(
      await shared.metric('ferry_analysis_runs_total', { app: s.app, result: 'Successful' }),
    ).toBeGreaterThanOrEqual(2);
  });

  it('a change outside the pod template applies at once, with no canary', async () => {
    const s = scenario('other');
    const canary = { steps: [{ weight: 20 }, { pause: {} }], analysis: analysis([SUCCESS]) };
    await syncedAt(s, commit(s, 'example/web:v1', canary));
    const watch = sampler(s);
    const scaled = repo.commit(
      { [`apps/${s.app}/app.yaml`]: canaryApp(s, 'example/web:v1', canary, false, 6) },
      `${s.app} replicas 6`,
    );
    const x = await syncedAt(s, scaled);
    await watch.stop();
    expect(canaryOf(x.traits)).toBeUndefined();
    expect(watch.seen).toEqual([]);
    expect((await deployment(s, 'web'))?.spec?.replicas).toBe(6);
    expect(await deployment(s, 'web-canary')).toBeUndefined();
  });

  it(
    'an -errors image is aborted at its first failing analysis: stable serves 100 %, the app is held, ' +
      'the revision Failed with the value; the next good commit proceeds',
    async () => {
      const s = scenario('errors');
      const canary = {
        steps: [{ weight: 25 }, { pause: { duration: '3s' } }, { weight: 50 }],
        analysis: analysis([SUCCESS]),
      };
      await syncedAt(s, commit(s, 'example/web:v1', canary));
      const bad = commit(s, 'example/web:v2-errors', canary);
      await expectRolledBack(s, bad, /success-rate \d+(\.\d+)? % < 99 %/, 'example/web:v1');
      // Prometheus: no canary pod answers any more, and the stable workload takes the whole 200 requests/s.
      const canaryRate = await eventually(
        'the canary series to go stale',
        async () =>
          (await prom.query(`sum(rate(http_requests_total{namespace="${s.ns}",workload="web-canary"}[5s]))`)).kind ===
          'no-data'
            ? true
            : undefined,
        30_000,
      );
      expect(canaryRate).toBe(true);
      await sleep(12_000);
      const share = await prom.query(
        `sum(rate(http_requests_total{namespace="${s.ns}",workload="web"}[10s])) / ` +
          `sum(rate(http_requests_total{namespace="${s.ns}"}[10s]))`,
      );
      expect(share).toEqual({ kind: 'value', value: 1 });
      const events = await cluster.list('v1', 'Event', s.ns, '');
      expect(events.map((e) => (e as { reason?: string }).reason)).toEqual(
        expect.arrayContaining(['CanaryStarted', 'AnalysisFailed', 'CanaryAborted']),
      );
      expect(await shared.metric('ferry_analysis_runs_total', { app: s.app, result: 'Failed' })).toBe(1);
      // Held: a poll later, nothing retried.
      await sleep(3000);
      expect((await summary(s))!.status).toBe('held');
      expect(await deployment(s, 'web-canary')).toBeUndefined();
      const good = commit(s, 'example/web:v3', canary);
      const x = await syncedAt(s, good);
      expect(canaryOf(x.traits)).toMatchObject({ commit: x.commit, phase: 'Succeeded' });
      expect(await imageOf(s)).toBe('example/web:v3');
    },
  );

  it('a -slow image fails the latency check', async () => {
    const s = scenario('slow');
    const canary = { steps: [{ weight: 50 }, { pause: { duration: '3s' } }], analysis: analysis([SUCCESS, LATENCY]) };
    await syncedAt(s, commit(s, 'example/web:v1', canary));
    const bad = commit(s, 'example/web:v2-slow', canary);
    await expectRolledBack(s, bad, /latency \d+ ms > 300 ms/, 'example/web:v1');
  });

  it('a pause without duration waits for ferry rollout promote', async () => {
    const s = scenario('pause');
    const canary = { steps: [{ weight: 25 }, { pause: {} }, { weight: 50 }], analysis: analysis([SUCCESS]) };
    await syncedAt(s, commit(s, 'example/web:v1', canary));
    const v2 = commit(s, 'example/web:v2', canary);
    await until(
      s,
      'paused at step 2',
      (x) =>
        same(s, v2, canaryOf(x.traits)?.commit) &&
        canaryOf(x.traits)!.phase === 'Paused' &&
        canaryOf(x.traits)!.step === 1,
    );
    expect((await ferry('status')).stdout).toMatch(
      new RegExp(`${s.app}\\s+default\\s+\\S+\\s+paused 2/3 \\(weight 25\\)`),
    );
    // Two more analysis intervals: still paused at the same step.
    await sleep(11_000);
    expect(canaryOf((await summary(s))!.traits)).toMatchObject({ step: 1, phase: 'Paused', weight: 25 });
    const promote = await ferry('rollout', 'promote', s.app, '-e', 'default');
    expect(promote.code).toBe(0);
    const x = await syncedAt(s, v2);
    expect(canaryOf(x.traits)!.phase).toBe('Succeeded');
    expect(canaryOf(x.traits)!.analysis.some((a) => a.weight === 50)).toBe(true);
  });

  it('a newer commit supersedes a running canary: aborted, then started over from stable', async () => {
    const s = scenario('supersede');
    const canary = { steps: [{ weight: 25 }, { pause: {} }, { weight: 50 }], analysis: analysis([SUCCESS]) };
    await syncedAt(s, commit(s, 'example/web:v1', canary));
    const v2 = commit(s, 'example/web:v2', canary);
    await until(
      s,
      'v2 paused',
      (x) => same(s, v2, canaryOf(x.traits)?.commit) && canaryOf(x.traits)!.phase === 'Paused',
    );
    const v3 = commit(s, 'example/web:v3', {
      ...canary,
      steps: [{ weight: 25 }, { pause: { duration: '3s' } }, { weight: 50 }],
    });
    const x = await syncedAt(s, v3);
    expect(canaryOf(x.traits)).toMatchObject({ commit: x.commit, phase: 'Succeeded' });
    expect(await imageOf(s)).toBe('example/web:v3');
    // v3 started over from its first step (its analysis runs start at step 1), and v2 never reached stable.
    expect(canaryOf(x.traits)!.analysis[0]!.step).toBe(0);
    const events = await cluster.list('v1', 'Event', s.ns, '');
    expect(
      events.some(
        (e) =>
          (e as { reason?: string; message?: string }).reason === 'CanaryAborted' &&
          /superseded/.test((e as { message?: string }).message ?? ''),
      ),
    ).toBe(true);
    expect(
      (await readHistory(cluster, scope(s))).filter((h) => h.outcome === 'Synced').some((h) => same(s, v2, h.commit)),
    ).toBe(false);
  });

  it('Gateway API: the HTTPRoute weights carry the split at each step, and a good image is promoted', async () => {
    const s = scenario('gw-good');
    const canary = {
      steps: [{ weight: 10 }, { pause: { duration: '3s' } }, { weight: 50 }],
      analysis: analysis([SUCCESS, LATENCY]),
      trafficRouting: { gateway: { httpRoute: 'web' } },
    };
    await syncedAt(s, commit(s, 'example/web:v1', canary, true));
    const watch = sampler(s, true);
    const v2 = commit(s, 'example/web:v2', canary, true);
    const x = await syncedAt(s, v2);
    await watch.stop();
    expect(canaryOf(x.traits)).toMatchObject({ commit: x.commit, phase: 'Succeeded', mode: 'gateway' });
    expect(watch.seen.some((v) => v.route?.web === 90 && v.route['web-canary'] === 10)).toBe(true);
    expect(watch.seen.some((v) => v.route?.web === 50 && v.route['web-canary'] === 50)).toBe(true);
    // Promoted: the route as Git has it, the canary Service and Deployment gone.
    expect(await routeWeights(s)).toEqual({ web: 1 });
    expect(
      await cluster.get({ apiVersion: 'v1', kind: 'Service', namespace: s.ns, name: 'web-canary' }),
    ).toBeUndefined();
    expect(await imageOf(s)).toBe('example/web:v2');
  });

  it('Gateway API: an -errors image is aborted and the route sends everything back to stable', async () => {
    const s = scenario('gw-errors');
    const canary = {
      steps: [{ weight: 20 }, { pause: { duration: '3s' } }],
      analysis: analysis([SUCCESS]),
      trafficRouting: { gateway: { httpRoute: 'web' } },
    };
    await syncedAt(s, commit(s, 'example/web:v1', canary, true));
    const bad = commit(s, 'example/web:v2-errors', canary, true);
    await expectRolledBack(s, bad, /success-rate \d+(\.\d+)? % < 99 %/, 'example/web:v1', true);
  });
});

describe('canary across a controller restart and a metrics outage', () => {
  it('a SIGKILLed controller resumes mid-canary at the same step and weight', async () => {
    const s = scenario('restart');
    const canary = { steps: [{ weight: 25 }, { pause: {} }, { weight: 50 }], analysis: analysis([SUCCESS]) };
    await syncedAt(s, commit(s, 'example/web:v1', canary));
    const v2 = commit(s, 'example/web:v2', canary);
    await until(
      s,
      'paused at weight 25',
      (x) => same(s, v2, canaryOf(x.traits)?.commit) && canaryOf(x.traits)!.phase === 'Paused',
    );
    await shared.stop('SIGKILL');
    const before = (await deployment(s, 'web-canary'))?.spec?.replicas;
    expect(before).toBe(1);
    const watch = sampler(s);
    // The restarted controller gives a canary's pods 15 s to become ready (the Degraded scenario below).
    shared = await serve(['--canary-ready-timeout', '15s']);
    // The new controller picks the canary up where it was: still step 2, weight 25, the same canary.
    await eventually(
      'the restarted controller to analyse',
      async () => ((await shared.metric('ferry_analysis_runs_total', { app: s.app })) > 0 ? true : undefined),
      60_000,
    );
    expect(canaryOf((await summary(s))!.traits)).toMatchObject({ step: 1, weight: 25, phase: 'Paused' });
    expect((await deployment(s, 'web-canary'))?.spec?.replicas).toBe(1);
    expect(await imageOf(s)).toBe('example/web:v1');
    expect((await ferry('rollout', 'promote', s.app, '-e', 'default')).code).toBe(0);
    const x = await syncedAt(s, v2);
    await watch.stop();
    expect(canaryOf(x.traits)!.phase).toBe('Succeeded');
    // Never back to 0 % (no canary while a step was in force) and never straight to 100 %.
    expect(watch.seen.every((v) => v.weight === 25 || v.weight === 50)).toBe(true);
    expect(
      watch.seen.filter((v) => v.weight === 25).every((v) => v.canaryReplicas === undefined || v.canaryReplicas === 1),
    ).toBe(true);
  });

  it('a canary whose pods never become ready is Degraded: aborted, held, Failed', async () => {
    const s = scenario('degraded');
    const canary = { steps: [{ weight: 25 }, { pause: { duration: '3s' } }], analysis: analysis([SUCCESS]) };
    await syncedAt(s, commit(s, 'example/web:v1', canary));
    // KWOK never makes a pod whose image ends in ":bad" ready (the local cluster's failure simulation).
    const bad = commit(s, 'example/web:bad', canary);
    const x = await until(
      s,
      'held after the abort',
      (y) => y.status === 'held' && canaryOf(y.traits)?.phase === 'Aborted',
    );
    expect(same(s, bad, canaryOf(x.traits)!.commit)).toBe(true);
    expect(canaryOf(x.traits)!.message).toMatch(/the canary is Degraded: 0 of 1 pods ready after 15 s/);
    expect(await deployment(s, 'web-canary')).toBeUndefined();
    expect(await imageOf(s)).toBe('example/web:v1');
    expect((await readHistory(cluster, scope(s)))[0]).toMatchObject({ outcome: 'Failed', reason: 'DeliveryFailed' });
  });

  it('Prometheus stopped mid-canary: paused as inconclusive and reported, then completed when it returns', async () => {
    if (!inject('ownCluster')) return;
    const name = process.env.FERRY_TEST_CLUSTER ?? 'ferry-test';
    const s = scenario('outage');
    const canary = {
      steps: [{ weight: 25 }, { pause: { duration: '3s' } }, { weight: 50 }],
      analysis: analysis([SUCCESS]),
    };
    await syncedAt(s, commit(s, 'example/web:v1', canary));
    const v2 = commit(s, 'example/web:v2', canary);
    await until(
      s,
      'the canary at weight 25',
      (x) => same(s, v2, canaryOf(x.traits)?.commit) && canaryOf(x.traits)!.weight === 25,
    );
    await killComponent(name, 'prometheus');
    try {
      const x = await until(s, 'inconclusive', (y) => canaryOf(y.traits)?.phase === 'Inconclusive', 60_000);
      expect(canaryOf(x.traits)!.message).toMatch(/cannot reach Prometheus at http:\/\/127\.0\.0\.1:\d+/);
      expect((await ferry('status')).stdout).toMatch(/analysis inconclusive/);
      // Neither promoted nor aborted while it lasts.
      await sleep(11_000);
      const y = (await summary(s))!;
      expect(canaryOf(y.traits)).toMatchObject({ phase: 'Inconclusive', weight: 25 });
      expect(y.status).toBe('delivering');
      expect(await deployment(s, 'web-canary')).toBeDefined();
    } finally {
      await restartComponent(name, 'prometheus');
    }
    const done = await syncedAt(s, v2);
    expect(canaryOf(done.traits)!.phase).toBe('Succeeded');
    expect(canaryOf(done.traits)!.analysis.some((a) => a.result === 'Inconclusive')).toBe(true);
    expect(await imageOf(s)).toBe('example/web:v2');
  });
});
