/**
 * The `slo` trait end to end: `ferry serve` with a real Git server, the local cluster, a real Prometheus
 * and the traffic simulator's load model (pods at 100 requests/s capacity, 20 ms service time: p99 ≈
 * 92 ms / (1 − load ÷ capacity)). The SLO autoscaler holds p99 ≤ 200 ms as the load steps up and down,
 * keeps its replicas through a Prometheus outage and across commits, and its objective judges a canary
 * that declares no analysis. Timing is never asserted.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { canaryOf } from '../../src/traits/canary/progress.js';
import { sloOf } from '../../src/traits/slo/status.js';
import { CanaryWorld, loadStep, rig, type Scenario, webApp } from './canary-support.js';
import { eventually, sleep } from './kube.js';

const w = new CanaryWorld();
/** The same loop reading Istio's standard metrics (the simulator serves them beside the app's own). */
const istio = new CanaryWorld({ ferryYaml: 'metrics: {provider: istio}\n' });
const SLO = {
  latency: { percentile: 99, max: '200ms' },
  replicas: { min: 2, max: 30 },
  window: '15s',
  interval: '5s',
  scaleDownStabilization: '30s',
};

/** A webservice whose pods serve 100 requests/s each, behind a Service with `rps` simulated requests/s. */
function sloApp(
  s: Scenario,
  image: string,
  o: { rps: number; canary?: object; replicas?: number; maxMs?: number },
): string {
  const slo = { ...SLO, latency: { percentile: 99, max: `${o.maxMs ?? 200}ms` } };
  const traits = [{ type: 'slo', properties: slo }, ...(o.canary ? [{ type: 'canary', properties: o.canary }] : [])];
  return webApp(s, image, traits, {
    rps: o.rps,
    replicas: o.replicas ?? 4,
    podAnnotations: { 'sim.ferry.dev/capacity-rps': '100' },
  });
}
const commitTo = (world: CanaryWorld, s: Scenario, image: string, o: Parameters<typeof sloApp>[2]) =>
  world.repo.commit({ [`apps/${s.app}/app.yaml`]: sloApp(s, image, o) }, `${s.app} ${image}`);
const commit = (s: Scenario, image: string, o: Parameters<typeof sloApp>[2]) => commitTo(w, s, image, o);

const replicas = async (s: Scenario, world = w) => (await world.deployment(s, 'web'))?.spec?.replicas;

beforeAll(async () => {
  await Promise.all([w.start(), istio.start()]);
});
afterAll(async () => {
  await Promise.all([w.stop(), istio.stop()]);
});

