/**
 * What a canary works on, computed from the rendered objects: each component with a `canary` trait,
 * its workload (the Deployment the component renders), and the objects the canary adds beside it
 * (`<name>-canary` Deployment, and in gateway mode a `<service>-canary` Service and the HTTPRoute's
 * weights). Pure: the runner applies what these functions return.
 */
import type { KubeObject } from '../../objects/objects.js';
import { hashOf } from '../../util/hash.js';

export const LABEL_TRACK = 'ferry.dev/track';
export const LABEL_CANARY_OF = 'ferry.dev/canary-of';
export const ANN_COMMIT = 'ferry.dev/canary-commit';

type Template = {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: unknown;
};
type DeploymentSpec = { replicas?: number; selector?: { matchLabels?: Record<string, string> }; template?: Template };
const specOf = (o: KubeObject) => ((o as { spec?: DeploymentSpec }).spec ?? {}) as DeploymentSpec;

export const templateOf = (o: KubeObject): Template | undefined => specOf(o).template;
export const templateHash = (o: KubeObject): string => hashOf(templateOf(o) ?? {});

/** The Deployment a component renders (its `app.oam.dev/component` label, or its name). */
export function canaryWorkload(component: string, objects: readonly KubeObject[]): KubeObject | undefined {
  return objects.find(
    (o) =>
      o.kind === 'Deployment' &&
      o.apiVersion === 'apps/v1' &&
      (o.metadata.labels?.['app.oam.dev/component'] === component || o.metadata.name === component),
  );
}

/** Canary replicas so that their share of ready pods is the weight, the stable `n` kept serving: c/(n+c) ≈ w. */
export function canaryReplicas(stable: number, weight: number): number {
  if (stable <= 0) return 1;
  return Math.max(1, Math.round((stable * weight) / (100 - weight)));
}

export const canaryName = (workload: string) => `${workload}-canary`;

/**
 * The canary Deployment: the rendered workload's new template under `<name>-canary`, its pods told apart
 * by `ferry.dev/track: canary`. In gateway mode its pods drop the labels the stable Service selects on,
 * so only the canary Service reaches them.
 */
export function canaryDeployment(
  workload: KubeObject,
  replicas: number,
  commit: string,
  dropLabels: readonly string[] = [],
): KubeObject {
  const s = specOf(workload);
  const name = canaryName(workload.metadata.name);
  const keep = (l: Record<string, string> | undefined) =>
    Object.fromEntries(Object.entries(l ?? {}).filter(([k]) => !dropLabels.includes(k)));
  const podLabels = {
    ...keep(s.template?.metadata?.labels),
    [LABEL_TRACK]: 'canary',
    [LABEL_CANARY_OF]: workload.metadata.name,
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: workload.metadata.namespace,
      labels: { ...keep(workload.metadata.labels), [LABEL_TRACK]: 'canary', [LABEL_CANARY_OF]: workload.metadata.name },
      annotations: { [ANN_COMMIT]: commit },
    },
    spec: {
      ...(s as object),
      replicas,
      selector: {
        matchLabels: {
          ...keep(s.selector?.matchLabels),
          [LABEL_TRACK]: 'canary',
          [LABEL_CANARY_OF]: workload.metadata.name,
        },
      },
      template: { ...(s.template ?? {}), metadata: { ...(s.template?.metadata ?? {}), labels: podLabels } },
    },
  } as KubeObject;
}

/** The canary Service (gateway mode): the stable Service's ports, selecting only the canary's pods. */
export function canaryService(stable: KubeObject, workload: string): KubeObject {
  const ports = ((stable as { spec?: { ports?: unknown[] } }).spec?.ports ?? []) as {
    name?: string;
    port: number;
    targetPort?: unknown;
    protocol?: string;
  }[];
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: canaryName(stable.metadata.name),
      namespace: stable.metadata.namespace,
      labels: { [LABEL_TRACK]: 'canary', [LABEL_CANARY_OF]: workload },
    },
    spec: {
      selector: { [LABEL_TRACK]: 'canary', [LABEL_CANARY_OF]: workload },
      ports: ports.map((p) => ({
        ...(p.name ? { name: p.name } : {}),
        port: p.port,
        ...(p.targetPort !== undefined ? { targetPort: p.targetPort } : {}),
        ...(p.protocol ? { protocol: p.protocol } : {}),
      })),
    },
  } as KubeObject;
}

type BackendRef = { name: string; namespace?: string; port?: number; weight?: number; kind?: string; group?: string };
type RouteSpec = { rules?: { backendRefs?: BackendRef[] }[] };

/** The stable Service of an HTTPRoute: the first Service backend of its first rule that is not a canary. */
export function routeStableService(route: KubeObject): string | undefined {
  const refs = ((route as { spec?: RouteSpec }).spec?.rules?.[0]?.backendRefs ?? []).filter(
    (b) => (b.kind ?? 'Service') === 'Service' && !(b.group ?? '').length,
  );
  return refs.find((b) => !b.name.endsWith('-canary'))?.name;
}

/**
 * The HTTPRoute with every rule that sends to `stable` splitting `100 − weight` / `weight` between it
 * and `<stable>-canary`; weight 0 removes the canary backend (the route as it was).
 */
export function routeWithWeight(route: KubeObject, stable: string, weight: number): KubeObject {
  const spec = ((route as { spec?: RouteSpec }).spec ?? {}) as RouteSpec;
  const canary = canaryName(stable);
  const rules = (spec.rules ?? []).map((rule) => {
    const refs = rule.backendRefs ?? [];
    const s = refs.find((b) => b.name === stable);
    if (!s) return rule;
    const others = refs.filter((b) => b.name !== stable && b.name !== canary);
    const next: BackendRef[] = [...others, { ...s, weight: 100 - weight }];
    if (weight > 0) next.push({ ...s, name: canary, weight });
    return { ...rule, backendRefs: next };
  });
  const { metadata } = route;
  return {
    apiVersion: route.apiVersion,
    kind: route.kind,
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      ...(metadata.labels ? { labels: metadata.labels } : {}),
      ...(metadata.annotations ? { annotations: metadata.annotations } : {}),
    },
    spec: { ...spec, rules },
  } as KubeObject;
}

/** The weight a route gives the canary now (0 when it has no canary backend). */
export function routeWeight(route: KubeObject, stable: string): number {
  const refs =
    (route as { spec?: RouteSpec }).spec?.rules?.find((r) => r.backendRefs?.some((b) => b.name === stable))
      ?.backendRefs ?? [];
  const s = refs.find((b) => b.name === stable)?.weight ?? 1;
  const c = refs.find((b) => b.name === canaryName(stable))?.weight ?? 0;
  return s + c === 0 ? 0 : Math.round((100 * c) / (s + c));
}
