import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../objects/objects.js';
import type { RolloutCommand } from './command.js';
import type { EvidenceResult, QueryResult, WorkloadMetrics, WorkloadRef } from '../../ports/metrics.js';
import { MemoryCluster } from '../../../test/support/memory-cluster.js';
import type { AnalysisRun, CanaryProgress } from './progress.js';
import { CanaryAborted, runCanary, type RunnerDeps } from './runner.js';
import { canarySpec, type CanarySpec } from './spec.js';

const NS = 'shop';
const COMMIT = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';
const T0 = Date.parse('2026-12-01T00:00:00.000Z');

type Dep = {
  metadata: { name: string; generation?: number; labels?: Record<string, string> };
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: { containers: { image: string }[] } };
  };
  status?: Record<string, number>;
};
type Ref = { name: string; port?: number; weight?: number };

const deployment = (image: string, replicas = 9): KubeObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: NS, labels: { 'app.oam.dev/component': 'web', app: 'web' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
    },
  }) as KubeObject;
const stableService = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web-svc', namespace: NS },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
} as KubeObject;
const ROUTE_REF = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: NS, name: 'web' };
const httpRoute = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'web', namespace: NS },
  spec: { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [{ name: 'web-svc', port: 80 }] }] },
} as KubeObject;

const spec = (props: unknown): CanarySpec => {
  const r = canarySpec('web', props);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.value;
};
const SUCCESS = [{ name: 'success-rate', min: 99 }];

/** A MemoryCluster that keeps every object applied, in order, and when each Deployment's replicas last changed. */
class RecordingCluster extends MemoryCluster {
  readonly applied: KubeObject[] = [];
  /** Deployment name → the time (ms since T0) its replicas were last set to a new count. */
  readonly scaledAt = new Map<string, number>();
  elapsed = () => 0;
  /** At each HTTPRoute write: the canary's weight in it, and the ready pods the canary Service selects. */
  readonly routed: { weight: number; servedPods: number }[] = [];
  override async apply(obj: KubeObject): Promise<KubeObject> {
    this.applied.push(structuredClone(obj));
    if (obj.kind === 'HTTPRoute') {
      const canaryRef = refs(obj)?.find((r) => r.name.endsWith('-canary'));
      const served = [...this.objects.values()].filter(
        (o) => o.kind === 'Pod' && o.metadata.labels?.['ferry.dev/track'] === 'canary',
      ).length;
      this.routed.push({ weight: canaryRef?.weight ?? 0, servedPods: served });
    }
    if (obj.kind === 'Deployment') {
      const replicas = (obj as unknown as Dep).spec.replicas;
      if (!this.scaledAt.has(obj.metadata.name) || this.dep(obj.metadata.name)?.spec.replicas !== replicas)
        this.scaledAt.set(obj.metadata.name, this.elapsed());
    }
    return super.apply(obj);
  }
  dep(name: string): Dep | undefined {
    return this.objects.get(`Deployment/${NS}/${name}`) as unknown as Dep | undefined;
  }
}

interface Options {
  /** The metrics server's answer to a query at a time (ms since T0). */
  metrics?: (promql: string, at: number) => QueryResult;
  /** How much data the window holds at a time (default: 50 requests/s over the whole window, 1 s scrapes). */
  evidence?: (at: number, windowSeconds: number) => EvidenceResult;
  /**
   * Whether the Deployment controller has made a Deployment's pods ready yet (default: at once), `scaledAt` the time
   * its replicas last changed.
   */
  readyAt?: (name: string, at: number, scaledAt: number) => boolean;
  /** Called after every sleep: may set `h.command`. */
  onTick?: (h: Harness) => void;
  replicas?: number;
  gateway?: boolean;
  renderedRoute?: KubeObject;
}

type Harness = ReturnType<typeof harness>;

/**
 * The runner's world: the in-memory cluster with the stable Deployment, a Deployment controller that
 * makes pods ready on each tick, a clock that sleeping advances, a metrics server, records and commands.
 */
