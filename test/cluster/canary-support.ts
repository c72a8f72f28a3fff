/**
 * For the gray-release tests: one Git repository (with its ferry.yaml) behind a real Git server, one
 * `ferry serve` on it against the real local cluster and Prometheus, and scenarios (an app in its own
 * namespace) with the waits and checks the canary tests share. The traffic simulator plays 200
 * requests/s to each app's Service or HTTPRoute; an image tag ending in `-errors` answers 20 % 500s, in
 * `-slow` 5× the latency.
 */
import { CoreV1Api, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, inject } from 'vitest';
import { KubeCluster } from '../../src/kube/kube-cluster.js';
import { readHistory, readHold, sourceId, type StateSummary } from '../../src/gitops/store/release-store.js';
import { canaryOf } from '../../src/traits/canary/progress.js';
import { ferryCli, Serve, TestRepo } from './gitops-support.js';
import { eventually, sleep, testKubeConfig } from './kube.js';

export interface Scenario {
  app: string;
  ns: string;
}

export interface AppShape {
  /** An HTTPRoute `web` carries the traffic (and the canary's split), not the Service. */
  gateway?: boolean;
  replicas?: number;
  /** Annotations on the pods (the simulator's capacity, latency, error ratio). */
  podAnnotations?: Record<string, string>;
  /** Simulated requests per second (default 200). */
  rps?: number;
}

/** A webservice of 4 replicas behind a Service (or an HTTPRoute), with simulated traffic and a canary trait. */
export function canaryApp(s: Scenario, image: string, canary: object, o: AppShape = {}): string {
  return webApp(s, image, [{ type: 'canary', properties: canary }], o);
}

/** The same webservice with runtime traits of its own (a canary, an slo), in order. */
export function webApp(s: Scenario, image: string, traits: { type: string; properties: object }[], o: AppShape = {}) {
  const rps = `{"sim.ferry.dev/rps": "${o.rps ?? 200}"}`;
  const route = o.gateway
    ? `
    - name: route
      type: k8s-objects
      properties:
        objects:
          - apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: web, annotations: ${rps}}
            spec:
              hostnames: [web.example.com]
              rules: [{backendRefs: [{name: web, port: 8080}]}]`
    : '';
  const annotations = o.podAnnotations
    ? `
        - type: annotations
          properties: ${JSON.stringify(o.podAnnotations)}`
    : '';
  return `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: ${s.app}, namespace: ${s.ns}}
spec:
  components:
    - name: web
      type: webservice
      properties: {image: "${image}", port: 8080}
      traits:
        - type: scaler
          properties: {replicas: ${o.replicas ?? 4}}
        - type: expose
          properties: {port: [8080]${o.gateway ? '' : `, annotations: ${rps}`}}${annotations}${traits
            .map((t) => `\n        - type: ${t.type}\n          properties: ${JSON.stringify(t.properties)}`)
            .join('')}${route}
`;
}

/** The local cluster's rig command (`npm run cluster:<command>`), on the test cluster. */
export const rig = (command: string, ...args: string[]) =>
  promisify(execFile)(
    process.execPath,
    [CLUSTER_CLI, command, '--name', process.env.FERRY_TEST_CLUSTER ?? 'ferry-test', ...args],
    {
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
const CLUSTER_CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'src', 'localcluster', 'cli.js');

/** A load step: the simulated requests per second to the app's Service, changed outside Git (as users would). */
export async function loadStep(s: Scenario, rps: number): Promise<void> {
  await KubernetesObjectApi.makeApiClient(testKubeConfig()).patch(
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: s.ns, annotations: { 'sim.ferry.dev/rps': String(rps) } },
    },
    undefined,
    undefined,
    'load-step',
    true,
    PatchStrategy.ServerSideApply,
  );
}

export const INTERVAL = '5s';
export const analysis = (metrics: object[]) => ({ interval: INTERVAL, failureLimit: 1, metrics });
export const SUCCESS = { name: 'success-rate', min: 99 };
export const LATENCY = { name: 'latency', max: '300ms' };
export const GATEWAY = { gateway: { httpRoute: 'web' } };

type Deployment = {
  spec?: { replicas?: number; template?: { spec?: { containers?: { image?: string }[] } } };
  status?: { readyReplicas?: number };
};
type Backend = { name: string; weight?: number };

