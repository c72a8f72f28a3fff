/**
 * The simulated pods' own metrics, as each pod's /metrics would expose them: one prom-client
 * registry per pod with `http_requests_total{namespace,service,pod,workload,pod_template_hash,code}`
 * and the histogram `http_request_duration_seconds` (same labels but `code`). Counters start at 0
 * when a pod first appears, like a new process; a pod that goes away takes its metrics with it.
 */
import { Counter, Histogram, Registry } from 'prom-client';
import type { Outcome } from './behaviour.js';
import { podKey, type SimPod } from './routing.js';

export const BUCKETS = [
  0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30,
];
const LABELS = ['namespace', 'service', 'pod', 'workload', 'pod_template_hash'] as const;

interface PodMetrics {
  pod: SimPod;
  registry: Registry;
  requests: Counter<(typeof LABELS)[number] | 'code'>;
  duration: Histogram<(typeof LABELS)[number]>;
}

export class PodExposition {
  private readonly pods = new Map<string, PodMetrics>();

  /** Keeps the metrics of these pods (new ones start at 0), drops those of pods no longer present. */
  sync(pods: readonly SimPod[]): void {
    const keep = new Set(pods.map(podKey));
    for (const k of this.pods.keys()) if (!keep.has(k)) this.pods.delete(k);
    for (const p of pods) {
      const known = this.pods.get(podKey(p));
      if (known) {
        known.pod = p;
        continue;
      }
      const registry = new Registry();
      const requests = new Counter({
        name: 'http_requests_total',
        help: 'Requests served, by status code (simulated).',
        labelNames: [...LABELS, 'code'],
        registers: [registry],
      });
      const duration = new Histogram({
        name: 'http_request_duration_seconds',
        help: 'Request latency (simulated).',
        labelNames: [...LABELS],
        buckets: BUCKETS,
        registers: [registry],
      });
      this.pods.set(podKey(p), { pod: p, registry, requests, duration });
    }
  }

  record(pod: SimPod, service: string, o: Outcome): void {
    const m = this.pods.get(podKey(pod));
    if (!m) return;
    const labels = {
      namespace: pod.namespace,
      service,
      pod: pod.name,
      workload: pod.workload,
      pod_template_hash: pod.podTemplateHash,
    };
    m.requests.inc({ ...labels, code: String(o.code) });
    m.duration.observe(labels, o.seconds);
  }

  /** The exposition text of one pod, or undefined when it is unknown. */
  async text(namespace: string, name: string): Promise<string | undefined> {
    return this.pods.get(`${namespace}/${name}`)?.registry.metrics();
  }

  /** Prometheus file_sd target groups: one per pod, scraped at /metrics/<namespace>/<pod>. */
  targets(address: string): object[] {
    return [...this.pods.values()].map(({ pod }) => ({
      targets: [address],
      labels: {
        __metrics_path__: `/metrics/${pod.namespace}/${pod.name}`,
        namespace: pod.namespace,
        pod: pod.name,
        workload: pod.workload,
        pod_template_hash: pod.podTemplateHash,
      },
    }));
  }
}
