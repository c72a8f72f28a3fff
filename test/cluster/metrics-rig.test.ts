/**
 * The metrics rig against the real local cluster: the traffic simulator (a process of the cluster)
 * plays the load the annotations ask for, a real Prometheus scrapes it, and Ferry's PrometheusClient
 * queries it. Scenarios run side by side in their own namespaces; each waits until the 30 s rate
 * window holds only the state under test. Each metric style is queried as its providers would: the
 * pods style by namespace and pod name, Istio's by destination workload, ingress-nginx's by ingress and
 * backend Service.
 */
import {
  AppsV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { behaviourOf, latencyQuantile } from '../../src/localcluster/traffic/behaviour.js';
import { clusterDir, readState, isAlive } from '../../src/localcluster/state.js';
import { killComponent, restartComponent } from '../../src/localcluster/cluster.js';
import { PrometheusClient } from '../../src/metrics/prometheus.js';
import { workloadMetrics } from '../../src/metrics/workload-metrics.js';
import { eventually, sleep, testKubeConfig } from './kube.js';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const objects = kc.makeApiClient(KubernetesObjectApi);
const prom = new PrometheusClient({ url: inject('prometheusUrl') });
/** The pods style selects a Deployment's pods by name (`<deployment>-<template hash>-<suffix>`). */
const podsOf = (deployment: string) => `pod=~"${deployment}-[a-z0-9]+-[a-z0-9]+"`;
/** Time for the 30 s rate window to hold only the current state, plus two scrapes. */
const WINDOW_MS = 33_000;
const namespaces: string[] = [];

async function namespace(prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await core.createNamespace({ body: { metadata: { name, labels: { 'ferry.dev/test': 'true' } } } });
  namespaces.push(name);
  return name;
}
afterAll(async () => {
  await Promise.all(namespaces.map((name) => core.deleteNamespace({ name }).catch(() => undefined)));
});

const apply = (o: KubernetesObject) =>
  objects.patch(o, undefined, undefined, 'ferry-rig-test', true, PatchStrategy.ServerSideApply);

function deployment(
  ns: string,
  name: string,
  app: string,
  replicas: number,
  image: string,
  annotations: Record<string, string> = {},
): KubernetesObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app, deploy: name } },
      template: {
        metadata: { labels: { app, deploy: name }, annotations },
        spec: { containers: [{ name: 'main', image }] },
      },
    },
  } as KubernetesObject;
}
function service(ns: string, name: string, app: string, rps?: number): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, annotations: rps ? { 'sim.ferry.dev/rps': String(rps) } : {} },
    spec: { selector: { app }, ports: [{ port: 80 }] },
  } as KubernetesObject;
}
async function scale(ns: string, name: string, replicas: number): Promise<void> {
  await objects.patch(
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: ns },
      spec: { replicas },
    } as KubernetesObject,
    undefined,
    undefined,
    'ferry-rig-test',
    undefined,
    PatchStrategy.MergePatch,
  );
}
/** Waits until every Deployment in the namespace has all its replicas ready and no pod is left terminating. */
async function settled(ns: string): Promise<void> {
  await eventually(
    `pods of ${ns} ready`,
    async () => {
      const ds = (await apps.listNamespacedDeployment({ namespace: ns })).items;
      const pods = (await core.listNamespacedPod({ namespace: ns })).items;
      const want = ds.reduce((a, d) => a + (d.spec?.replicas ?? 0), 0);
      const ok =
        ds.every(
          (d) => (d.status?.readyReplicas ?? 0) === d.spec?.replicas && d.status?.replicas === d.spec?.replicas,
        ) && pods.length === want;
      return ok ? true : undefined;
    },
    120_000,
  );
}
async function value(promql: string): Promise<number> {
  const r = await prom.query(promql);
  if (r.kind !== 'value') throw new Error(`${promql}: ${r.kind === 'error' ? r.error.message : 'no data'}`);
  return r.value;
}
/** The 0.99 quantile of a histogram over the last 30 s (the pods style's in seconds by default). */
const p99 = (sel: string, histogram = 'http_request_duration_seconds') =>
  value(`histogram_quantile(0.99, sum by (le) (rate(${histogram}_bucket{${sel}}[30s])))`);
