/**
 * Where the simulated requests go, as kube-proxy and a Gateway would send them: a Service's load is
 * spread uniformly over its ready pods (so shares follow replica ratios); an HTTPRoute's load is split
 * over its first rule's backendRefs by `weight`, then over each Service's ready pods. Pure.
 */
import { ANNOTATIONS, behaviourOf, type Behaviour } from './behaviour.js';

export interface SimPod {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  ready: boolean;
  /** The Deployment (or other owner) the pod belongs to: `web` for pod `web-7d9f-abcde`. */
  workload: string;
  behaviour: Behaviour;
}

export interface SimService {
  namespace: string;
  name: string;
  selector: Record<string, string>;
  annotations: Record<string, string>;
}

export interface SimRoute {
  namespace: string;
  name: string;
  annotations: Record<string, string>;
  backends: { namespace: string; service: string; weight: number }[];
}

export interface Backend {
  namespace: string;
  service: string;
  weight: number;
  pods: SimPod[];
}

/** The object a flow's load is sent to: for an ingress controller, the Ingress it serves. */
export interface FlowSource {
  kind: 'Service' | 'HTTPRoute';
  namespace: string;
  name: string;
}

/** One source of load: an annotated Service or HTTPRoute. */
export interface Flow {
  id: string;
  source: FlowSource;
  rps: number;
  backends: Backend[];
}

export interface Routing {
  flows: Flow[];
  /** Expected requests per second arriving at each pod (`namespace/name`). */
  arrival: Map<string, number>;
}

export const podKey = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;

function rpsOf(annotations: Record<string, string>): number | undefined {
  const v = annotations[ANNOTATIONS.rps];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

export function route(services: readonly SimService[], pods: readonly SimPod[], routes: readonly SimRoute[]): Routing {
  const byService = new Map<string, SimPod[]>();
  for (const s of services)
    byService.set(
      `${s.namespace}/${s.name}`,
      pods.filter((p) => p.ready && p.namespace === s.namespace && selects(s.selector, p.labels)),
    );
  const backend = (namespace: string, service: string, weight: number): Backend => ({
    namespace,
    service,
    weight,
    pods: byService.get(`${namespace}/${service}`) ?? [],
  });
  const flows: Flow[] = [];
  for (const s of services) {
    const rps = rpsOf(s.annotations);
    if (rps !== undefined)
      flows.push({
        id: `Service/${s.namespace}/${s.name}`,
        source: { kind: 'Service', namespace: s.namespace, name: s.name },
        rps,
        backends: [backend(s.namespace, s.name, 1)],
      });
  }
  for (const r of routes) {
    const rps = rpsOf(r.annotations);
    if (rps === undefined) continue;
    const backends = r.backends.filter((b) => b.weight > 0).map((b) => backend(b.namespace, b.service, b.weight));
    if (backends.length > 0) {
      const source = { kind: 'HTTPRoute', namespace: r.namespace, name: r.name } as const;
      flows.push({ id: `HTTPRoute/${r.namespace}/${r.name}`, source, rps, backends });
    }
  }
  const arrival = new Map<string, number>();
  for (const f of flows) {
    const total = f.backends.reduce((a, b) => a + b.weight, 0);
    for (const b of f.backends) {
      for (const p of b.pods)
        arrival.set(podKey(p), (arrival.get(podKey(p)) ?? 0) + (f.rps * b.weight) / total / b.pods.length);
    }
  }
  return { flows, arrival };
}

type Obj = {
  metadata?: {
    namespace?: string;
    name?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind?: string; name?: string }[];
    deletionTimestamp?: string;
  };
};

/** A Pod object as the simulator sees it. */
export function simPod(
  o: Obj & {
    spec?: { containers?: { image?: string }[] };
    status?: { conditions?: { type?: string; status?: string }[] };
  },
): SimPod {
  const m = o.metadata ?? {};
  const labels = m.labels ?? {};
  const hash = labels['pod-template-hash'] ?? '';
  const owner = m.ownerReferences?.[0]?.name;
  const workload =
    owner === undefined
      ? (m.name ?? '')
      : hash && owner.endsWith(`-${hash}`)
        ? owner.slice(0, -hash.length - 1)
        : owner;
  return {
    namespace: m.namespace ?? 'default',
    name: m.name ?? '',
    labels,
    ready: !m.deletionTimestamp && (o.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    workload,
    behaviour: behaviourOf(
      (o.spec?.containers ?? []).map((c) => c.image ?? ''),
      m.annotations ?? {},
    ),
  };
}

export function simService(o: Obj & { spec?: { selector?: Record<string, string> } }): SimService {
  return {
    namespace: o.metadata?.namespace ?? 'default',
    name: o.metadata?.name ?? '',
    selector: o.spec?.selector ?? {},
    annotations: o.metadata?.annotations ?? {},
  };
}

/** An HTTPRoute: its first rule's Service backendRefs (weight defaults to 1, as the Gateway API says). */
export function simRoute(
  o: Obj & {
    spec?: {
      rules?: {
        backendRefs?: { group?: string; kind?: string; name?: string; namespace?: string; weight?: number }[];
      }[];
    };
  },
): SimRoute {
  const namespace = o.metadata?.namespace ?? 'default';
  const refs = o.spec?.rules?.[0]?.backendRefs ?? [];
  return {
    namespace,
    name: o.metadata?.name ?? '',
    annotations: o.metadata?.annotations ?? {},
    backends: refs
      .filter((b) => (b.kind ?? 'Service') === 'Service' && (b.group ?? '') === '' && b.name)
      .map((b) => ({ namespace: b.namespace ?? namespace, service: b.name!, weight: b.weight ?? 1 })),
  };
}
