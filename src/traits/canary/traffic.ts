/**
 * What a canary does to the cluster: the `<name>-canary` Deployment sized for a weight, in gateway mode
 * the `<service>-canary` Service and the HTTPRoute's weights, the weight actually in force, the canary's
 * readiness, the stable workload's roll at promotion, and the canary's removal. The runner decides when.
 */
import type { ClusterPort } from '../../ports/cluster.js';
import type { KubeObject, ObjectRef } from '../../objects/objects.js';
import type { CanarySpec } from './spec.js';
import {
  canaryDeployment,
  canaryName,
  canaryReplicas,
  canaryService,
  routeStableService,
  routeWeight,
  routeWithWeight,
} from './targets.js';

/** A configuration the canary cannot run with, or a canary that must stop: traffic goes back to stable. */
export class CanaryAborted extends Error {}

type DeploymentState = {
  metadata?: { generation?: number };
  spec?: { replicas?: number };
  status?: {
    readyReplicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    replicas?: number;
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
};

export class CanaryTraffic {
  readonly namespace: string;
  readonly name: string;
  /**
   * The Service the canary's requests are measured behind: the stable one (replicas) or `<service>-canary` (gateway).
   */
  service: string;
  /** The Service the stable version is reached by. */
  stableService: string;
  /** Gateway mode: the canary Service's selector (its pods must be ready before the route sends them traffic). */
  private canarySelector: Record<string, string> = {};
  private dropLabels: string[] = [];
  private readonly routeRef?: ObjectRef;
  private readonly stableRef: ObjectRef;
  private readonly canaryRef: ObjectRef;

  constructor(
    private readonly cluster: ClusterPort,
    private readonly workload: KubeObject,
    private readonly commit: string,
    spec: CanarySpec,
    /**
     * The HTTPRoute as Git renders it (tracked), restored after the canary; else the live one without the canary
     * backend.
     */
    private readonly renderedRoute?: KubeObject,
  ) {
    this.namespace = workload.metadata.namespace ?? 'default';
    this.name = workload.metadata.name;
    this.stableService = this.name;
    this.service = this.name;
    const gw = spec.trafficRouting.gateway;
    if (gw)
      this.routeRef = {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        namespace: this.namespace,
        name: gw.httpRoute,
      };
    this.stableRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: this.namespace, name: this.name };
    this.canaryRef = { ...this.stableRef, name: canaryName(this.name) };
  }

  get gateway(): boolean {
    return this.routeRef !== undefined;
  }

  /** Gateway mode: finds the route's stable Service and creates the canary Service beside it. */
  async prepare(): Promise<void> {
    if (!this.routeRef) return;
    const ns = this.namespace;
    const route = await this.cluster.get(this.routeRef);
    if (!route)
      throw new CanaryAborted(`trafficRouting.gateway.httpRoute: HTTPRoute ${ns}/${this.routeRef.name} not found`);
    const svc = routeStableService(route);
    if (!svc) throw new CanaryAborted(`HTTPRoute ${ns}/${this.routeRef.name} has no Service backend to split`);
    const live = await this.cluster.get({ apiVersion: 'v1', kind: 'Service', namespace: ns, name: svc });
    if (!live) throw new CanaryAborted(`Service ${ns}/${svc} (the HTTPRoute's backend) not found`);
    this.stableService = svc;
    this.service = canaryName(svc);
    this.dropLabels = Object.keys((live as { spec?: { selector?: Record<string, string> } }).spec?.selector ?? {});
    const svcObj = canaryService(live, this.name);
    this.canarySelector = (svcObj as { spec?: { selector?: Record<string, string> } }).spec?.selector ?? {};
    await this.cluster.apply(svcObj, { force: true });
  }

  async stableReplicas(): Promise<number> {
    return ((await this.cluster.get(this.stableRef)) as DeploymentState | undefined)?.spec?.replicas ?? 1;
  }

  /** The canary pods a weight needs: a full-size canary behind a route, else c/(n+c) ≈ weight. */
  async canaryPods(weight: number): Promise<number> {
    const n = await this.stableReplicas();
    return this.gateway ? n : weight > 0 ? canaryReplicas(n, weight) : 0;
  }

  /** The canary's replicas for a weight (in gateway mode the full size, whatever the weight). */
  async scale(weight: number): Promise<void> {
    await this.cluster.apply(
      canaryDeployment(this.workload, await this.canaryPods(weight), this.commit, this.dropLabels),
      { force: true },
    );
  }

  /** Gateway mode: the route's weights (call once the canary's pods are ready: see canaryState). */
  async route(weight: number): Promise<void> {
    if (!this.routeRef) return;
    const live = await this.cluster.get(this.routeRef);
    if (live) await this.cluster.apply(routeWithWeight(live, this.stableService, weight), { force: true });
  }

  /** Both: the canary's pods, then the route (tests and callers that need no readiness in between). */
  async setWeight(weight: number): Promise<void> {
    await this.scale(weight);
    await this.route(weight);
  }

  /** The weight in force: the route's, or the canary's share of ready pods. */
  async actualWeight(): Promise<number> {
    if (this.routeRef) {
      const live = await this.cluster.get(this.routeRef);
      return live ? routeWeight(live, this.stableService) : 0;
    }
    const ready = async (ref: ObjectRef) =>
      ((await this.cluster.get(ref)) as DeploymentState | undefined)?.status?.readyReplicas ?? 0;
    const [s, c] = [await ready(this.stableRef), await ready(this.canaryRef)];
    return s + c === 0 ? 0 : Math.round((100 * c) / (s + c));
  }

  /** The canary's pods: ready (at least `want`), waiting, or Degraded (the Deployment stalled; why). */
  async canaryState(
    want: number,
  ): Promise<{ state: 'ready' | 'waiting'; ready: number } | { state: 'degraded'; why: string }> {
    const live = (await this.cluster.get(this.canaryRef)) as DeploymentState | undefined;
    const st = live?.status;
    const stalled = st?.conditions?.find((c) => c.type === 'Progressing' && c.status === 'False');
    if (stalled) return { state: 'degraded', why: `${stalled.reason ?? ''} ${stalled.message ?? ''}`.trim() };
    const ready = st?.readyReplicas ?? 0;
    const rolled = !!live && (st?.observedGeneration ?? 0) >= (live.metadata?.generation ?? 0) && ready >= want;
    // Behind a route, the canary Service must select them too: the pods its endpoints would list (KWOK
    // leaves EndpointSlices empty, so the ready pods its selector matches, as kube-proxy would see them).
    if (rolled && this.routeRef && (await this.servedPods()) < want) return { state: 'waiting', ready };
    return { state: rolled ? 'ready' : 'waiting', ready };
  }

  /** The ready, not terminating pods the canary Service selects. */
  private async servedPods(): Promise<number> {
    const selector = Object.entries(this.canarySelector)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    if (!selector) return 0;
    const pods = (await this.cluster.list('v1', 'Pod', this.namespace, selector)) as {
      metadata: { deletionTimestamp?: string };
      status?: { conditions?: { type: string; status: string }[] };
    }[];
    return pods.filter(
      (p) =>
        !p.metadata.deletionTimestamp &&
        (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    ).length;
  }

  /** Whether the stable Deployment has rolled out completely (after promotion). */
  async stableRolledOut(): Promise<boolean> {
    const live = (await this.cluster.get(this.stableRef)) as DeploymentState | undefined;
    const st = live?.status;
    const want = live?.spec?.replicas ?? 1;
    return (
      !!live &&
      (st?.observedGeneration ?? 0) >= (live.metadata?.generation ?? 0) &&
      (st?.updatedReplicas ?? 0) >= want &&
      (st?.availableReplicas ?? 0) >= want &&
      (st?.replicas ?? 0) <= want
    );
  }

  async applyStable(promoted: KubeObject): Promise<void> {
    await this.cluster.apply(promoted, { force: true });
  }

  /** Removes the canary: traffic back to stable first, then the canary's objects. */
  async remove(): Promise<void> {
    if (this.routeRef) {
      if (this.renderedRoute) await this.cluster.apply(this.renderedRoute, { force: true });
      else {
        const live = await this.cluster.get(this.routeRef);
        if (live) await this.cluster.apply(routeWithWeight(live, this.stableService, 0), { force: true });
      }
      await this.cluster.delete({
        apiVersion: 'v1',
        kind: 'Service',
        namespace: this.namespace,
        name: canaryName(this.stableService),
      });
    }
    await this.cluster.delete(this.canaryRef);
  }
}