const rate = (sel: string) => value(`sum(rate(http_requests_total{${sel}}[30s]))`);
const istioRate = (sel: string) => value(`sum(rate(istio_requests_total{${sel}}[30s]))`);
const ingressRate = (sel: string) => value(`sum(rate(nginx_ingress_controller_requests{${sel}}[30s]))`);
/** The label sets of an instant vector (the PrometheusClient only returns single values). */
async function labelSets(promql: string): Promise<Record<string, string>[]> {
  const res = await fetch(`${inject('prometheusUrl')}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { data: { result: { metric: Record<string, string> }[] } };
  return body.data.result.map((r) => r.metric);
}

describe.concurrent('traffic simulator and Prometheus', () => {
  it('4 healthy replicas: the configured rps within 10 %, and the p99 the model gives', async () => {
    const ns = await namespace('rig-rps');
    await apply(deployment(ns, 'web', 'web', 4, 'example/web:v1'));
    await apply(service(ns, 'web', 'web', 200));
    await settled(ns);
    await sleep(WINDOW_MS);
    const sel = `namespace="${ns}",${podsOf('web')}`;
    expect(Math.abs((await rate(sel)) / 200 - 1)).toBeLessThan(0.1);
    const model = latencyQuantile(behaviourOf(['example/web:v1']), 50, 0.99);
    expect(Math.abs((await p99(sel)) / model - 1)).toBeLessThan(0.2);
    // Every pod gets about a quarter (kube-proxy's uniform spread), and its own series.
    const perPod = await prom.query(`count(rate(http_requests_total{${sel}}[30s]) > 40)`);
    expect(perPod).toEqual({ kind: 'value', value: 4 });
    // The pods style: the series carry only `code`; the scrape adds the pod's identity as a PodMonitor would.
    const sets = await labelSets(`http_requests_total{namespace="${ns}"}`);
    expect(sets).toHaveLength(4);
    for (const l of sets) {
      expect(Object.keys(l).sort()).toEqual(['__name__', 'code', 'container', 'instance', 'job', 'namespace', 'pod']);
      expect(l).toMatchObject({ namespace: ns, container: 'app', job: `${ns}/web`, code: '200' });
      expect(l.pod).toMatch(/^web-[a-z0-9]+-[a-z0-9]+$/);
    }
    // Istio's series: the same load by destination workload, latency in milliseconds.
    const istio = `destination_workload_namespace="${ns}",destination_workload="web"`;
    expect(
      Math.abs((await istioRate(`${istio},destination_service_name="web",reporter="destination"`)) / 200 - 1),
    ).toBeLessThan(0.1);
    const istioP99 = await p99(`${istio},response_code="200"`, 'istio_request_duration_milliseconds');
    expect(Math.abs(istioP99 / 1000 / model - 1)).toBeLessThan(0.2);
    // ingress-nginx's: the annotated Service is the ingress, and the backend.
    const ingress = `namespace="${ns}",ingress="web",service="web"`;
    expect(Math.abs((await ingressRate(`${ingress},status="200"`)) / 200 - 1)).toBeLessThan(0.1);
    const ingressP99 = await p99(ingress, 'nginx_ingress_controller_request_duration_seconds');
    expect(Math.abs(ingressP99 / model - 1)).toBeLessThan(0.2);
    // The SLO autoscaler's read of the same histograms (raw bucket samples, bounds in ms): read linearly it is
    // what histogram_quantile says; following the tail it is as close to the model, with pods' and Istio's buckets.
    for (const [provider, promP99] of [
      ['pods', (await p99(sel)) * 1000],
      ['istio', istioP99],
    ] as const) {
      const r = await workloadMetrics(prom, { provider }, 'rig').latencyTail(
        { namespace: ns, workload: 'web', service: 'web' },
        30,
        0.99,
      );
      expect(r.kind, provider).toBe('value');
      if (r.kind !== 'value') continue;
      expect(Math.abs(r.linear / promP99 - 1), provider).toBeLessThan(0.05);
      expect(Math.abs(r.value / 1000 / model - 1), provider).toBeLessThan(0.2);
    }
  });

  it('1 then 3 of 4 replicas on an :errors image: the 5xx ratio follows (5 %, then 15 %)', async () => {
    const ns = await namespace('rig-errors');
    await apply(deployment(ns, 'api', 'api', 3, 'example/api:v1'));
    await apply(deployment(ns, 'api-broken', 'api', 1, 'example/api:v1-errors'));
    await apply(service(ns, 'api', 'api', 200));
    await settled(ns);
    // A Deployment's pods by name: `api-…` does not take in `api-broken-…`.
    const pods = async (d: string) =>
      new Set((await labelSets(`http_requests_total{namespace="${ns}",${podsOf(d)}}`)).map((l) => l.job));
    await eventually('both Deployments scraped', async () =>
      (await pods('api')).size > 0 && (await pods('api-broken')).size > 0 ? true : undefined,
    );
    expect(await pods('api')).toEqual(new Set([`${ns}/api`]));
    expect(await pods('api-broken')).toEqual(new Set([`${ns}/api-broken`]));
    await sleep(WINDOW_MS);
    const ratio = () =>
      value(
        `sum(rate(http_requests_total{namespace="${ns}",code=~"5.."}[30s])) / ` +
          `sum(rate(http_requests_total{namespace="${ns}"}[30s]))`,
      );
    expect(Math.abs((await ratio()) - 0.05)).toBeLessThan(0.02);
    await scale(ns, 'api', 1);
    await scale(ns, 'api-broken', 3);
    await settled(ns);
    await sleep(WINDOW_MS);
    expect(Math.abs((await ratio()) - 0.15)).toBeLessThan(0.025);
    // The broken pods are told apart by their names (pods style) and by their workload (Istio's).
    const broken = `namespace="${ns}",${podsOf('api-broken')}`;
    expect(Math.abs((await rate(`${broken},code="500"`)) / (await rate(broken)) - 0.2)).toBeLessThan(0.03);
    const healthy = `namespace="${ns}",${podsOf('api')}`;
    expect(await rate(`${healthy},code="500"`).catch((e: Error) => e.message)).toMatch(/no data/);
    const istio = `destination_workload_namespace="${ns}",destination_workload="api-broken"`;
    expect(Math.abs((await istioRate(`${istio},response_code="500"`)) / (await istioRate(istio)) - 0.2)).toBeLessThan(
      0.03,
    );
  });

  it('an HTTPRoute with weights 90/10 between two Services splits the traffic 90/10', async () => {
    const ns = await namespace('rig-route');
    await apply(deployment(ns, 'stable', 'stable', 2, 'example/web:v1'));
    await apply(deployment(ns, 'preview', 'preview', 2, 'example/web:v2'));
    await apply(service(ns, 'stable', 'stable'));
    await apply(service(ns, 'preview', 'preview'));
    await apply({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'web', namespace: ns, annotations: { 'sim.ferry.dev/rps': '300' } },
      spec: {
        hostnames: ['web.example.com'],
        rules: [
          {
            backendRefs: [
              { name: 'stable', port: 80, weight: 90 },
              { name: 'preview', port: 80, weight: 10 },
            ],
          },
        ],
      },
    } as KubernetesObject);
    await settled(ns);
    await sleep(WINDOW_MS);
    const total = await rate(`namespace="${ns}"`);
    expect(Math.abs(total / 300 - 1)).toBeLessThan(0.1);
    expect(Math.abs((await rate(`namespace="${ns}",${podsOf('preview')}`)) / total - 0.1)).toBeLessThan(0.02);
    // ingress-nginx: the HTTPRoute is the ingress, each backendRef a service.
    const ingress = `namespace="${ns}",ingress="web"`;
    const viaIngress = await ingressRate(ingress);
    expect(Math.abs(viaIngress / 300 - 1)).toBeLessThan(0.1);
    expect(Math.abs((await ingressRate(`${ingress},service="preview"`)) / viaIngress - 0.1)).toBeLessThan(0.02);
    // Istio: the Service each request came through.
    const istio = `destination_service_namespace="${ns}",destination_service_name="preview"`;
    expect(Math.abs((await istioRate(istio)) / total - 0.1)).toBeLessThan(0.02);
  });

  it('ingress-nginx answers 503 for a backend with no ready pod; the simulator counts them too', async () => {
    const ns = await namespace('rig-503');
    await apply(deployment(ns, 'web', 'web', 1, 'example/web:v1'));
    await apply(service(ns, 'web', 'web'));
    await apply(service(ns, 'web-canary', 'nothing-has-this-label'));
    await apply({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'shop', namespace: ns, annotations: { 'sim.ferry.dev/rps': '100' } },
      spec: {
        rules: [
          {
            backendRefs: [
              { name: 'web', port: 80, weight: 50 },
              { name: 'web-canary', port: 80, weight: 50 },
            ],
          },
        ],
      },
    } as KubernetesObject);
    await settled(ns);
    await sleep(WINDOW_MS);
    expect(await value('up{job="ingress-nginx"}')).toBe(1);
    const refused = await ingressRate(`namespace="${ns}",ingress="shop",service="web-canary",status="503"`);
    expect(Math.abs(refused / 50 - 1)).toBeLessThan(0.15);
    expect(
      await ingressRate(`namespace="${ns}",ingress="shop",service="web-canary",status!="503"`).catch(() => 0),
    ).toBe(0);
    expect(
      Math.abs((await ingressRate(`namespace="${ns}",ingress="shop",service="web",status="200"`)) / 50 - 1),
    ).toBeLessThan(0.15);
    const unrouted = await value(`sum(rate(sim_unrouted_requests_total{namespace="${ns}",service="web-canary"}[30s]))`);
    expect(Math.abs(unrouted / refused - 1)).toBeLessThan(0.1);
  });

  it('above capacity the p99 rises; after scaling out it falls again', async () => {
    const ns = await namespace('rig-load');
    const annotations = { 'sim.ferry.dev/capacity-rps': '100' };
    await apply(deployment(ns, 'busy', 'busy', 1, 'example/busy:v1', annotations));
    await apply(service(ns, 'busy', 'busy', 150));
    await settled(ns);
    await sleep(WINDOW_MS);
    const b = behaviourOf(['example/busy:v1'], annotations);
    const sel = `namespace="${ns}"`;
    const high = await p99(sel);
    expect(high).toBeGreaterThan(2);
    expect(Math.abs(high / latencyQuantile(b, 150, 0.99) - 1)).toBeLessThan(0.25);
    await scale(ns, 'busy', 4);
    await settled(ns);
    await sleep(WINDOW_MS);
    const low = await p99(sel);
    expect(low).toBeLessThan(0.3);
    expect(Math.abs(low / latencyQuantile(b, 150 / 4, 0.99) - 1)).toBeLessThan(0.25);
  });

  it('picks up a changed load while it runs', async () => {
    const ns = await namespace('rig-profile');
    await apply(deployment(ns, 'web', 'web', 2, 'example/web:v1'));
    await apply(service(ns, 'web', 'web', 50));
    await settled(ns);
    await sleep(22_000);
    const sel = `namespace="${ns}"`;
    const before = await value(`sum(rate(http_requests_total{${sel}}[20s]))`);
    await apply(service(ns, 'web', 'web', 250));
    await sleep(22_000);
    const after = await value(`sum(rate(http_requests_total{${sel}}[20s]))`);
    expect(Math.abs(before / 50 - 1)).toBeLessThan(0.15);
    expect(Math.abs(after / 250 - 1)).toBeLessThan(0.15);
  });
});

describe('a cluster of its own, with metrics', () => {
  it(
    'cluster:up --with-metrics prints the Prometheus URL; --metric-styles leaves the ingress controller out; ' +
      'a stopped Prometheus is reported by address; cluster:down stops every process',
    async () => {
      const name = `ferry-rig-${process.pid}`;
      const cli = join(process.cwd(), 'dist', 'src', 'localcluster', 'cli.js');
      let stderr = '';
      const up = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [
          cli,
          'up',
          '--name',
          name,
          '--with-metrics',
          '--metric-styles=pods,istio',
        ]);
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d));
        child.stderr.on('data', (d: Buffer) => (stderr += d));
        child.on('exit', (code: number) =>
          code === 0 ? resolve(out) : reject(new Error(`cluster:up exited ${code}: ${stderr}`)),
        );
      });
      try {
        const url = /Prometheus: (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1];
        expect(url).toBeDefined();
        expect(up.trim().split('\n').pop()).toMatch(/clusters\/ferry-rig-\d+\/kubeconfig$/);
        const state = readState(name)!;
        expect(state.components.map((c) => c.name)).toEqual(expect.arrayContaining(['prometheus', 'traffic']));
        // No ingress controller: neither served by the simulator nor scraped.
        const simulator = `http://127.0.0.1:${state.ports.traffic}`;
        expect((await fetch(`${simulator}/metrics/ingress-nginx`)).status).toBe(404);
        expect((await fetch(`${simulator}/healthz`)).status).toBe(200);
        const config = readFileSync(join(clusterDir(name), 'prometheus', 'prometheus.yml'), 'utf8');
        expect(config).toContain('job_name: pods');
        expect(config).not.toContain('ingress-nginx');
        const client = new PrometheusClient({ url: url!, attempts: 2, backoffMs: () => 100 });
        await eventually('Prometheus answers', async () =>
          (await client.query('vector(1)')).kind === 'value' ? true : undefined,
        );
        await killComponent(name, 'prometheus');
        const r = await client.query('up');
        expect(r).toMatchObject({ kind: 'error', error: { reason: 'unreachable' } });
        expect(r.kind === 'error' && r.error.message).toMatch(
          new RegExp(`^cannot reach Prometheus at ${url!.replace(/\./g, '\\.')}`),
        );
        // Back again, so that cluster:down has it to stop too.
        await restartComponent(name, 'prometheus');
        expect((await client.query('vector(1)')).kind).toBe('value');
      } finally {
        const pids = readState(name)?.components ?? [];
        // Not execFileSync: this process must stay free to reap the Prometheus it restarted.
        await promisify(execFile)(process.execPath, [cli, 'down', '--name', name]);
        expect(pids.length).toBeGreaterThanOrEqual(7);
        for (const c of pids) expect(isAlive(c.pid), `${c.name} (pid ${c.pid}) still running`).toBe(false);
      }
    },
  );
});
