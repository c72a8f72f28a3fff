/**
 * The simulated pods' own metrics, as each pod's /metrics would expose them: one prom-client registry
 * per pod holding the series of the per-pod styles switched on.
 * - `pods`: the app's `http_requests_total{code}` and histogram `http_request_duration_seconds` (no
 *   labels), with the pod's identity added at scrape time from its file_sd target (`namespace`, `pod`,
 *   `container="app"`, `job="<namespace>/<workload>"`), as a PodMonitor's relabelling would.
 * - `istio`: Istio's standard `istio_requests_total` and histogram `istio_request_duration_milliseconds`
 *   as the destination sidecar reports them, merged into the same text as Istio's metrics merging does.
 * Counters start at 0 when a pod first appears, like a new process; a pod that goes away takes its
 * metrics with it.
 */
import { Counter, Histogram, Registry } from 'prom-client';
import type { Outcome } from './behaviour.js';
import { podKey, type SimPod } from './routing.js';
import type { MetricStyle } from './styles.js';

/** Latency buckets in seconds (the `pods` and `nginx-ingress` styles). */
export const BUCKETS = [
  0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30,
];
/** Istio's default latency buckets, in milliseconds. */
export const ISTIO_BUCKETS_MS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];
const ISTIO_LABELS = [
  'reporter',
  'destination_workload',
  'destination_workload_namespace',
  'destination_service_name',
  'destination_service_namespace',
  'destination_canonical_service',
  'response_code',
  'request_protocol',
  'source_workload',
] as const;

/** Records one request a pod served, through `service`. */
type RecordRequest = (pod: SimPod, service: string, o: Outcome) => void;

function podsStyle(registry: Registry): RecordRequest {
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'Requests served, by status code (simulated).',
    labelNames: ['code'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Request latency (simulated).',
    buckets: BUCKETS,
    registers: [registry],
  });
  return (_pod, _service, o) => {
    requests.inc({ code: String(o.code) });
    duration.observe(o.seconds);
  };
}

function istioStyle(registry: Registry): RecordRequest {
  const requests = new Counter({
    name: 'istio_requests_total',
    help: 'Requests seen by the destination sidecar (simulated).',
    labelNames: ISTIO_LABELS,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'istio_request_duration_milliseconds',
    help: 'Request duration seen by the destination sidecar, milliseconds (simulated).',
    labelNames: ISTIO_LABELS,
    buckets: ISTIO_BUCKETS_MS,
    registers: [registry],
  });
  return (pod, service, o) => {
    const labels = {
      reporter: 'destination',
      destination_workload: pod.workload,
      destination_workload_namespace: pod.namespace,
      destination_service_name: service,
      destination_service_namespace: pod.namespace,
      destination_canonical_service: pod.workload,
      response_code: String(o.code),
      request_protocol: 'http',
      source_workload: 'unknown',
    };
    requests.inc(labels);
    duration.observe(labels, o.seconds * 1000);
  };
}

const STYLES: Partial<{ [S in MetricStyle]: (registry: Registry) => RecordRequest }> = {
  pods: podsStyle,
  istio: istioStyle,
};

interface PodMetrics {
  pod: SimPod;
  registry: Registry;
  records: RecordRequest[];
}

export class PodExposition {
  private readonly pods = new Map<string, PodMetrics>();
  private readonly styles: ((registry: Registry) => RecordRequest)[];

  /** `styles` may name styles that are not per pod (`nginx-ingress`): they are ignored here. */
  constructor(styles: readonly MetricStyle[]) {
    this.styles = styles.flatMap((s) => STYLES[s] ?? []);
  }

  /** Keeps the metrics of these pods (new ones start at 0), drops those of pods no longer present. */
  sync(pods: readonly SimPod[]): void {
    const keep = new Set(this.styles.length > 0 ? pods.map(podKey) : []);
    for (const k of this.pods.keys()) if (!keep.has(k)) this.pods.delete(k);
    for (const p of pods) {
      if (!keep.has(podKey(p))) continue;
      const known = this.pods.get(podKey(p));
      if (known) {
        known.pod = p;
        continue;
      }
      const registry = new Registry();
      this.pods.set(podKey(p), { pod: p, registry, records: this.styles.map((style) => style(registry)) });
    }
  }

  record(pod: SimPod, service: string, o: Outcome): void {
    for (const r of this.pods.get(podKey(pod))?.records ?? []) r(pod, service, o);
  }

  /** The exposition text of one pod, or undefined when it is unknown. */
  async text(namespace: string, name: string): Promise<string | undefined> {
    return this.pods.get(`${namespace}/${name}`)?.registry.metrics();
  }

  /**
   * Prometheus file_sd target groups: one per pod, scraped at /metrics/<namespace>/<pod>, labelled as a
   * PodMonitor's relabelling labels a pod's series (the scrape job honours the labels a series has).
   */
  targets(address: string): object[] {
    return [...this.pods.values()].map(({ pod }) => ({
      targets: [address],
      labels: {
        __metrics_path__: `/metrics/${pod.namespace}/${pod.name}`,
        namespace: pod.namespace,
        pod: pod.name,
        container: 'app',
        job: `${pod.namespace}/${pod.workload}`,
      },
    }));
  }
}
