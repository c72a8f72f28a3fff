/**
 * Gray release end to end with the default metrics provider (`pods`: the app's own metrics by namespace
 * and pod name, as kube-prometheus scrapes them): `ferry serve` processes with a real Git server, the
 * real local cluster, a real Prometheus and the traffic simulator (test/cluster/canary-support.ts). Each
 * scenario has its own app and namespace; the first group shares one controller and runs side by side,
 * the controller-kill and Prometheus-stop scenarios run alone. Timing is never asserted (bench:canary
 * measures it). The other providers run in canary-providers.test.ts.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PrometheusClient } from '../../src/metrics/prometheus.js';
import { readHistory } from '../../src/gitops/store/release-store.js';
import { canaryOf } from '../../src/traits/canary/progress.js';
import {
  analysis,
  type AppShape,
  CanaryWorld,
  canaryApp,
  LATENCY,
  loadStep,
  rig,
  type Scenario,
  SUCCESS,
} from './canary-support.js';
import { eventually, sleep } from './kube.js';

const prom = new PrometheusClient({ url: inject('prometheusUrl') });
const w = new CanaryWorld();
const scenario = (name: string) => w.scenario(name);
const commit = (s: Scenario, image: string, canary: object, gateway = false, shape: AppShape = {}) =>
  w.commit(s, image, canary, { gateway, ...shape });
const syncedAt = (s: Scenario, c: string) => w.syncedAt(s, c);
const until = (...a: Parameters<CanaryWorld['until']>) => w.until(...a);
const same = (s: Scenario, c: string, seen: string | undefined) => w.same(s, c, seen);
const summary = (s: Scenario) => w.summary(s);
const deployment = (s: Scenario, name: string) => w.deployment(s, name);
const imageOf = (s: Scenario, name?: string) => w.imageOf(s, name);
const routeWeights = (s: Scenario) => w.routeWeights(s);
const sampler = (s: Scenario, gateway = false) => w.sampler(s, gateway);
const expectRolledBack = (...a: Parameters<CanaryWorld['expectRolledBack']>) => w.expectRolledBack(...a);
const ferry = (...args: string[]) => w.ferry(...args);
const scope = (s: Scenario) => w.scope(s);

/** The simulator's count of requests it could not route (no ready pod behind a backend), for a namespace. */
const unrouted = async (s: Scenario) => {
  const r = await prom.query(`sum(sim_unrouted_requests_total{namespace="${s.ns}"})`);
  return r.kind === 'value' ? r.value : r.kind;
};

/**
 * Pods that serve 60 requests/s each before they queue: 200 requests/s over 5 pods keep the p95 near
 * 180 ms; the load step to 280 takes it past 800 ms on every pod, stable and canary alike.
 */
const underLoad = () => ({
  canary: {
    steps: [{ weight: 20 }, { pause: { duration: '10s' } }],
    analysis: analysis([{ name: 'latency-p95', maxIncrease: '50%' }]),
  },
  shape: { podAnnotations: { 'sim.ferry.dev/capacity-rps': '60' } },
});

