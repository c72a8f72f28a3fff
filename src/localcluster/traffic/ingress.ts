/**
 * The `nginx-ingress` style: the metrics of a simulated ingress-nginx controller that every flow goes
 * through, one target served at /metrics/ingress-nginx. The flow's source (the annotated Service or
 * HTTPRoute) plays the Ingress, the backend Service the request went to is `service`:
 * `nginx_ingress_controller_requests` (counter) and histogram
 * `nginx_ingress_controller_request_duration_seconds`, both labelled
 * `namespace, ingress, service, status, method, path, host, canary`. Requests for a backend with no ready
 * pod are answered 503 at once, as the controller does. An Ingress whose flow ends takes its series with
 * it, as the controller drops a removed Ingress's metrics.
 */
import { Counter, Histogram, Registry } from 'prom-client';
import type { Outcome } from './behaviour.js';
import { BUCKETS } from './exposition.js';
import type { FlowSource } from './routing.js';

const LABELS = ['namespace', 'ingress', 'service', 'status', 'method', 'path', 'host', 'canary'] as const;
type Labels = { [L in (typeof LABELS)[number]]: string };

const sourceKey = (s: FlowSource) => `${s.namespace}/${s.name}`;

export class IngressExposition {
  private readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'nginx_ingress_controller_requests',
    help: 'The total number of client requests (simulated).',
    labelNames: LABELS,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'nginx_ingress_controller_request_duration_seconds',
    help: 'The request processing time in seconds (simulated).',
    labelNames: LABELS,
    buckets: BUCKETS,
    registers: [this.registry],
  });
  /** The label sets written, by source, so that a source's series can be removed. */
  private readonly written = new Map<string, Map<string, Labels>>();

  record(source: FlowSource, service: string, o: Outcome): void {
    const labels = this.labels(source, service, o.code);
    this.requests.inc(labels);
    this.duration.observe(labels, o.seconds);
  }

  /** `n` requests for a backend with no ready pod: 503, answered in no time. */
  unrouted(source: FlowSource, service: string, n: number): void {
    const labels = this.labels(source, service, 503);
    this.requests.inc(labels, n);
    for (let i = 0; i < n; i++) this.duration.observe(labels, 0);
  }

  /** Drops the series of sources that are no longer sent load. */
  sync(sources: readonly FlowSource[]): void {
    const keep = new Set(sources.map(sourceKey));
    for (const [k, sets] of this.written) {
      if (keep.has(k)) continue;
      for (const labels of sets.values()) {
        this.requests.remove(labels);
        this.duration.remove(labels);
      }
      this.written.delete(k);
    }
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  private labels(source: FlowSource, service: string, code: number): Labels {
    const labels: Labels = {
      namespace: source.namespace,
      ingress: source.name,
      service,
      status: String(code),
      method: 'GET',
      path: '/',
      host: '',
      canary: '',
    };
    const sets = this.written.get(sourceKey(source)) ?? new Map<string, Labels>();
    this.written.set(sourceKey(source), sets.set(`${service}\n${code}`, labels));
    return labels;
  }
}
