import { describe, expect, it } from 'vitest';
import { BUCKETS, ISTIO_BUCKETS_MS } from './exposition.js';
import { SimMetrics } from './metrics.js';
import { seeded } from './rng.js';
import { simPod, type FlowSource } from './routing.js';
import { Simulator } from './simulator.js';
import { checkMetricStyles, METRIC_STYLES, parseMetricStyles, type MetricStyle } from './styles.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
/** The samples of an exposition text. */
function samples(text: string | undefined): Sample[] {
  return (text ?? '')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(l);
      if (!m) throw new Error(`not a sample: ${l}`);
      const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]));
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}
const named = (all: Sample[], name: string) => all.filter((s) => s.name === name);

const pod = (name: string, workload: string, ready = true) =>
  simPod({
    metadata: {
      namespace: 'shop',
      name,
      labels: { app: 'web', 'pod-template-hash': 'abc12' },
      ownerReferences: [{ kind: 'ReplicaSet', name: `${workload}-abc12` }],
    },
    spec: { containers: [{ image: 'web:v1' }] },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
const canary = pod('web-canary-abc12-x7k2p', 'web-canary');
const stable = pod('web-abc12-q9z8m', 'web');
const route: FlowSource = { kind: 'HTTPRoute', namespace: 'shop', name: 'storefront' };

/** Two requests served by the canary pod through Service `web` (one 500) and one by the stable pod. */
function played(styles: readonly MetricStyle[]): SimMetrics {
  const m = new SimMetrics(styles);
  m.syncPods([canary, stable]);
  m.syncFlows([{ id: 'HTTPRoute/shop/storefront', source: route, rps: 1, backends: [] }]);
  m.record(route, canary, 'web', { seconds: 0.012, code: 200 });
  m.record(route, canary, 'web', { seconds: 0.4, code: 500 });
  m.record(route, stable, 'web', { seconds: 0.012, code: 200 });
  return m;
}
const podText = (m: SimMetrics, p = canary) => m.text(`/metrics/shop/${p.name}`);

describe('pods style', () => {
  it('exposes http_requests_total{code} and an unlabelled seconds histogram per pod', async () => {
    const all = samples(await podText(played(['pods'])));
    expect(named(all, 'http_requests_total')).toEqual([
      { name: 'http_requests_total', labels: { code: '200' }, value: 1 },
      { name: 'http_requests_total', labels: { code: '500' }, value: 1 },
    ]);
    const buckets = named(all, 'http_request_duration_seconds_bucket');
    expect(buckets.map((b) => b.labels.le)).toEqual([...BUCKETS.map(String), '+Inf']);
    expect(buckets.map((b) => Object.keys(b.labels))).toEqual(buckets.map(() => ['le']));
    // 12 ms lands in the 20 ms bucket, not in the 10 ms one: the buckets are in seconds.
    expect(buckets.find((b) => b.labels.le === '0.01')!.value).toBe(0);
    expect(buckets.find((b) => b.labels.le === '0.02')!.value).toBe(1);
    const sum = named(all, 'http_request_duration_seconds_sum');
    expect(sum.map((s) => s.labels)).toEqual([{}]);
    expect(sum[0]!.value).toBeCloseTo(0.412);
  });

  it('labels each pod target as a PodMonitor would: namespace, pod, container, job; no workload', () => {
    expect(played(['pods']).podTargets('127.0.0.1:9000')).toEqual([
      {
        targets: ['127.0.0.1:9000'],
        labels: {
          __metrics_path__: '/metrics/shop/web-canary-abc12-x7k2p',
          namespace: 'shop',
          pod: 'web-canary-abc12-x7k2p',
          container: 'app',
          job: 'shop/web-canary',
        },
      },
      {
        targets: ['127.0.0.1:9000'],
        labels: {
          __metrics_path__: '/metrics/shop/web-abc12-q9z8m',
          namespace: 'shop',
          pod: 'web-abc12-q9z8m',
          container: 'app',
          job: 'shop/web',
        },
      },
    ]);
  });
});

describe('istio style', () => {
  const labels = (code: string) => ({
    reporter: 'destination',
    destination_workload: 'web-canary',
    destination_workload_namespace: 'shop',
    destination_service_name: 'web',
    destination_service_namespace: 'shop',
    destination_canonical_service: 'web-canary',
    response_code: code,
    request_protocol: 'http',
    source_workload: 'unknown',
  });

  it("names the pod's workload and the Service the request came through", async () => {
    const all = samples(await podText(played(['istio'])));
    expect(named(all, 'istio_requests_total')).toEqual([
      { name: 'istio_requests_total', labels: labels('200'), value: 1 },
      { name: 'istio_requests_total', labels: labels('500'), value: 1 },
    ]);
    expect(named(samples(await podText(played(['istio']), stable)), 'istio_requests_total')[0]!.labels).toMatchObject({
      destination_workload: 'web',
      destination_canonical_service: 'web',
    });
  });

  it('keeps response_code on a histogram in milliseconds', async () => {
    const all = samples(await podText(played(['istio'])));
    const ok = named(all, 'istio_request_duration_milliseconds_bucket').filter((b) => b.labels.response_code === '200');
    expect(ok.map((b) => b.labels.le)).toEqual([...ISTIO_BUCKETS_MS.map(String), '+Inf']);
    expect(ok.map(({ labels: { le, ...rest } }) => rest)).toEqual(ok.map(() => labels('200')));
    // 12 ms: in the 25 ms bucket, not the 10 ms one.
    expect(ok.find((b) => b.labels.le === '10')!.value).toBe(0);
    expect(ok.find((b) => b.labels.le === '25')!.value).toBe(1);
    expect(named(all, 'istio_request_duration_milliseconds_sum').map((s) => s.value)).toEqual([12, 400]);
  });
});

describe('nginx-ingress style', () => {
  const labels = (service: string, status: string) => ({
    namespace: 'shop',
    ingress: 'storefront',
    service,
    status,
    method: 'GET',
    path: '/',
    host: '',
    canary: '',
  });

  it('counts every request by its flow (the ingress) and backend Service, with a seconds histogram', async () => {
    const all = samples(await played(['nginx-ingress']).text('/metrics/ingress-nginx'));
    expect(named(all, 'nginx_ingress_controller_requests')).toEqual([
      { name: 'nginx_ingress_controller_requests', labels: labels('web', '200'), value: 2 },
      { name: 'nginx_ingress_controller_requests', labels: labels('web', '500'), value: 1 },
    ]);
    const ok = named(all, 'nginx_ingress_controller_request_duration_seconds_bucket').filter(
      (b) => b.labels.status === '200',
    );
    expect(ok.map((b) => b.labels.le)).toEqual([...BUCKETS.map(String), '+Inf']);
    expect(ok.find((b) => b.labels.le === '0.02')).toMatchObject({ labels: { ...labels('web', '200') }, value: 2 });
  });

  it('answers requests for a backend with no ready pod 503 (that Service), still counted as unrouted', async () => {
    const m = new SimMetrics(['nginx-ingress']);
    const sim = new Simulator(seeded(1), m);
    const p = (name: string, app: string, ready: boolean) => ({
      metadata: { namespace: 'shop', name, labels: { app } },
      status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
    });
    const svc = (name: string) => ({ metadata: { namespace: 'shop', name }, spec: { selector: { app: name } } });
    sim.reset('Pod', [p('web-1', 'web', true), p('web-canary-1', 'web-canary', false)]);
    sim.reset('Service', [svc('web'), svc('web-canary')]);
    sim.reset('HTTPRoute', [
      {
        metadata: { namespace: 'shop', name: 'storefront', annotations: { 'sim.ferry.dev/rps': '100' } },
        spec: {
          rules: [
            {
              backendRefs: [
                { name: 'web', weight: 50 },
                { name: 'web-canary', weight: 50 },
              ],
            },
          ],
        },
      },
    ]);
    for (let i = 0; i < 10; i++) sim.tick(0.1);
    const all = samples(await m.text('/metrics/ingress-nginx'));
    const requests = named(all, 'nginx_ingress_controller_requests');
    expect(requests.map((s) => s.labels)).toEqual([labels('web', '200'), labels('web-canary', '503')]);
    expect(requests.reduce((a, s) => a + s.value, 0)).toBe(100);
    const refused = requests[1]!.value;
    expect(refused).toBeGreaterThan(30);
    expect(
      named(all, 'nginx_ingress_controller_request_duration_seconds_count').find((s) => s.labels.status === '503')!
        .value,
    ).toBe(refused);
    expect(named(samples(await m.text('/metrics')), 'sim_unrouted_requests_total')).toEqual([
      { name: 'sim_unrouted_requests_total', labels: { namespace: 'shop', service: 'web-canary' }, value: refused },
    ]);
  });

  it("drops an ingress's series when its flow ends", async () => {
    const m = played(['nginx-ingress']);
    const other: FlowSource = { kind: 'Service', namespace: 'shop', name: 'api' };
    m.record(other, stable, 'api', { seconds: 0.01, code: 200 });
    m.syncFlows([{ id: 'Service/shop/api', source: other, rps: 1, backends: [] }]);
    const all = samples(await m.text('/metrics/ingress-nginx'));
    expect(new Set(all.map((s) => s.labels.ingress))).toEqual(new Set(['api']));
  });
});

describe('metric styles switched off', () => {
  it.each<[MetricStyle[], string[]]>([
    [['pods'], ['http_request']],
    [['istio'], ['istio_request']],
    [
      ['pods', 'istio'],
      ['http_request', 'istio_request'],
    ],
    [['nginx-ingress'], []],
  ])('%j: a pod exposes only %j', async (styles, prefixes) => {
    const names = samples(await podText(played(styles))).map((s) => s.name);
    for (const p of ['http_request', 'istio_request']) {
      expect(names.some((n) => n.startsWith(p))).toBe(prefixes.includes(p));
    }
  });

  it('without a per-pod style there are no pod targets; without nginx-ingress no ingress controller', async () => {
    const ingressOnly = played(['nginx-ingress']);
    expect(ingressOnly.podTargets('127.0.0.1:9000')).toEqual([]);
    expect(await podText(ingressOnly)).toBeUndefined();
    expect(played(['istio']).podTargets('127.0.0.1:9000')).toHaveLength(2);
    expect(await played(['pods', 'istio']).text('/metrics/ingress-nginx')).toBeUndefined();
    expect(samples(await played(['pods']).text('/metrics')).map((s) => s.name)).toEqual([]);
  });
});

describe('parseMetricStyles', () => {
  it('reads a comma-separated list in any order, and refuses unknown or no styles', () => {
    expect(parseMetricStyles('nginx-ingress, pods')).toEqual(['pods', 'nginx-ingress']);
    expect(parseMetricStyles(METRIC_STYLES.join(','))).toEqual([...METRIC_STYLES]);
    expect(() => parseMetricStyles('pods,linkerd')).toThrow(/unknown linkerd; choose from pods, istio, nginx-ingress/);
    expect(() => parseMetricStyles(' , ')).toThrow(/none given/);
    expect(() => checkMetricStyles('envoy')).toThrow(expect.objectContaining({ code: 'commander.invalidArgument' }));
    expect(checkMetricStyles('istio')).toBe('istio');
  });
});