beforeAll(async () => {
  await w.start();
});
afterAll(async () => {
  await w.stop();
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
    // No run failed; a run without a verdict only ever lacked data (the canary's first samples).
    const runs = canaryOf(x.traits)!.analysis;
    expect(runs.filter((a) => a.result === 'Successful').length).toBeGreaterThanOrEqual(2);
    for (const a of runs.filter((r) => r.result !== 'Successful'))
      expect(a).toMatchObject({ result: 'Inconclusive', message: expect.stringMatching(/^not enough data yet/) });
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
    expect((await readHistory(w.cluster, scope(s)))[0]).toMatchObject({ commit: x.commit, outcome: 'Synced' });
    // ferry rollout status: the steps and each analysis run with its values.
    const status = await ferry('rollout', 'status', s.app, '-e', 'default');
    expect(status.stdout).toMatch(/promoted/);
    expect(status.stdout).toMatch(/success-rate 100 % ≥ 99 %/);
    expect(
      await w.serve.metric('ferry_analysis_runs_total', { app: s.app, result: 'Successful' }),
    ).toBeGreaterThanOrEqual(2);
  });

  it('a change outside the pod template applies at once, with no canary', async () => {
    const s = scenario('other');
    const canary = { steps: [{ weight: 20 }, { pause: {} }], analysis: analysis([SUCCESS]) };
    await syncedAt(s, commit(s, 'example/web:v1', canary));
    const watch = sampler(s);
    const scaled = w.repo.commit(
      { [`apps/${s.app}/app.yaml`]: canaryApp(s, 'example/web:v1', canary, { replicas: 6 }) },
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
          (await prom.query(`sum(rate(http_requests_total{namespace="${s.ns}",pod=~"web-canary-.+"}[5s]))`)).kind ===
          'no-data'
            ? true
            : undefined,
        30_000,
      );
      expect(canaryRate).toBe(true);
      await sleep(12_000);
      const share = await prom.query(
        `sum(rate(http_requests_total{namespace="${s.ns}",pod=~"web-[a-z0-9]+-[a-z0-9]+"}[10s])) / ` +
          `sum(rate(http_requests_total{namespace="${s.ns}"}[10s]))`,
      );
      expect(share).toEqual({ kind: 'value', value: 1 });
      const events = await w.cluster.list('v1', 'Event', s.ns, '');
      expect(events.map((e) => (e as { reason?: string }).reason)).toEqual(
        expect.arrayContaining(['CanaryStarted', 'AnalysisFailed', 'CanaryAborted']),
      );
      expect(await w.serve.metric('ferry_analysis_runs_total', { app: s.app, result: 'Failed' })).toBe(1);
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
    const events = await w.cluster.list('v1', 'Event', s.ns, '');
    expect(
      events.some(
        (e) =>
          (e as { reason?: string; message?: string }).reason === 'CanaryAborted' &&
          /superseded/.test((e as { message?: string }).message ?? ''),
      ),
    ).toBe(true);
    expect(
      (await readHistory(w.cluster, scope(s))).filter((h) => h.outcome === 'Synced').some((h) => same(s, v2, h.commit)),
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
    // The stable pods are all ready: whatever the simulator could not route so far was before them.
    await eventually(
      'the stable pods ready',
      async () => (await deployment(s, 'web'))?.status?.readyReplicas === 4 || undefined,
    );
    await sleep(2000);
    const unroutedBefore = await unrouted(s);
    const watch = sampler(s, true);
    const v2 = commit(s, 'example/web:v2', canary, true);
    const x = await syncedAt(s, v2);
    await watch.stop();
    expect(canaryOf(x.traits)).toMatchObject({ commit: x.commit, phase: 'Succeeded', mode: 'gateway' });
    // No request was sent to the canary Service before its pods were ready, nor after they went away:
    // the simulator's unrouted-request counter did not move through any step change.
    await sleep(3000);
    expect(await unrouted(s)).toEqual(unroutedBefore);
    expect((await prom.query(`sum(sim_unrouted_requests_total{namespace="${s.ns}",service="web-canary"})`)).kind).toBe(
      'no-data',
    );
    expect(watch.seen.some((v) => v.route?.web === 90 && v.route['web-canary'] === 10)).toBe(true);
    expect(watch.seen.some((v) => v.route?.web === 50 && v.route['web-canary'] === 50)).toBe(true);
    // Promoted: the route as Git has it, the canary Service and Deployment gone.
    expect(await routeWeights(s)).toEqual({ web: 1 });
    expect(
      await w.cluster.get({ apiVersion: 'v1', kind: 'Service', namespace: s.ns, name: 'web-canary' }),
    ).toBeUndefined();
    expect(await imageOf(s)).toBe('example/web:v2');
  });

  it('a load step slows every pod past 300 ms: a good canary with a bound relative to stable is promoted', async () => {
    const s = scenario('relative');
    const { canary, shape } = underLoad();
    await syncedAt(s, commit(s, 'example/web:v1', canary, false, shape));
    const v2 = commit(s, 'example/web:v2', canary, false, shape);
    await until(s, 'the canary started', (x) => same(s, v2, canaryOf(x.traits)?.commit));
    await loadStep(s, 280);
    const x = await syncedAt(s, v2);
    const p = canaryOf(x.traits)!;
    expect(p.phase).toBe('Succeeded');
    // The stable pods themselves answered slower than an absolute bound of 300 ms would allow.
    const stable = p.analysis.map((r) => r.measurements[0]?.stable ?? 0);
    expect(Math.max(...stable)).toBeGreaterThan(300);
    expect(p.analysis.filter((r) => r.result === 'Failed')).toEqual([]);
  });

  it('the same load step and relative bound abort a -slow canary', async () => {
    const s = scenario('relative-slow');
    const { canary, shape } = underLoad();
    await syncedAt(s, commit(s, 'example/web:v1', canary, false, shape));
    const bad = commit(s, 'example/web:v2-slow', canary, false, shape);
    await until(s, 'the canary started', (x) => same(s, bad, canaryOf(x.traits)?.commit));
    await loadStep(s, 280);
    await expectRolledBack(s, bad, /latency-p95 \d+ ms > stable \d+ ms \+ 50 %/, 'example/web:v1');
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
    await w.serve.stop('SIGKILL');
    const before = (await deployment(s, 'web-canary'))?.spec?.replicas;
    expect(before).toBe(1);
    const watch = sampler(s);
    // The restarted controller gives a canary's pods 15 s to become ready (the Degraded scenario below).
    w.serve = await w.startServe(['--canary-ready-timeout', '15s']);
    // The new controller picks the canary up where it was: still step 2, weight 25, the same canary.
    await eventually(
      'the restarted controller to analyse',
      async () => ((await w.serve.metric('ferry_analysis_runs_total', { app: s.app })) > 0 ? true : undefined),
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
    expect((await readHistory(w.cluster, scope(s)))[0]).toMatchObject({ outcome: 'Failed', reason: 'DeliveryFailed' });
  });

  it('Prometheus stopped and started by the rig command mid-canary: inconclusive, then done', async () => {
    if (!inject('ownCluster')) return;
    const s = scenario('outage');
    const controller = w.serve.pid;
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
    await rig('stop', '--component', 'prometheus');
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
      await rig('start', '--component', 'prometheus');
    }
    // The same Prometheus URL answers again: the controller (never restarted) reaches it.
    expect((await prom.query('vector(1)')).kind).toBe('value');
    const done = await syncedAt(s, v2);
    expect(w.serve.pid).toBe(controller);
    expect(w.serve.running).toBe(true);
    expect(canaryOf(done.traits)!.phase).toBe('Succeeded');
    expect(canaryOf(done.traits)!.analysis.some((a) => a.result === 'Inconclusive')).toBe(true);
    expect(await imageOf(s)).toBe('example/web:v2');
  });
});