export class CanaryWorld {
  readonly repo = new TestRepo();
  readonly suffix = randomBytes(3).toString('hex');
  readonly namespaces: string[] = [];
  cluster!: KubeCluster;
  serve!: Serve;
  private readonly core = testKubeConfig().makeApiClient(CoreV1Api);

  constructor(
    private readonly o: {
      ferryYaml?: string;
      serveArgs?: string[];
      prometheusFlag?: boolean;
      /** The kubeconfig `ferry serve` reads (default: the test cluster's), e.g. one with a context per cluster. */
      kubeconfig?: string;
      /** More environment variables for `ferry serve` (FERRY_UI_TOKEN). */
      env?: Record<string, string>;
    } = {},
  ) {}

  async start(): Promise<this> {
    this.cluster = KubeCluster.fromFile(inject('kubeconfig'));
    await this.repo.start();
    if (this.o.ferryYaml) this.repo.commit({ 'ferry.yaml': this.o.ferryYaml }, 'ferry.yaml');
    this.serve = await this.startServe();
    return this;
  }

  /** A `ferry serve` on the repository (the one this world watches with is `this.serve`). */
  startServe(extra: string[] = []): Promise<Serve> {
    return new Serve(
      [
        '--repo',
        this.repo.url,
        '--cache-dir',
        `${this.repo.root}/cache-${randomBytes(3).toString('hex')}`,
        '--interval',
        '1s',
        '--no-leader-elect',
        '--resync',
        '0',
        ...(this.o.prometheusFlag === false ? [] : ['--prometheus-url', inject('prometheusUrl')]),
        ...(this.o.serveArgs ?? []),
        ...extra,
      ],
      { KUBECONFIG: this.o.kubeconfig ?? inject('kubeconfig'), ...this.o.env },
    ).start();
  }

  async stop(): Promise<void> {
    await this.serve?.stop('SIGKILL');
    await this.repo.stop();
    await Promise.all(this.namespaces.map((name) => this.core.deleteNamespace({ name }).catch(() => undefined)));
    await this.cluster?.close();
  }

  scenario(name: string): Scenario {
    const s = { app: `${name}-${this.suffix}`, ns: `canary-${name}-${this.suffix}` };
    this.namespaces.push(s.ns);
    return s;
  }

  commit(s: Scenario, image: string, canary: object, o: AppShape = {}): string {
    return this.repo.commit({ [`apps/${s.app}/app.yaml`]: canaryApp(s, image, canary, o) }, `${s.app} ${image}`);
  }

  scope(s: Scenario) {
    return { app: s.app, env: 'default', source: sourceId(this.repo.url, '.') };
  }

  ferry(...args: string[]) {
    return ferryCli(inject('kubeconfig'), ...args);
  }

  async summary(s: Scenario): Promise<StateSummary | undefined> {
    const cms = await this.cluster.list(
      'v1',
      'ConfigMap',
      'ferry-system',
      `ferry.dev/kind=state,ferry.dev/app=${s.app}`,
    );
    const text = (cms[0]?.data as Record<string, string> | undefined)?.['summary.json'];
    return text ? (JSON.parse(text) as StateSummary) : undefined;
  }

  /** Waits for the app's recorded state to satisfy `ok`; on a timeout, says what it was and what was logged. */
  async until(s: Scenario, what: string, ok: (x: StateSummary) => boolean, timeoutMs = 180_000): Promise<StateSummary> {
    let last: StateSummary | undefined;
    try {
      return await eventually(
        `${s.app}: ${what}`,
        async () => {
          last = await this.summary(s);
          return last && ok(last) ? last : undefined;
        },
        timeoutMs,
      );
    } catch (e) {
      const logged = this.serve.logs
        .filter((l) => l.app === s.app && ((l.level as number) >= 40 || /canary|analysis|hold/.test(String(l.msg))))
        .slice(-15);
      throw new Error(
        `${(e as Error).message}\nlast state: ${JSON.stringify(last)}\n` +
          `controller: ${logged.map((l) => JSON.stringify(l)).join('\n')}`,
      );
    }
  }

