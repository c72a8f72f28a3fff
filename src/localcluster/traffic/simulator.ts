/**
 * The traffic simulator's core: the cluster objects it has seen, the routing they give, and a tick
 * that sends `rps × dt` requests per flow (fractions carried to the next tick) to pods drawn as
 * kube-proxy and the HTTPRoute weights would, each served by the pod's behaviour. The clock, the
 * watch and the metrics are outside: `Simulator` only turns objects and elapsed time into outcomes.
 */
import { serve, type Outcome } from './behaviour.js';
import { weighted, type Random } from './rng.js';
import {
  podKey,
  route,
  simPod,
  simRoute,
  simService,
  type FlowSource,
  type Routing,
  type SimPod,
  type SimRoute,
  type SimService,
} from './routing.js';

export type Kind = 'Pod' | 'Service' | 'HTTPRoute';

/** Where the outcomes go; `source` is the flow's annotated Service or HTTPRoute, `service` the backend taken. */
export interface Recorder {
  record(source: FlowSource, pod: SimPod, service: string, o: Outcome): void;
  /** Requests for a Service with no ready pod (a gateway answers them 503; no pod sees them). */
  unrouted(source: FlowSource, namespace: string, service: string, n: number): void;
}

type Obj = { metadata?: { namespace?: string; name?: string } };
const key = (o: Obj) => `${o.metadata?.namespace ?? 'default'}/${o.metadata?.name ?? ''}`;

export class Simulator {
  private readonly pods = new Map<string, SimPod>();
  private readonly services = new Map<string, SimService>();
  private readonly routes = new Map<string, SimRoute>();
  private readonly carry = new Map<string, number>();
  private routing: Routing | undefined;

  constructor(
    private readonly rng: Random,
    private readonly recorder: Recorder,
  ) {}

  /** Replaces every object of a kind (after a list). */
  reset(kind: Kind, objects: readonly object[]): void {
    this.table(kind).clear();
    for (const o of objects) this.upsert(kind, o);
  }

  upsert(kind: Kind, o: object): void {
    const k = key(o as Obj);
    if (kind === 'Pod') this.pods.set(k, simPod(o));
    else if (kind === 'Service') this.services.set(k, simService(o));
    else this.routes.set(k, simRoute(o));
    this.routing = undefined;
  }

  remove(kind: Kind, o: object): void {
    this.table(kind).delete(key(o as Obj));
    this.routing = undefined;
  }

  allPods(): SimPod[] {
    return [...this.pods.values()];
  }

  current(): Routing {
    this.routing ??= route([...this.services.values()], [...this.pods.values()], [...this.routes.values()]);
    return this.routing;
  }

  /** Sends the requests of `seconds` of simulated time. */
  tick(seconds: number): void {
    const { flows, arrival } = this.current();
    for (const f of flows) {
      const due = (this.carry.get(f.id) ?? 0) + f.rps * seconds;
      const n = Math.floor(due);
      this.carry.set(f.id, due - n);
      const weights = f.backends.map((b) => b.weight);
      const unrouted = new Map<number, number>();
      for (let i = 0; i < n; i++) {
        const bi = f.backends.length === 1 ? 0 : weighted(this.rng, weights);
        const b = f.backends[bi]!;
        if (b.pods.length === 0) {
          unrouted.set(bi, (unrouted.get(bi) ?? 0) + 1);
          continue;
        }
        const pod = b.pods[Math.floor(this.rng.next() * b.pods.length)]!;
        const outcome = serve(this.rng, pod.behaviour, arrival.get(podKey(pod)) ?? 0);
        this.recorder.record(f.source, pod, b.service, outcome);
      }
      for (const [bi, count] of unrouted)
        this.recorder.unrouted(f.source, f.backends[bi]!.namespace, f.backends[bi]!.service, count);
    }
    for (const id of this.carry.keys()) if (!flows.some((f) => f.id === id)) this.carry.delete(id);
  }

  private table(kind: Kind): Map<string, unknown> {
    return kind === 'Pod' ? this.pods : kind === 'Service' ? this.services : this.routes;
  }
}