describe.concurrent('the slo trait', () => {
  // Istio's latency buckets are 100, 250, 500 ms…: the objective (200 ms) lies inside a bucket, where the
  // autoscaler follows the tail (docs/slo.md, "Histogram buckets").
  it.each([
    ['pods', 200, w],
    ['istio', 200, istio],
  ] as const)(
    '%s metrics: p99 ≤ %i ms held through load steps; count kept by commits',
    { timeout: 600_000 },
    async (provider, maxMs, w) => {
      const s = w.scenario(`slo-steps-${provider}`);
      const commit = (sc: Scenario, image: string, o: Parameters<typeof sloApp>[2]) =>
        commitTo(w, sc, image, { maxMs, ...o });
      await w.syncedAt(s, commit(s, 'example/web:v1', { rps: 200 }));
      await w.until(s, 'the slo evaluated', (x) => sloOf(x.traits)?.state === 'Met');
      // ×5: 1000 requests/s. The oracle (p99 = 92 ms / (1 − r/100) per pod): 17 pods for 200 ms, 16 for 250 ms.
      await loadStep(s, 1000);
      const up = await w.until(
        s,
        'p99 back under the objective after scaling up',
        (x) => {
          const st = sloOf(x.traits);
          return st !== undefined && st.replicas >= 12 && st.state === 'Met';
        },
        240_000,
      );
      expect(sloOf(up.traits)!.replicas).toBeLessThanOrEqual(30);
      // The dashboard's API: the replicas over the last evaluations (the trait's view), its p99 from Prometheus.
      const api = async (what: string) =>
        JSON.parse((await w.serve.http(`/api/v1/apps/${s.app}/${what}?env=default`)).text) as Record<string, any>;
      const [shown] = (await api('slo')).slos as { status: { objective: string }; view: { charts: any[] } }[];
      expect(shown!.status.objective).toBe(`p99 ≤ ${maxMs} ms`);
      const counts = (shown!.view.charts.find((c) => c.title === 'replicas').lines[0].points as number[][]).map(
        (p) => p[1]!,
      );
      expect(Math.max(...counts)).toBeGreaterThan(counts[0]!);
      const [p99] = (await api('charts')).charts as { trait: string; unit: string; lines: { points: unknown[] }[] }[];
      expect(p99).toMatchObject({ trait: 'slo', unit: 'ms', thresholds: [{ value: maxMs, bound: 'max' }] });
      expect(p99!.lines[0]!.points.length).toBeGreaterThan(0);
      const events = await w.cluster.list('v1', 'Event', s.ns, '');
      expect(events.some((e) => (e as { reason?: string }).reason === 'SloScaled')).toBe(true);
      // A commit that changes the image keeps the autoscaled count; ferry diff reports no change to replicas.
      const before = await replicas(s, w);
      const v2 = commit(s, 'example/web:v2', { rps: 200 });
      await w.syncedAt(s, v2);
      expect(await w.imageOf(s)).toBe('example/web:v2');
      expect(await replicas(s, w)).toBeGreaterThanOrEqual(Math.min(before!, 12));
      // Down again: replicas fall after the stabilization window, never under min.
      await loadStep(s, 100);
      const down = await w.until(s, 'scaled down', (x) => (sloOf(x.traits)?.replicas ?? 99) <= 4, 240_000);
      expect(sloOf(down.traits)!.replicas).toBeGreaterThanOrEqual(2);
      const status = await w.ferry('slo', s.app, '-e', 'default', '-o', 'json');
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)[0]).toMatchObject({ component: 'web', objective: `p99 ≤ ${maxMs} ms` });
    },
  );

  it('judges a canary with no analysis by the objective: a -slow image aborted, a good one promoted', async () => {
    const s = w.scenario('slo-canary');
    const canary = { steps: [{ weight: 25 }, { pause: { duration: '5s' } }] };
    await w.syncedAt(s, commit(s, 'example/web:v1', { rps: 100, canary }));
    const bad = commit(s, 'example/web:v2-slow', { rps: 100, canary });
    const x = await w.until(s, 'held', (y) => y.status === 'held' && canaryOf(y.traits)?.phase === 'Aborted');
    expect(w.same(s, bad, canaryOf(x.traits)!.commit)).toBe(true);
    expect(x.hold).toMatch(/latency-p99 \d+ ms > 200 ms/);
    const good = commit(s, 'example/web:v3', { rps: 100, canary });
    const y = await w.syncedAt(s, good);
    expect(canaryOf(y.traits)).toMatchObject({ phase: 'Succeeded' });
    expect(canaryOf(y.traits)!.analysis.some((a) => a.measurements.some((m) => m.name === 'latency-p99'))).toBe(true);
  });
});

describe('the slo trait and a metrics outage', () => {
  it('Prometheus stopped: replicas stay, the status says why; scaling resumes afterwards', async () => {
    if (!inject('ownCluster')) return;
    const s = w.scenario('slo-outage');
    await w.syncedAt(s, commit(s, 'example/web:v1', { rps: 200 }));
    await w.until(s, 'the slo evaluated', (x) => sloOf(x.traits)?.state === 'Met');
    const kept = await replicas(s);
    await rig('stop', '--component', 'prometheus');
    try {
      const x = await w.until(s, 'no data', (y) => sloOf(y.traits)?.state === 'NoData', 60_000);
      expect(sloOf(x.traits)!.reason).toMatch(/cannot reach Prometheus .*: keeping \d+ replicas/);
      await loadStep(s, 1000);
      await sleep(12_000);
      expect(await replicas(s)).toBe(kept);
    } finally {
      await rig('start', '--component', 'prometheus');
    }
    await eventually('scaling resumes', async () => ((await replicas(s))! > kept! ? true : undefined), 180_000);
    await w.until(s, 'data again', (x) => sloOf(x.traits)?.state !== 'NoData', 60_000);
  });
});