function harness(o: Options = {}) {
  const cluster = new RecordingCluster();
  let now = T0;
  const h = {
    cluster,
    saves: [] as CanaryProgress[],
    events: [] as { at: number; type: string; reason: string; message: string }[],
    queries: [] as { at: number; promql: string }[],
    snapshots: [] as { at: number; route?: KubeObject; canaryService?: KubeObject; canary?: Dep }[],
    /** Every analysis run, in order (the progress keeps the last 10 only). */
    runs: [] as AnalysisRun[],
    /** When the Deployment controller made a Deployment's pods ready. */
    ready: [] as { name: string; at: number }[],
    promotedAt: undefined as number | undefined,
    command: undefined as RolloutCommand | undefined,
    cleared: 0,
    elapsed: () => now - T0,
    last: () => h.saves.at(-1)!,
    deps: undefined as unknown as RunnerDeps,
  };
  cluster.elapsed = () => now - T0;
  void cluster.apply(deployment('web:1', o.replicas ?? 9));
  if (o.gateway) {
    void cluster.apply(stableService);
    void cluster.apply(httpRoute);
  }
  cluster.applied.length = 0;
  /** The Deployment controller: every Deployment whose pods may be ready has its status say so. */
  const reconcile = () => {
    for (const obj of cluster.objects.values()) {
      if (obj.kind !== 'Deployment') continue;
      const d = obj as unknown as Dep;
      const n = d.spec.replicas ?? 1;
      const wasReady = d.status?.readyReplicas === n;
      if (o.readyAt && !o.readyAt(d.metadata.name, now - T0, cluster.scaledAt.get(d.metadata.name) ?? 0))
        d.status = { observedGeneration: 0, replicas: n, readyReplicas: 0, updatedReplicas: n, availableReplicas: 0 };
      else {
        d.status = { observedGeneration: 0, replicas: n, readyReplicas: n, updatedReplicas: n, availableReplicas: n };
        if (!wasReady) h.ready.push({ name: d.metadata.name, at: now - T0 });
      }
      pods(d, d.status.readyReplicas ?? 0);
    }
  };
  /** A Deployment's ready pods, with its template's labels (what a Service selects). */
  const pods = (d: Dep, ready: number) => {
    for (const p of [...cluster.objects.values()])
      if (p.kind === 'Pod' && p.metadata.name.startsWith(`${d.metadata.name}-h-`))
        cluster.objects.delete(`Pod/${NS}/${p.metadata.name}`);
    for (let i = 0; i < ready; i++) {
      const name = `${d.metadata.name}-h-${i}`;
      cluster.objects.set(`Pod/${NS}/${name}`, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: NS, labels: { ...d.spec.template.metadata.labels } },
        status: { conditions: [{ type: 'Ready', status: 'True' }] },
      } as unknown as KubeObject);
    }
  };
  reconcile();
  const ask = async (promql: string): Promise<QueryResult> => {
    h.queries.push({ at: now - T0, promql });
    h.snapshots.push({
      at: now - T0,
      route: await cluster.get(ROUTE_REF),
      canaryService: await cluster.get({ apiVersion: 'v1', kind: 'Service', namespace: NS, name: 'web-svc-canary' }),
      canary: cluster.dep('web-canary') && structuredClone(cluster.dep('web-canary')),
    });
    return (o.metrics ?? (() => ({ kind: 'value', value: 99.9 })))(promql, now - T0);
  };
  const sel = (w: WorkloadRef, windowSeconds: number) =>
    `namespace="${w.namespace}",workload="${w.workload}",service="${w.service}"}[${windowSeconds}s]`;
  /** The provider's questions, written as pseudo-PromQL naming the workload and window asked about. */
  const metrics: WorkloadMetrics = {
    name: 'fake provider',
    separatesWorkloads: true,
    evidence: async (_w, windowSeconds) =>
      o.evidence
        ? o.evidence(now - T0, windowSeconds)
        : {
            kind: 'evidence',
            evidence: {
              requests: 50 * windowSeconds,
              firstMs: now - windowSeconds * 1000,
              lastMs: now,
              scrapeMs: 1000,
            },
          },
    requestRate: (w, windowSeconds) => ask(`request-rate{${sel(w, windowSeconds)}`),
    successRate: (w, windowSeconds) => ask(`success-rate{${sel(w, windowSeconds)}`),
    latency: (w, windowSeconds, q) => ask(`latency-${q}{${sel(w, windowSeconds)}`),
    latencyTail: async () => ({ kind: 'no-data' }),
    query: ask,
  };
  h.deps = {
    cluster,
    metrics,
    now: () => now,
    sleep: async (ms) => {
      expect(ms).toBeGreaterThan(0);
      now += ms;
      if (now - T0 > 6 * 3_600_000)
        throw new Error(`the canary still runs after 6 h of fake time (phase ${h.saves.at(-1)?.phase})`);
      reconcile();
      o.onTick?.(h);
    },
    save: async (p) => {
      h.saves.push(structuredClone(p));
    },
    event: async (type, reason, message) => {
      h.events.push({ at: now - T0, type, reason, message });
    },
    command: async () => h.command,
    clearCommand: async () => {
      h.command = undefined;
      h.cleared++;
    },
    analysed: (r) => {
      h.runs.push(structuredClone(r));
    },
    promoted: (w) => {
      h.promotedAt = now - T0;
      return { ...w, metadata: { ...w.metadata, annotations: { 'ferry.dev/tracking': 'shop/web' } } } as KubeObject;
    },
    ...(o.renderedRoute ? { renderedRoute: o.renderedRoute } : {}),
  };
  return h;
}

const run = (h: Harness, s: CanarySpec, saved?: CanaryProgress) =>
  runCanary(s, deployment('web:2'), COMMIT, saved, h.deps, new AbortController().signal);
const canaryApplies = (h: Harness) =>
  h.cluster.applied.filter((o) => o.kind === 'Deployment' && o.metadata.name === 'web-canary') as unknown as Dep[];
const reasons = (h: Harness) => h.events.map((e) => e.reason);
const imageOf = (d: Dep | undefined) => d?.spec.template.spec.containers[0]?.image;
const refs = (r: KubeObject | undefined) =>
  (r as unknown as { spec: { rules: { backendRefs: Ref[] }[] } } | undefined)?.spec.rules[0]?.backendRefs;
const pending = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: Error) => e,
  );