  /**
   * Whether the controller's commit `seen` carries the app as `c` has it: tests commit side by side, so
   * the controller may reach an app's change through a later commit of another test.
   */
  same(s: Scenario, c: string, seen: string | undefined): boolean {
    if (seen === undefined) return false;
    if (seen === c) return true;
    try {
      this.repo.git('merge-base', '--is-ancestor', c, seen);
      this.repo.git('diff', '--quiet', c, seen, '--', `apps/${s.app}`);
      return true;
    } catch {
      return false;
    }
  }

  syncedAt(s: Scenario, commitId: string): Promise<StateSummary> {
    return this.until(
      s,
      `synced at ${commitId.slice(0, 8)}`,
      (x) => x.status === 'synced' && this.same(s, commitId, x.commit),
    );
  }

  async deployment(s: Scenario, name: string): Promise<Deployment | undefined> {
    return (await this.cluster.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: s.ns, name })) as
      | Deployment
      | undefined;
  }

  async imageOf(s: Scenario, name = 'web'): Promise<string | undefined> {
    return (await this.deployment(s, name))?.spec?.template?.spec?.containers?.[0]?.image;
  }

  async routeWeights(s: Scenario): Promise<Record<string, number>> {
    const r = (await this.cluster.get({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      namespace: s.ns,
      name: 'web',
    })) as { spec?: { rules?: { backendRefs?: Backend[] }[] } } | undefined;
    return Object.fromEntries((r?.spec?.rules?.[0]?.backendRefs ?? []).map((b) => [b.name, b.weight ?? 1]));
  }

  /** Samples the canary while it runs: each step's weight, the replicas (or route weights) seen then. */
  sampler(s: Scenario, gateway = false) {
    const seen: {
      step: number;
      weight: number;
      phase: string;
      canaryReplicas?: number;
      stableReplicas?: number;
      route?: Record<string, number>;
    }[] = [];
    let stop = false;
    const done = (async () => {
      while (!stop) {
        const d = canaryOf((await this.summary(s))?.traits);
        if (d && d.phase !== 'Succeeded' && d.phase !== 'Aborted') {
          const c = await this.deployment(s, 'web-canary');
          const st = await this.deployment(s, 'web');
          seen.push({
            step: d.step,
            weight: d.weight,
            phase: d.phase,
            canaryReplicas: c?.status?.readyReplicas,
            stableReplicas: st?.status?.readyReplicas,
            ...(gateway ? { route: await this.routeWeights(s) } : {}),
          });
        }
        await sleep(300);
      }
    })();
    return {
      seen,
      stop: async () => {
        stop = true;
        await done;
      },
    };
  }

  /**
   * After an abort: no analysis passed before it, no canary objects, all traffic on stable, held, and the
   * revision Failed with the measured value.
   */
  async expectRolledBack(s: Scenario, bad: string, message: RegExp, stableImage: string, gateway = false) {
    const x = await this.until(
      s,
      'held after the abort',
      (y) => y.status === 'held' && canaryOf(y.traits)?.phase === 'Aborted',
    );
    const p = canaryOf(x.traits)!;
    expect(this.same(s, bad, p.commit)).toBe(true);
    // Aborted at its first failing analysis, and never passed one before (no verdict on too little data).
    expect(p.analysis.filter((a) => a.result === 'Failed')).toHaveLength(1);
    expect(p.analysis.at(-1)!.result).toBe('Failed');
    expect(p.analysis.filter((a) => a.result === 'Successful')).toEqual([]);
    expect(x.hold).toMatch(message);
    expect(await this.deployment(s, 'web-canary')).toBeUndefined();
    expect(await this.imageOf(s)).toBe(stableImage);
    if (gateway) {
      expect(await this.routeWeights(s)).not.toHaveProperty('web-canary');
      expect(
        await this.cluster.get({ apiVersion: 'v1', kind: 'Service', namespace: s.ns, name: 'web-canary' }),
      ).toBeUndefined();
    }
    const history = await readHistory(this.cluster, this.scope(s));
    expect(history[0]).toMatchObject({ outcome: 'Failed', reason: 'DeliveryFailed' });
    expect(this.same(s, bad, history[0]!.commit)).toBe(true);
    expect(history[0]!.message).toMatch(message);
    expect(await readHold(this.cluster, this.scope(s))).toBeDefined();
    return p;
  }
}
