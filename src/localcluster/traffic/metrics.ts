/**
 * Everything the traffic simulator exposes, by the metric styles switched on: each pod's text (`pods`,
 * `istio`), the ingress controller's (`nginx-ingress`) and, always, the simulator's own
 * `sim_unrouted_requests_total{namespace,service}`. It is the Simulator's Recorder, and answers the HTTP
 * paths of the simulator's port with the text there (undefined: nothing there).
 */
import { Counter, Registry } from 'prom-client';
import type { Outcome } from './behaviour.js';
import { PodExposition } from './exposition.js';
import { IngressExposition } from './ingress.js';
import type { Flow, FlowSource, SimPod } from './routing.js';
import type { Recorder } from './simulator.js';
import { INGRESS_PATH, type MetricStyle } from './styles.js';

export class SimMetrics implements Recorder {
  private readonly pods: PodExposition;
  private readonly ingress: IngressExposition | undefined;
  private readonly own = new Registry();
  private readonly unroutedTotal = new Counter({
    name: 'sim_unrouted_requests_total',
    help: 'Requests for a Service with no ready pod.',
    labelNames: ['namespace', 'service'],
    registers: [this.own],
  });

  constructor(styles: readonly MetricStyle[]) {
    this.pods = new PodExposition(styles);
    this.ingress = styles.includes('nginx-ingress') ? new IngressExposition() : undefined;
  }

  record(source: FlowSource, pod: SimPod, service: string, o: Outcome): void {
    this.pods.record(pod, service, o);
    this.ingress?.record(source, service, o);
  }

  unrouted(source: FlowSource, namespace: string, service: string, n: number): void {
    this.unroutedTotal.inc({ namespace, service }, n);
    this.ingress?.unrouted(source, service, n);
  }

  /** Follows the pods (their metrics come and go with them). */
  syncPods(pods: readonly SimPod[]): void {
    this.pods.sync(pods);
  }

  /** Follows the flows (the ingress controller's series of an Ingress go with its flow). */
  syncFlows(flows: readonly Flow[]): void {
    this.ingress?.sync(flows.map((f) => f.source));
  }

  /** The pods' file_sd target groups (none when no per-pod style is on). */
  podTargets(address: string): object[] {
    return this.pods.targets(address);
  }

  /** The text at a path of the simulator's port: `/metrics`, `/metrics/ingress-nginx`, `/metrics/<ns>/<pod>`. */
  async text(path: string): Promise<string | undefined> {
    if (path === '/metrics') return this.own.metrics();
    if (path === INGRESS_PATH) return this.ingress?.text();
    const m = /^\/metrics\/([^/]+)\/([^/?]+)$/.exec(path);
    return m ? this.pods.text(m[1]!, m[2]!) : undefined;
  }
}
