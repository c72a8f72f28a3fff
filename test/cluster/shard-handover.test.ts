/**
 * A shard handover (`ferry serve --shards 2`) in the middle of things, on the real cluster with Prometheus and the
 * traffic simulator: one replica runs a canary to a paused step, an SLO autoscaler, and a promotion that waits for
 * an approval; a second replica joins, and the shard of those apps moves to it. The new owner resumes each from
 * its records: the canary at the same step and weight (never back to 0 %, never straight to 100 %) until
 * `ferry rollout promote` reaches it, the SLO loop from the replicas it had, the promotion once approved.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardOf } from '../../src/gitops/controller/shards.js';
import { sourceId } from '../../src/gitops/store/release-store.js';
import { canaryOf } from '../../src/traits/canary/progress.js';
import type { StateSummary } from '../../src/gitops/store/state-summary.js';
import { sloOf } from '../../src/traits/slo/status.js';
import { analysis, CanaryWorld, loadStep, type Scenario, SUCCESS, webApp } from './canary-support.js';
import type { Serve } from './gitops-support.js';
import { eventually } from './kube.js';

const SHARD_ARGS = ['--shards', '2', '--lease-duration', '6s'];
const w = new CanaryWorld({ serveArgs: [...SHARD_ARGS, '--identity', 'h1'] });
let joined: Serve | undefined;

beforeAll(async () => {
  await w.start();
}, 120_000);
afterAll(async () => {
  await joined?.stop('SIGKILL');
  await w.stop();
});

/** A scenario whose app hashes to shard 1: the one h1 hands back when a second replica joins (it keeps shard 0). */
let tried = 0;
function movingScenario(): Scenario {
  const source = sourceId(w.repo.url, '.');
  for (;;) {
    const s = w.scenario(`handover${tried++}`);
    if (shardOf(source, s.app, 2) === 1) return s;
  }
}

const SLO = {
  latency: { percentile: 99, max: '200ms' },
  replicas: { min: 2, max: 30 },
  window: '15s',
  interval: '5s',
  scaleDownStabilization: '30s',
};

/** An app of two environments from its workflow: dev, then prod once approved (`auto: false`). */
const promotedApp = (s: Scenario, image: string) => `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: ${s.app}, namespace: ${s.ns}}
spec:
  components:
    - name: web
      type: webservice
      properties: {image: "${image}", port: 8080}
  policies:
    - {name: dev, type: topology, properties: {clusters: [local], namespace: ${s.ns}-dev}}
    - {name: prod, type: topology, properties: {clusters: [local], namespace: ${s.ns}-prod}}
  workflow:
    steps:
      - {name: deploy-dev, type: deploy, properties: {policies: [dev]}}
      - {name: deploy-prod, type: deploy, properties: {auto: false, policies: [prod]}}
`;

describe('a shard handover', () => {
  it('the new owner resumes a paused canary, an SLO loop and a promotion from their records', async () => {
    // Three apps of the shard that moves, each in the middle of something when it does.
    const [c, slo, p] = [movingScenario(), movingScenario(), movingScenario()];
    w.namespaces.push(`${p.ns}-dev`, `${p.ns}-prod`);
    const canary = { steps: [{ weight: 25 }, { pause: {} }, { weight: 50 }], analysis: analysis([SUCCESS]) };
    const sloApp = (image: string) =>
      // Git says 2 replicas; 300 requests/s at 100 per pod take more: the autoscaler's count differs from Git's.
      webApp(slo, image, [{ type: 'slo', properties: SLO }], {
        rps: 300,
        replicas: 2,
        podAnnotations: { 'sim.ferry.dev/capacity-rps': '100' },
      });
    await w.syncedAt(c, w.commit(c, 'example/web:v1', canary));
    const v2 = w.commit(c, 'example/web:v2', canary);
    w.repo.commit({ [`apps/${slo.app}/app.yaml`]: sloApp('example/web:v1') }, 'slo app');
    const pv1 = w.repo.commit({ [`apps/${p.app}/app.yaml`]: promotedApp(p, 'example/web:v1') }, 'promoted app');
    const paused = await w.until(
      c,
      'paused at weight 25',
      (x) => w.same(c, v2, canaryOf(x.traits)?.commit) && canaryOf(x.traits)!.phase === 'Paused',
    );
    expect(paused.reconciler).toBe('h1');
    const met = await w.until(
      slo,
      'the slo met, scaled past Git',
      (x) => sloOf(x.traits)?.state === 'Met' && sloOf(x.traits)!.replicas > 2 && x.reconciler === 'h1',
      240_000,
    );
    const prodState = () => w.ferry('status', '-o', 'json', '--source', w.repo.url);
    const stateOf = async (env: string) =>
      (JSON.parse((await prodState()).stdout) as StateSummary[]).find((x) => x.app === p.app && x.env === env);
    await eventually('dev synced, prod waiting for an approval', async () => {
      const [dev, prod] = [await stateOf('deploy-dev'), await stateOf('deploy-prod')];
      return dev?.status === 'synced' && dev.reconciler === 'h1' && prod?.status !== 'synced' ? true : undefined;
    });
    const watch = w.sampler(c);
    const kept = (await w.deployment(slo, 'web'))?.spec?.replicas ?? 0;
    expect(kept).toBeGreaterThan(2);
    joined = await w.startServe(['--identity', 'h2']);

    // The canary: h2 restored it at the same step and weight; `ferry rollout promote` reaches h2, which promotes.
    const resumed = await w.until(c, 'recorded by h2', (x) => x.reconciler === 'h2', 120_000);
    expect(canaryOf(resumed.traits)).toMatchObject({ step: 1, weight: 25, phase: 'Paused' });
    expect((await w.deployment(c, 'web-canary'))?.spec?.replicas).toBe(1);
    expect(await w.imageOf(c)).toBe('example/web:v1');
    expect((await w.ferry('rollout', 'promote', c.app, '-e', 'default')).code).toBe(0);
    const done = await w.syncedAt(c, v2);
    await watch.stop();
    expect(done.reconciler).toBe('h2');
    expect(canaryOf(done.traits)!.phase).toBe('Succeeded');
    expect(await w.imageOf(c)).toBe('example/web:v2');
    // Through the handover: never back to 0 % (no canary while a step was in force), never straight to 100 %.
    expect(watch.seen.length).toBeGreaterThan(0);
    expect(watch.seen.every((v) => v.weight === 25 || v.weight === 50)).toBe(true);

    // The SLO loop: h2 evaluates on, from the replicas h1 left (Git's 2 are not applied again), and scales.
    const onH2 = await w.until(
      slo,
      'evaluated by h2',
      (x) => x.reconciler === 'h2' && sloOf(x.traits)!.at > sloOf(met.traits)!.at,
    );
    expect(sloOf(onH2.traits)!.replicas).toBe(kept);
    await loadStep(slo, 1000);
    await w.until(slo, 'scaled up by h2', (x) => x.reconciler === 'h2' && sloOf(x.traits)!.replicas > kept, 240_000);

    // The promotion: the approval reaches h2, which promotes the release dev runs into prod.
    const approved = await w.ferry('approve', p.app, '-e', 'deploy-prod');
    expect(approved.code, approved.stderr).toBe(0);
    const prod = await eventually(
      'prod synced by h2',
      async () => {
        const x = await stateOf('deploy-prod');
        return x?.status === 'synced' && x.reconciler === 'h2' ? x : undefined;
      },
      120_000,
    );
    expect(w.same(p, pv1, prod.commit)).toBe(true);
  }, 600_000);
});