describe('runCanary, replica ratio', () => {
  it('a good canary goes through its weight and pause steps, is promoted, and its Deployment is deleted', async () => {
    const h = harness();
    const s = spec({
      steps: [{ weight: 10 }, { pause: { duration: '1m' } }, { weight: 50 }],
      analysis: { interval: '30s', metrics: SUCCESS },
    });
    const result = await run(h, s);

    expect(result).toMatchObject({
      phase: 'Succeeded',
      step: 3,
      steps: 3,
      weight: 100,
      failures: 0,
      commit: COMMIT,
      workload: 'web',
      canary: 'web-canary',
      mode: 'replicas',
    });
    expect(h.last()).toEqual(result);
    // The canary at 10 % then 50 % beside 9 stable pods: 1 then 9 replicas, the new template, its own pods.
    expect(canaryApplies(h).map((d) => d.spec.replicas)).toEqual([1, 9]);
    const canary = canaryApplies(h)[0]!;
    expect(imageOf(canary)).toBe('web:2');
    expect(canary.spec.template.metadata.labels).toEqual({
      app: 'web',
      'ferry.dev/track': 'canary',
      'ferry.dev/canary-of': 'web',
    });
    // The weights asked for, in order, and the share of ready pods in force.
    const weights = [...new Set(h.saves.map((p) => p.weight))];
    expect(weights).toEqual([0, 10, 50, 100]);
    expect(
      h.saves.filter((p) => p.actualWeight !== undefined && p.phase === 'Progressing').map((p) => p.actualWeight),
    ).toEqual(expect.arrayContaining([10, 50]));
    // Events: started, three steps, promoted.
    expect(reasons(h)).toEqual(['CanaryStarted', 'StepAdvanced', 'StepAdvanced', 'StepAdvanced', 'CanaryPromoted']);
    expect(h.events[1]!.message).toBe('canary of web: step 1/3 done (weight 10)');
    expect(h.events[2]!.message).toBe('canary of web: step 2/3 done');
    expect(h.events[3]!.message).toBe('canary of web: step 3/3 done (weight 50)');
    // Each weight step passed on an analysis taken at least one interval after its pods were ready, at its weight.
    expect(h.events[1]!.at).toBeGreaterThanOrEqual(30_000);
    expect(h.events[3]!.at - h.events[2]!.at).toBeGreaterThanOrEqual(30_000);
    expect(result.analysis.map((r) => [r.step, r.weight, r.result])).toContainEqual([0, 10, 'Successful']);
    expect(result.analysis.map((r) => [r.step, r.weight, r.result])).toContainEqual([2, 50, 'Successful']);
    // The pause lasted its minute.
    expect(h.events[2]!.at - h.events[1]!.at).toBeGreaterThanOrEqual(60_000);
    expect(h.events[2]!.at - h.events[1]!.at).toBeLessThan(62_000);
    // The queries look at the canary's pods only.
    expect(h.queries.length).toBeGreaterThanOrEqual(2);
    for (const q of h.queries) expect(q.promql).toContain('namespace="shop",workload="web-canary"');
    expect(h.queries[0]!.promql).toContain('[30s]');
    // Promotion: the stable Deployment takes the new template (as promoted() tracks it), the canary goes away.
    expect(h.promotedAt).toBeDefined();
    expect(h.promotedAt).toBeGreaterThanOrEqual(h.events[3]!.at);
    expect(imageOf(h.cluster.dep('web'))).toBe('web:2');
    expect(h.cluster.dep('web')!.spec.replicas).toBe(9);
    expect(h.cluster.objects.get(`Deployment/${NS}/web`)!.metadata.annotations?.['ferry.dev/tracking']).toBe(
      'shop/web',
    );
    expect(h.cluster.dep('web-canary')).toBeUndefined();
    expect(h.saves.map((p) => p.phase)).toContain('Promoting');
    expect(h.saves.findIndex((p) => p.phase === 'Promoting')).toBeLessThan(
      h.saves.findIndex((p) => p.phase === 'Succeeded'),
    );
  });

  it('without metrics, steps advance on readiness and time alone', async () => {
    const h = harness();
    const result = await run(h, spec({ steps: [{ weight: 20 }, { pause: { duration: '2m' } }] }));
    expect(result.phase).toBe('Succeeded');
    expect(h.queries).toEqual([]);
    expect(result.analysis).toEqual([]);
    expect(h.events.at(-1)!.at).toBeGreaterThanOrEqual(120_000);
    expect(h.events.at(-1)!.at).toBeLessThan(125_000);
  });

  it('an inconclusive analysis is tried again after 2 s, not a whole interval later', async () => {
    let calls = 0;
    const h = harness({ metrics: () => (calls++ === 0 ? { kind: 'no-data' } : { kind: 'value', value: 99.9 }) });
    const result = await run(h, spec({ steps: [{ weight: 20 }], analysis: { interval: '10s', metrics: SUCCESS } }));
    expect(result.phase).toBe('Succeeded');
    const times = h.runs.map((r) => Date.parse(r.time) - T0);
    expect(h.runs.map((r) => r.result)).toEqual(['Inconclusive', 'Successful']);
    expect(times[1]! - times[0]!).toBe(2000);
  });

  it('checks declared but no metrics server configured: inconclusive, never passed over', async () => {
    const h = harness({
      onTick: (x) => {
        if (!x.command && x.elapsed() >= 300_000)
          x.command = { command: 'abort', requestedAt: new Date(T0 + x.elapsed()).toISOString(), commit: COMMIT };
      },
    });
    delete (h.deps as { metrics?: unknown }).metrics;
    await expect(
      run(h, spec({ steps: [{ weight: 20 }], analysis: { interval: '10s', metrics: SUCCESS } })),
    ).rejects.toBeInstanceOf(CanaryAborted);
    // Five minutes of intervals: every run inconclusive, the step never passed, until the abort.
    expect(h.runs.length).toBeGreaterThanOrEqual(20);
    expect(
      h.runs.every(
        (r) =>
          r.result === 'Inconclusive' &&
          /no metrics server configured \(ferry.yaml metrics.prometheus, ferry serve --prometheus-url/.test(
            r.measurements[0]!.message,
          ),
      ),
    ).toBe(true);
    expect(h.saves.every((p) => p.step === 0)).toBe(true);
    expect(h.saves.some((p) => p.phase === 'Inconclusive')).toBe(true);
  });

  it('a weight step waits for the canary pods to be ready', async () => {
    const h = harness({ readyAt: (name, at) => name !== 'web-canary' || at >= 45_000 });
    await run(h, spec({ steps: [{ weight: 10 }], analysis: { interval: '10s', metrics: SUCCESS } }));
    expect(h.events.find((e) => e.reason === 'StepAdvanced')!.at).toBeGreaterThanOrEqual(45_000);
    expect(h.last().phase).toBe('Succeeded');
  });

  it('a weight step is judged on an analysis taken after its pods are ready, never on an earlier one', async () => {
    const h = harness({ readyAt: (name, at) => name !== 'web-canary' || at >= 15_000 });
    const result = await run(h, spec({ steps: [{ weight: 10 }], analysis: { interval: '10s', metrics: SUCCESS } }));

    expect(result.phase).toBe('Succeeded');
    const ready = h.ready.find((r) => r.name === 'web-canary')!.at;
    expect(ready).toBeGreaterThanOrEqual(15_000);
    expect(ready).toBeLessThan(16_000);
    // No analysis before the pods were ready (the one due at 10 s was not run); the step passed one interval after.
    expect(h.runs.length).toBeGreaterThanOrEqual(1);
    for (const r of h.runs) expect(Date.parse(r.time)).toBeGreaterThanOrEqual(T0 + ready);
    for (const q of h.queries) expect(q.at).toBeGreaterThanOrEqual(ready);
    const advanced = h.events.find((e) => e.reason === 'StepAdvanced')!.at;
    expect(advanced).toBeGreaterThanOrEqual(25_000);
    expect(advanced).toBeGreaterThanOrEqual(ready + 10_000);
    expect(h.runs.find((r) => r.result === 'Successful')).toMatchObject({
      step: 0,
      weight: 10,
      time: new Date(T0 + advanced).toISOString(),
    });
  });

  it(
    'each weight step waits for its own pods: ' +
      'the weight-50 step passes one interval after its pods are ready, not on an analysis before',
    async () => {
      const h = harness({ readyAt: (name, at, scaledAt) => name !== 'web-canary' || at >= scaledAt + 20_000 });
      const result = await run(
        h,
        spec({
          steps: [{ weight: 10 }, { pause: { duration: '45s' } }, { weight: 50 }],
          analysis: { interval: '30s', metrics: SUCCESS },
        }),
      );

      expect(result.phase).toBe('Succeeded');
      const advanced = h.events.filter((e) => e.reason === 'StepAdvanced');
      expect(advanced.map((e) => e.message)).toEqual([
        'canary of web: step 1/3 done (weight 10)',
        'canary of web: step 2/3 done',
        'canary of web: step 3/3 done (weight 50)',
      ]);
      // The controller made the canary's pods ready twice: 20 s after 1 replica, 20 s after 9.
      const ready = h.ready.filter((r) => r.name === 'web-canary').map((r) => r.at);
      expect(ready).toHaveLength(2);
      expect(ready[0]).toBeGreaterThanOrEqual(20_000);
      expect(ready[1]).toBeGreaterThanOrEqual(advanced[1]!.at + 20_000);
      expect(advanced[0]!.at).toBeGreaterThanOrEqual(ready[0]! + 30_000);
      expect(advanced[2]!.at).toBeGreaterThanOrEqual(ready[1]! + 30_000);
      // Step 3 was analysed at weight 50 after its pods were ready, and never before.
      const step3 = h.runs.filter((r) => r.step === 2);
      expect(
        step3.some((r) => r.weight === 50 && r.result === 'Successful' && Date.parse(r.time) >= T0 + ready[1]!),
      ).toBe(true);
      for (const r of step3) expect(Date.parse(r.time)).toBeGreaterThanOrEqual(T0 + ready[1]!);
      for (const r of h.runs.filter((x) => x.step === 0))
        expect(Date.parse(r.time)).toBeGreaterThanOrEqual(T0 + ready[0]!);
    },
  );

  it('aborts as Degraded when the canary pods are not ready within the ready timeout', async () => {
    const h = harness({ readyAt: (name) => name !== 'web-canary' });
    h.deps.readyTimeoutMs = 60_000;
    const e = await pending(run(h, spec({ steps: [{ weight: 10 }], analysis: { interval: '30s', metrics: SUCCESS } })));
    expect(e).toBeInstanceOf(CanaryAborted);
    expect((e as Error).message).toBe('the canary is Degraded: 0 of 1 pods ready after 60 s');
    expect(h.elapsed()).toBeGreaterThan(60_000);
    expect(h.elapsed()).toBeLessThan(63_000);
    expect(h.cluster.dep('web-canary')).toBeUndefined();
    expect(h.last().phase).toBe('Aborted');
    expect(h.promotedAt).toBeUndefined();
  });

  it(
    'a failing metric aborts at the first failed analysis with failureLimit 1: canary deleted, ' +
      'Aborted, stable untouched',
    async () => {
      const h = harness({ metrics: () => ({ kind: 'value', value: 81.2 }) });
      const e = await pending(
        run(
          h,
          spec({
            steps: [{ weight: 10 }, { pause: { duration: '1m' } }, { weight: 50 }],
            analysis: { interval: '30s', failureLimit: 1, metrics: SUCCESS },
          }),
        ),
      );

      expect(e).toBeInstanceOf(CanaryAborted);
      expect((e as Error).message).toBe('success-rate 81.2 % < 99 %');
      expect(h.queries).toHaveLength(1);
      expect(h.cluster.dep('web-canary')).toBeUndefined();
      expect(h.last()).toMatchObject({
        phase: 'Aborted',
        message: 'success-rate 81.2 % < 99 %',
        step: 0,
        weight: 10,
        actualWeight: 0,
        failures: 1,
      });
      expect(h.last().analysis).toHaveLength(1);
      expect(h.last().analysis[0]).toMatchObject({
        step: 0,
        weight: 10,
        result: 'Failed',
        measurements: [{ name: 'success-rate', value: 81.2, ok: false }],
      });
      expect(reasons(h)).toEqual(['CanaryStarted', 'AnalysisFailed', 'CanaryAborted']);
      expect(h.events[1]!.message).toBe('canary of web: success-rate 81.2 % < 99 % (1/1 failed checks)');
      expect(h.events[2]!.message).toBe(
        'canary of web at commit c0ffee00c0ff aborted at step 1/3: success-rate 81.2 % < 99 %; ' +
          'all traffic back to the stable version',
      );
      expect(h.promotedAt).toBeUndefined();
      expect(imageOf(h.cluster.dep('web'))).toBe('web:1');
      expect(canaryApplies(h).map((d) => d.spec.replicas)).toEqual([1]);
    },
  );

  it('failureLimit 2 tolerates one failed analysis', async () => {
    let n = 0;
    const h = harness({ metrics: () => ({ kind: 'value', value: n++ === 0 ? 97 : 99.5 }) });
    const result = await run(
      h,
      spec({
        steps: [{ weight: 10 }, { weight: 30 }],
        analysis: { interval: '30s', failureLimit: 2, metrics: SUCCESS },
      }),
    );
    expect(result.phase).toBe('Succeeded');
    expect(result.failures).toBe(1);
    expect(result.analysis.map((r) => r.result)).toEqual(['Failed', 'Successful', 'Successful']);
    expect(reasons(h).filter((r) => r === 'AnalysisFailed')).toHaveLength(1);
    expect(h.events.find((e) => e.reason === 'AnalysisFailed')!.message).toBe(
      'canary of web: success-rate 97 % < 99 % (1/2 failed checks)',
    );
    // The failed analysis did not pass the step: it waited for the next, successful one.
    expect(h.events.find((e) => e.reason === 'StepAdvanced')!.at).toBeGreaterThanOrEqual(60_000);
  });

  it('failureLimit 2 aborts at the second failed analysis', async () => {
    const h = harness({ metrics: () => ({ kind: 'value', value: 90 }) });
    const e = await pending(
      run(h, spec({ steps: [{ weight: 10 }], analysis: { interval: '30s', failureLimit: 2, metrics: SUCCESS } })),
    );
    expect(e).toBeInstanceOf(CanaryAborted);
    expect(h.queries).toHaveLength(2);
    expect(h.last()).toMatchObject({ phase: 'Aborted', failures: 2 });
    expect(reasons(h)).toEqual(['CanaryStarted', 'AnalysisFailed', 'AnalysisFailed', 'CanaryAborted']);
  });

  it('no data holds the step as Inconclusive without aborting, and it resumes when data returns', async () => {
    const h = harness({ metrics: (_q, at) => (at < 100_000 ? { kind: 'no-data' } : { kind: 'value', value: 99.8 }) });
    const result = await run(
      h,
      spec({
        steps: [{ weight: 10 }, { pause: { duration: '30s' } }],
        analysis: { interval: '30s', failureLimit: 1, metrics: SUCCESS },
      }),
    );

    expect(result.phase).toBe('Succeeded');
    expect(result.failures).toBe(0);
    const inconclusive = h.saves.filter((p) => p.phase === 'Inconclusive');
    expect(inconclusive.length).toBeGreaterThanOrEqual(1);
    expect(inconclusive[0]).toMatchObject({ step: 0, weight: 10, message: 'success-rate: no data' });
    // The step was held while there was no data: it advanced on the first analysis with data.
    const firstData = h.queries.find((q) => q.at >= 100_000)!.at;
    expect(h.events.find((e) => e.reason === 'StepAdvanced')!.at).toBe(firstData);
    expect(result.analysis.filter((r) => r.result === 'Inconclusive').length).toBeGreaterThanOrEqual(3);
    // Back to Progressing once data returned.
    const afterData = h.saves.filter((p) => p.analysis.at(-1)?.result === 'Successful');
    expect(afterData[0]!.phase).toBe('Progressing');
    expect(afterData[0]!.message).toBeUndefined();
    expect(reasons(h)).not.toContain('CanaryAborted');
    expect(reasons(h)).not.toContain('AnalysisFailed');
  });

  it('an unreachable metrics server holds the canary too', async () => {
    const h = harness({
      metrics: (_q, at) =>
        at < 70_000
          ? { kind: 'error', error: { reason: 'unreachable', message: 'cannot reach Prometheus at http://prom:9090' } }
          : { kind: 'value', value: 100 },
    });
    const result = await run(h, spec({ steps: [{ weight: 10 }], analysis: { interval: '30s', metrics: SUCCESS } }));
    expect(result.phase).toBe('Succeeded');
    expect(h.saves.find((p) => p.phase === 'Inconclusive')!.message).toBe(
      'success-rate: cannot reach Prometheus at http://prom:9090',
    );
    expect(h.events.find((e) => e.reason === 'StepAdvanced')!.at).toBeGreaterThanOrEqual(70_000);
  });

  it('pause: {} waits until ferry rollout promote', async () => {
    let pausedAt: number | undefined;
    const h = harness({
      onTick: (x) => {
        if (pausedAt === undefined && x.last().phase === 'Paused') pausedAt = x.elapsed();
        if (pausedAt !== undefined && x.elapsed() >= pausedAt + 20 * 60_000 && !x.command && x.cleared === 0)
          x.command = { command: 'promote', requestedAt: new Date(T0 + x.elapsed()).toISOString(), commit: COMMIT };
      },
    });
    const result = await run(
      h,
      spec({ steps: [{ weight: 10 }, { pause: {} }, { weight: 20 }], analysis: { interval: '30s', metrics: SUCCESS } }),
    );

    expect(result.phase).toBe('Succeeded');
    const paused = h.saves.find((p) => p.phase === 'Paused')!;
    expect(paused).toMatchObject({ step: 1, weight: 10, message: 'waiting for ferry rollout promote' });
    // Nothing moved for 20 minutes: no step advanced, the weight stayed at 10.
    const second = h.events.filter((e) => e.reason === 'StepAdvanced')[1]!;
    expect(second.message).toBe('canary of web: step 2/3 done');
    expect(second.at).toBeGreaterThanOrEqual(pausedAt! + 20 * 60_000);
    expect(
      h.saves.filter((p) => p.weight === 20)[0]!.stepStartedAt >= new Date(T0 + pausedAt! + 20 * 60_000).toISOString(),
    ).toBe(true);
    expect(h.cleared).toBe(1);
    // The promote moved on one step only: the weight-20 step ran and was analysed.
    expect(result.analysis.some((r) => r.step === 2 && r.weight === 20 && r.result === 'Successful')).toBe(true);
    expect(canaryApplies(h).map((d) => d.spec.replicas)).toEqual([1, 2]);
  });

  it('ferry rollout promote ends a weight step held Inconclusive, and a second promote ends the next one', async () => {
    const h = harness({
      metrics: () => ({ kind: 'no-data' }),
      onTick: (x) => {
        if (x.command) return;
        if (x.cleared === 0 && x.elapsed() >= 100_000)
          x.command = { command: 'promote', requestedAt: new Date(T0 + x.elapsed()).toISOString(), commit: COMMIT };
        if (x.cleared === 1 && x.elapsed() >= 200_000)
          x.command = { command: 'promote', requestedAt: new Date(T0 + x.elapsed()).toISOString(), commit: COMMIT };
      },
    });
    const result = await run(
      h,
      spec({ steps: [{ weight: 10 }, { weight: 50 }], analysis: { interval: '30s', metrics: SUCCESS } }),
    );

    expect(result.phase).toBe('Succeeded');
    expect(h.cleared).toBe(2);
    // Both steps were held Inconclusive (no data, ever) until a promote ended them.
    expect(h.runs.length).toBeGreaterThanOrEqual(4);
    expect(h.runs.every((r) => r.result === 'Inconclusive')).toBe(true);
    expect(h.saves.some((p) => p.step === 0 && p.phase === 'Inconclusive')).toBe(true);
    expect(h.saves.some((p) => p.step === 1 && p.phase === 'Inconclusive')).toBe(true);
    const advanced = h.events.filter((e) => e.reason === 'StepAdvanced');
    expect(advanced.map((e) => e.message)).toEqual([
      'canary of web: step 1/2 done (weight 10)',
      'canary of web: step 2/2 done (weight 50)',
    ]);
    // The first promote moved the canary to step 2 (weight 50), not to promotion.
    expect(advanced[0]!.at).toBeGreaterThanOrEqual(100_000);
    expect(advanced[0]!.at).toBeLessThan(102_000);
    expect(h.saves.find((p) => p.step === 1)).toMatchObject({ phase: 'Progressing', weight: 10 });
    expect(h.saves.filter((p) => p.step === 1 && p.weight === 50).length).toBeGreaterThanOrEqual(1);
    expect(canaryApplies(h).map((d) => d.spec.replicas)).toEqual([1, 9]);
    expect(h.runs.some((r) => r.step === 1 && r.weight === 50)).toBe(true);
    // The second promote ended step 2: promoted.
    expect(advanced[1]!.at).toBeGreaterThanOrEqual(200_000);
    expect(advanced[1]!.at).toBeLessThan(202_000);
    expect(h.promotedAt).toBeGreaterThanOrEqual(advanced[1]!.at);
    expect(reasons(h).at(-1)).toBe('CanaryPromoted');
    expect(imageOf(h.cluster.dep('web'))).toBe('web:2');
  });

  it('ferry rollout promote ends a timed pause before its duration', async () => {
    const h = harness({
      onTick: (x) => {
        if (x.last().step === 1 && x.cleared === 0 && !x.command)
          x.command = { command: 'promote', requestedAt: new Date(T0 + x.elapsed()).toISOString(), commit: COMMIT };
      },
    });
    const result = await run(
      h,
      spec({
        steps: [{ weight: 10 }, { pause: { duration: '10m' } }],
        analysis: { interval: '30s', metrics: SUCCESS },
      }),
    );
    expect(result.phase).toBe('Succeeded');
    expect(h.cleared).toBe(1);
    const advanced = h.events.filter((e) => e.reason === 'StepAdvanced');
    expect(advanced[1]!.message).toBe('canary of web: step 2/2 done');
    expect(advanced[1]!.at - advanced[0]!.at).toBeLessThan(5_000);
  });

  it('promote --full skips the remaining steps', async () => {
    const h = harness({
      onTick: (x) => {
        if (x.last().phase === 'Paused' && x.cleared === 0)
          x.command = { command: 'promote-full', requestedAt: new Date(T0 + x.elapsed()).toISOString() };
      },
    });
    const result = await run(
      h,
      spec({
        steps: [{ weight: 10 }, { pause: {} }, { weight: 50 }, { pause: { duration: '10m' } }],
        analysis: { interval: '30s', metrics: SUCCESS },
      }),
    );

    expect(result.phase).toBe('Succeeded');
    expect(h.cleared).toBe(1);
    expect(h.saves.some((p) => p.weight === 50)).toBe(false);
    expect(canaryApplies(h).map((d) => d.spec.replicas)).toEqual([1]);
    expect(h.events.map((e) => e.message)).toContain(
      'canary of web: remaining steps skipped (ferry rollout promote --full)',
    );
    expect(reasons(h).at(-1)).toBe('CanaryPromoted');
    expect(h.elapsed()).toBeLessThan(5 * 60_000);
    expect(imageOf(h.cluster.dep('web'))).toBe('web:2');
    expect(h.cluster.dep('web-canary')).toBeUndefined();
  });

  it('ferry rollout abort aborts: canary removed, Aborted, never promoted', async () => {
    const h = harness({
      onTick: (x) => {
        if (x.last().phase === 'Paused' && x.cleared === 0)
          x.command = { command: 'abort', requestedAt: new Date(T0 + x.elapsed()).toISOString(), commit: COMMIT };
      },
    });
    const e = await pending(
      run(
        h,
        spec({
          steps: [{ weight: 10 }, { pause: {} }, { weight: 50 }],
          analysis: { interval: '30s', metrics: SUCCESS },
        }),
      ),
    );
    expect(e).toBeInstanceOf(CanaryAborted);
    expect((e as Error).message).toBe('aborted by ferry rollout abort');
    expect(h.cleared).toBe(1);
    expect(h.last()).toMatchObject({
      phase: 'Aborted',
      step: 1,
      weight: 10,
      message: 'aborted by ferry rollout abort',
    });
    expect(reasons(h).at(-1)).toBe('CanaryAborted');
    expect(h.events.at(-1)!.message).toContain('aborted at step 2/3');
    expect(h.cluster.dep('web-canary')).toBeUndefined();
    expect(h.promotedAt).toBeUndefined();
    expect(imageOf(h.cluster.dep('web'))).toBe('web:1');
  });

  it('a command for another commit is neither acted on nor cleared', async () => {
    const h = harness({
      onTick: (x) => {
        if (!x.command) x.command = { command: 'abort', requestedAt: '2026-12-01T00:00:00Z', commit: 'other' };
      },
    });
    const result = await run(h, spec({ steps: [{ weight: 10 }], analysis: { interval: '30s', metrics: SUCCESS } }));
    expect(result.phase).toBe('Succeeded');
    expect(h.cleared).toBe(0);
  });

  it(
    'resumes a saved progress at step 2, weight 50: the canary goes back to weight 50, never 0, ' +
      'and is not promoted at once',
    async () => {
      const h = harness();
      const s = spec({
        steps: [{ weight: 10 }, { pause: { duration: '1m' } }, { weight: 50 }, { pause: { duration: '2m' } }],
        analysis: { interval: '30s', metrics: SUCCESS },
      });
      const saved: CanaryProgress = {
        commit: COMMIT,
        component: 'web',
        workload: 'web',
        canary: 'web-canary',
        mode: 'replicas',
        step: 2,
        steps: 4,
        weight: 50,
        actualWeight: 50,
        phase: 'Progressing',
        stepStartedAt: new Date(T0 - 10_000).toISOString(),
        startedAt: new Date(T0 - 200_000).toISOString(),
        failures: 0,
        analysis: [
          { time: new Date(T0 - 150_000).toISOString(), step: 0, weight: 10, result: 'Successful', measurements: [] },
        ],
      };
      const result = await run(h, s, saved);

      expect(result.phase).toBe('Succeeded');
      expect(canaryApplies(h).map((d) => d.spec.replicas)).toEqual([9]);
      expect(h.saves[0]).toMatchObject({ step: 2, weight: 50 });
      expect(
        h.saves
          .filter((p) => p.phase !== 'Succeeded')
          .map((p) => p.weight)
          .every((w) => w === 50),
      ).toBe(true);
      expect(reasons(h)).not.toContain('CanaryStarted');
      expect(result.startedAt).toBe(saved.startedAt);
      expect(result.analysis[0]).toEqual(saved.analysis[0]);
      // Step 3 (weight 50) is analysed again, then the 2-minute pause: no promotion before both.
      expect(h.events.filter((e) => e.reason === 'StepAdvanced').map((e) => e.message)).toEqual([
        'canary of web: step 3/4 done (weight 50)',
        'canary of web: step 4/4 done',
      ]);
      expect(h.promotedAt).toBeGreaterThanOrEqual(30_000 + 120_000);
      expect(result.analysis.some((r) => r.step === 2 && r.weight === 50 && r.time >= new Date(T0).toISOString())).toBe(
        true,
      );
    },
  );

  it('resumes a saved Promoting progress by promoting, without setting a weight again', async () => {
    const h = harness();
    const s = spec({ steps: [{ weight: 10 }, { weight: 50 }], analysis: { interval: '30s', metrics: SUCCESS } });
    const saved: CanaryProgress = {
      commit: COMMIT,
      component: 'web',
      workload: 'web',
      canary: 'web-canary',
      mode: 'replicas',
      step: 1,
      steps: 2,
      weight: 50,
      phase: 'Promoting',
      stepStartedAt: new Date(T0).toISOString(),
      startedAt: new Date(T0).toISOString(),
      failures: 0,
      analysis: [],
    };
    const result = await run(h, s, saved);
    expect(result.phase).toBe('Succeeded');
    expect(canaryApplies(h)).toEqual([]);
    expect(h.queries).toEqual([]);
    expect(h.promotedAt).toBe(0);
  });

  it('a saved progress of another commit is not resumed: the canary starts over from step 0', async () => {
    const h = harness();
    const saved: CanaryProgress = {
      commit: 'old',
      component: 'web',
      workload: 'web',
      canary: 'web-canary',
      mode: 'replicas',
      step: 1,
      steps: 2,
      weight: 50,
      phase: 'Progressing',
      stepStartedAt: new Date(T0).toISOString(),
      startedAt: new Date(T0).toISOString(),
      failures: 1,
      analysis: [],
    };
    const result = await run(
      h,
      spec({ steps: [{ weight: 10 }, { weight: 50 }], analysis: { interval: '30s', metrics: SUCCESS } }),
      saved,
    );
    expect(result.phase).toBe('Succeeded');
    expect(result.commit).toBe(COMMIT);
    expect(h.saves[0]).toMatchObject({ step: 0, weight: 0, failures: 0, commit: COMMIT });
    expect(canaryApplies(h).map((d) => d.spec.replicas)).toEqual([1, 9]);
    expect(reasons(h)[0]).toBe('CanaryStarted');
  });
});

describe('runCanary, gateway', () => {
  const gatewaySpec = (metrics: object[] = SUCCESS) =>
    spec({
      steps: [{ weight: 10 }, { pause: { duration: '1m' } }, { weight: 50 }],
      analysis: { interval: '30s', metrics },
      trafficRouting: { gateway: { httpRoute: 'web' } },
    });

  it(
    'sets the HTTPRoute weights 90/10 then 50/50, creates <service>-canary, ' +
      'sizes the canary like stable, and restores the route',
    async () => {
      const h = harness({ gateway: true, renderedRoute: httpRoute });
      const result = await run(h, gatewaySpec());

      expect(result).toMatchObject({ phase: 'Succeeded', mode: 'gateway' });
      const routes = h.cluster.applied.filter((o) => o.kind === 'HTTPRoute').map(refs);
      expect(routes).toEqual([
        [
          { name: 'web-svc', port: 80, weight: 90 },
          { name: 'web-svc-canary', port: 80, weight: 10 },
        ],
        [
          { name: 'web-svc', port: 80, weight: 50 },
          { name: 'web-svc-canary', port: 80, weight: 50 },
        ],
        [{ name: 'web-svc', port: 80 }], // the route as Git renders it
      ]);
      // During the analyses: the route split at the step's weight, the canary Service present.
      const first = h.snapshots[0]!;
      expect(refs(first.route)).toEqual([
        { name: 'web-svc', port: 80, weight: 90 },
        { name: 'web-svc-canary', port: 80, weight: 10 },
      ]);
      expect(first.canaryService).toMatchObject({
        metadata: { name: 'web-svc-canary', namespace: NS },
        spec: {
          selector: { 'ferry.dev/track': 'canary', 'ferry.dev/canary-of': 'web' },
          ports: [{ name: 'http', port: 80, targetPort: 8080 }],
        },
      });
      // The canary's pods drop the stable Service's selector label: only the canary Service reaches them.
      expect(first.canary!.spec.template.metadata.labels).toEqual({
        'ferry.dev/track': 'canary',
        'ferry.dev/canary-of': 'web',
      });
      expect(canaryApplies(h).map((d) => d.spec.replicas)).toEqual([9, 9]);
      expect(
        h.saves.filter((p) => p.actualWeight !== undefined && p.phase === 'Progressing').map((p) => p.actualWeight),
      ).toEqual(expect.arrayContaining([10, 50]));
      // The analysis looks at the canary workload; {{ service }} is the canary Service.
      expect(h.queries[0]!.promql).toContain('workload="web-canary"');
      // After promotion: the canary Service and Deployment are gone.
      expect(
        await h.cluster.get({ apiVersion: 'v1', kind: 'Service', namespace: NS, name: 'web-svc-canary' }),
      ).toBeUndefined();
      expect(h.cluster.dep('web-canary')).toBeUndefined();
      expect(refs(await h.cluster.get(ROUTE_REF))).toEqual([{ name: 'web-svc', port: 80 }]);
    },
  );

  it('the route sends the canary traffic only once the pods its Service selects are ready, none after', async () => {
    // The canary's pods take 20 s to become ready after each scale.
    const h = harness({
      gateway: true,
      renderedRoute: httpRoute,
      readyAt: (name, at, scaledAt) => name !== 'web-canary' || at - scaledAt >= 20_000,
    });
    const result = await run(h, gatewaySpec());
    expect(result.phase).toBe('Succeeded');
    const weighted = h.cluster.routed.filter((r) => r.weight > 0);
    expect(weighted.map((r) => r.weight)).toEqual([10, 50]);
    // Every write that gives the canary a weight finds its 9 pods ready behind the canary Service.
    for (const r of weighted) expect(r.servedPods).toBe(9);
    // The first weight comes after the canary became ready (20 s after it was created), not with it.
    const canaryReady = h.ready.find((x) => x.name === 'web-canary')!.at;
    expect(canaryReady).toBeGreaterThanOrEqual(20_000);
    // The last route write is the rendered one (all traffic to stable), before the canary is deleted.
    expect(h.cluster.routed.at(-1)!.weight).toBe(0);
  });

  it('the {{ service }} of a custom query is the canary Service', async () => {
    const h = harness({ gateway: true });
    await run(
      h,
      gatewaySpec([
        { name: 'rps', query: 'sum(rate(http_requests_total{service="{{ service }}"}[{{ interval }}]))', min: 0 },
      ]),
    );
    expect(h.queries[0]!.promql).toBe('sum(rate(http_requests_total{service="web-svc-canary"}[30s]))');
  });

  it(
    'an abort sends all traffic back to stable (weight 0 without a rendered route) and removes the ' + 'canary Service',
    async () => {
      const h = harness({ gateway: true, metrics: () => ({ kind: 'value', value: 50 }) });
      const e = await pending(run(h, gatewaySpec()));
      expect(e).toBeInstanceOf(CanaryAborted);
      expect(refs(await h.cluster.get(ROUTE_REF))).toEqual([{ name: 'web-svc', port: 80, weight: 100 }]);
      expect(
        await h.cluster.get({ apiVersion: 'v1', kind: 'Service', namespace: NS, name: 'web-svc-canary' }),
      ).toBeUndefined();
      expect(h.cluster.dep('web-canary')).toBeUndefined();
      expect(h.last()).toMatchObject({ phase: 'Aborted', actualWeight: 0 });
    },
  );

  it('a missing HTTPRoute aborts before anything is applied', async () => {
    const h = harness();
    const e = await pending(run(h, gatewaySpec()));
    expect(e).toBeInstanceOf(CanaryAborted);
    expect((e as Error).message).toBe('trafficRouting.gateway.httpRoute: HTTPRoute shop/web not found');
    expect(h.cluster.applied).toEqual([]);
    expect(h.saves).toEqual([]);
  });
});

describe('runCanary, enough data before a verdict', () => {
  const oneStep = (metrics: object[] = SUCCESS, extra: object = {}) =>
    spec({ steps: [{ weight: 10 }], analysis: { interval: '10s', metrics, ...extra } });
  /** Scrapes every second from `from` ms (since T0) on, 40 requests/s, as Prometheus would return them. */
  const scrapedFrom =
    (from: number) =>
    (at: number, windowSeconds: number): EvidenceResult => {
      const first = Math.max(from, at - windowSeconds * 1000);
      if (at - first < 1000) return { kind: 'no-data' };
      return {
        kind: 'evidence',
        evidence: {
          requests: Math.round((40 * (at - first)) / 1000),
          firstMs: T0 + first,
          lastMs: T0 + at,
          scrapeMs: 1000,
        },
      };
    };

  it('a good value on too little of the window is inconclusive; the step passes once samples cover it', async () => {
    // The canary is ready after a second; its first sample reaches Prometheus 4 s later.
    const h = harness({ evidence: scrapedFrom(5_000) });
    const result = await run(h, oneStep());
    expect(result.phase).toBe('Succeeded');
    const [first, ...rest] = h.runs;
    expect(first).toMatchObject({ result: 'Inconclusive', evidence: { requests: 240, coverage: 70 } });
    expect(first!.message).toBe(
      'not enough data yet: 240 requests (20 needed), samples over 70 % of the window (80 % needed)',
    );
    // Retried soon (2 s), and passed on the run whose samples cover 80 % of the window.
    const passed = rest.find((r) => r.result === 'Successful')!;
    expect(passed.evidence!.coverage).toBeGreaterThanOrEqual(80);
    expect(rest.slice(0, rest.indexOf(passed)).every((r) => r.result === 'Inconclusive')).toBe(true);
  });

  it('too few requests: inconclusive, whatever the coverage (minRequests)', async () => {
    const h = harness({
      evidence: (at) => ({
        kind: 'evidence',
        evidence: { requests: at < 30_000 ? 15 : 60, firstMs: T0 + at - 10_000, lastMs: T0 + at, scrapeMs: 1000 },
      }),
    });
    const result = await run(h, oneStep(SUCCESS, { minRequests: 50 }));
    expect(result.phase).toBe('Succeeded');
    expect(h.runs[0]).toMatchObject({ result: 'Inconclusive', evidence: { requests: 15, coverage: 100 } });
    expect(h.runs[0]!.message).toContain('15 requests (50 needed)');
    expect(h.runs.at(-1)).toMatchObject({ result: 'Successful', evidence: { requests: 60 } });
  });

  it('a failing value stops the canary on a quarter of the requests, without waiting for the window', async () => {
    const h = harness({
      metrics: () => ({ kind: 'value', value: 80 }),
      evidence: () => ({ kind: 'evidence', evidence: { requests: 5, firstMs: T0, lastMs: T0 + 1000, scrapeMs: 1000 } }),
    });
    const e = await pending(run(h, oneStep()));
    expect(e).toBeInstanceOf(CanaryAborted);
    expect(h.runs).toHaveLength(1);
    expect(h.runs[0]).toMatchObject({ result: 'Failed', evidence: { requests: 5 } });
  });

  it('a failing value on fewer requests than that is inconclusive (4 of 20)', async () => {
    let n = 0;
    const h = harness({
      metrics: () => ({ kind: 'value', value: n++ === 0 ? 80 : 99.9 }),
      evidence: (at) => ({
        kind: 'evidence',
        evidence: { requests: at < 20_000 ? 4 : 400, firstMs: T0 + at - 10_000, lastMs: T0 + at, scrapeMs: 1000 },
      }),
    });
    const result = await run(h, oneStep());
    expect(result.phase).toBe('Succeeded');
    expect(h.runs[0]).toMatchObject({ result: 'Inconclusive' });
    expect(h.runs[0]!.message).toBe(
      'not enough data yet: 4 requests (5 needed), samples over 100 % of the window (80 % needed)',
    );
  });
});

describe('runCanary beside an autoscaled stable', () => {
  it('sizes the canary from the stable count as it is live (an autoscaler scaled it), not as rendered', async () => {
    const h = harness({ replicas: 3 });
    // The autoscaler's write through the scale subresource, after the stable was created with 3.
    await h.cluster.scale({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'web' }, 12, 'ferry-slo');
    const result = await run(h, spec({ steps: [{ weight: 25 }, { weight: 50 }], analysis: { metrics: SUCCESS } }));
    expect(result.phase).toBe('Succeeded');
    // c/(12+c) ≈ 25 % then 50 %: 4 then 12 canary pods (from the rendered 3 it would be 1 then 3).
    expect(canaryApplies(h).map((d) => d.spec.replicas)).toEqual([4, 12]);
  });
});
