/**
 * The metrics rig against the real local cluster: the traffic simulator (a process of the cluster)
 * plays the load the annotations ask for, a real Prometheus scrapes it, and Ferry's PrometheusClient
 * queries it. Scenarios run side by side in their own namespaces; each waits until the 30 s rate
 * window holds only the state under test.
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
import { afterAll, describe, expect, inject, it } from 'vitest';
import { behaviourOf, latencyQuantile } from '../../src/localcluster/traffic/behaviour.js';
import { readState, isAlive } from '../../src/localcluster/state.js';
import { killComponent, restartComponent } from '../../src/localcluster/cluster.js';
import { PrometheusClient } from '../../src/metrics/prometheus.js';
import { eventually, sleep, testKubeConfig } from './kube.js';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const objects = kc.makeApiClient(KubernetesObjectApi);
const prom = new PrometheusClient({ url: inject('prometheusUrl') });
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
const p99 = (sel: string) =>
  value(`histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{${sel}}[30s])))`);
const rate = (sel: string) => value(`sum(rate(http_requests_total{${sel}}[30s]))`);

describe.concurrent('traffic simulator and Prometheus', () => {
  it('4 healthy replicas: the configured rps within 10 %, and the p99 the model gives', async () => {
    const ns = await namespace('rig-rps');
    await apply(deployment(ns, 'web', 'web', 4, 'example/web:v1'));
    await apply(service(ns, 'web', 'web', 200));
    await settled(ns);
    await sleep(WINDOW_MS);
    const sel = `namespace="${ns}",service="web"`;
    expect(Math.abs((await rate(sel)) / 200 - 1)).toBeLessThan(0.1);
    const model = latencyQuantile(behaviourOf(['example/web:v1']), 50, 0.99);
    expect(Math.abs((await p99(sel)) / model - 1)).toBeLessThan(0.2);
    // Every pod gets about a quarter (kube-proxy's uniform spread), and its own series.
    const perPod = await prom.query(`count(rate(http_requests_total{${sel}}[30s]) > 40)`);
    expect(perPod).toEqual({ kind: 'value', value: 4 });
  });

  it('1 then 3 of 4 replicas on an :errors image: the 5xx ratio follows (5 %, then 15 %)', async () => {
    const ns = await namespace('rig-errors');
    await apply(deployment(ns, 'api', 'api', 3, 'example/api:v1'));
    await apply(deployment(ns, 'api-broken', 'api', 1, 'example/api:v1-errors'));
    await apply(service(ns, 'api', 'api', 200));
    await settled(ns);
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
    // The broken pods are told apart by their workload label.
    expect(
      Math.abs(
        (await value(
          `sum(rate(http_requests_total{namespace="${ns}",workload="api-broken",code="500"}[30s])) / ` +
            `sum(rate(http_requests_total{namespace="${ns}",workload="api-broken"}[30s]))`,
        )) - 0.2,
      ),
    ).toBeLessThan(0.03);
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
    expect(Math.abs((await rate(`namespace="${ns}",service="preview"`)) / total - 0.1)).toBeLessThan(0.02);
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
    'cluster:up --with-metrics prints the Prometheus URL; a stopped Prometheus is reported by address; ' +
      'cluster:down stops every process',
    async () => {
      const name = `ferry-rig-${process.pid}`;
      const cli = join(process.cwd(), 'dist', 'src', 'localcluster', 'cli.js');
      let stderr = '';
      const up = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [cli, 'up', '--name', name, '--with-metrics']);
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
