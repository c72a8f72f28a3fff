/**
 * A canary's run, step by step: set the weight (canary replicas, or the HTTPRoute's weights), wait for
 * the canary's pods, analyse every interval, advance, pause, and at the end promote (the stable
 * workload takes the new template, the canary goes away) or abort (all traffic back to stable, the
 * canary removed). Progress is saved after every change, so a restarted controller resumes at the same
 * step and weight. The cluster, metrics, clock and records are injected.
 */
import type { ClusterPort } from '../../ports/cluster.js';
import type { MetricsPort } from '../../ports/metrics.js';
import type { KubeObject } from '../../gitops/sync/objects.js';
import type { RolloutCommand } from '../../gitops/release/release-store.js';
import { analyse, runSummary } from './analysis.js';
import { withRun, type AnalysisRun, type CanaryProgress } from './progress.js';
import type { CanarySpec } from './spec.js';
import { canaryDeployment, canaryName, canaryReplicas, canaryService, routeStableService, routeWeight, routeWithWeight } from './targets.js';

export interface RunnerDeps {
  cluster: ClusterPort;
  metrics?: MetricsPort;
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  save(p: CanaryProgress): Promise<void>;
  event(type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
  command(): Promise<RolloutCommand | undefined>;
  clearCommand(): Promise<void>;
  analysed(run: AnalysisRun): void;
  /** The stable workload as Git renders it (the new template), tracked as the sync applies it. */
  promoted(workload: KubeObject): KubeObject;
  /** The HTTPRoute as Git renders it, tracked, when the app renders it (restored after the canary). */
  renderedRoute?: KubeObject;
  /** How long the canary's pods may take to become ready before it is Degraded (default 2 minutes). */
  readyTimeoutMs?: number;
}

export class CanaryAborted extends Error {}

/** How soon an inconclusive analysis is tried again (or the interval, when shorter). */
export const INCONCLUSIVE_RETRY_MS = 2000;

/** The canary of `workload` at `commit`: from `saved` when it is this commit's, else from the start. */
export async function runCanary(spec: CanarySpec, workload: KubeObject, commit: string, saved: CanaryProgress | undefined, d: RunnerDeps, signal: AbortSignal): Promise<CanaryProgress> {
  const ns = workload.metadata.namespace ?? 'default';
  const name = workload.metadata.name;
  const gateway = spec.trafficRouting.gateway;
  const routeRef = gateway ? { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: ns, name: gateway.httpRoute } : undefined;
  const stableRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name };
  const canaryRef = { ...stableRef, name: canaryName(name) };
  const time = () => new Date(d.now()).toISOString();

  // Gateway mode: the route and its stable Service, read once (the route is re-read when weights change).
  let stableService = name;
  let dropLabels: string[] = [];
  if (routeRef) {
    const route = await d.cluster.get(routeRef);
    if (!route) throw new CanaryAborted(`trafficRouting.gateway.httpRoute: HTTPRoute ${ns}/${routeRef.name} not found`);
    const svc = routeStableService(route);
    if (!svc) throw new CanaryAborted(`HTTPRoute ${ns}/${routeRef.name} has no Service backend to split`);
    stableService = svc;
    const live = await d.cluster.get({ apiVersion: 'v1', kind: 'Service', namespace: ns, name: svc });
    if (!live) throw new CanaryAborted(`Service ${ns}/${svc} (the HTTPRoute's backend) not found`);
    dropLabels = Object.keys((live as { spec?: { selector?: Record<string, string> } }).spec?.selector ?? {});
    await d.cluster.apply(canaryService(live, name), { force: true });
  }

  const fresh = saved === undefined || saved.commit !== commit || saved.component !== spec.component || saved.phase === 'Aborted' || saved.phase === 'Succeeded';
  let p: CanaryProgress = fresh
    ? { commit, component: spec.component, workload: name, canary: canaryName(name), mode: gateway ? 'gateway' : 'replicas', step: 0, steps: spec.steps.length, weight: 0, phase: 'Progressing', stepStartedAt: time(), startedAt: time(), failures: 0, analysis: [] }
    : saved;
  const save = async (next: Partial<CanaryProgress>) => {
    p = { ...p, ...next };
    await d.save(p);
  };
  if (fresh) {
    await save({});
    await d.event('Normal', 'CanaryStarted', `canary of ${name} at commit ${commit.slice(0, 12)}: ${spec.steps.length} steps`);
  }

  const stableReplicas = async () => ((await d.cluster.get(stableRef)) as { spec?: { replicas?: number } } | undefined)?.spec?.replicas ?? 1;
  /** Puts the weight in force: canary replicas (replica ratio), or the route's weights with a full-size canary. */
  const setWeight = async (weight: number) => {
    const n = await stableReplicas();
    const replicas = gateway ? n : weight > 0 ? canaryReplicas(n, weight) : 0;
    await d.cluster.apply(canaryDeployment(workload, replicas, commit, dropLabels), { force: true });
    if (routeRef) {
      const live = await d.cluster.get(routeRef);
      if (live) await d.cluster.apply(routeWithWeight(live, stableService, weight), { force: true });
    }
    return { replicas, n };
  };
  const actualWeight = async (): Promise<number> => {
    if (routeRef) {
      const live = await d.cluster.get(routeRef);
      return live ? routeWeight(live, stableService) : 0;
    }
    const ready = async (ref: typeof stableRef) => ((await d.cluster.get(ref)) as { status?: { readyReplicas?: number } } | undefined)?.status?.readyReplicas ?? 0;
    const [s, c] = [await ready(stableRef), await ready(canaryRef)];
    return s + c === 0 ? 0 : Math.round((100 * c) / (s + c));
  };
  /** Removes the canary: traffic back to stable first, then the canary's objects. */
  const removeCanary = async () => {
    if (routeRef) {
      if (d.renderedRoute) await d.cluster.apply(d.renderedRoute, { force: true });
      else {
        const live = await d.cluster.get(routeRef);
        if (live) await d.cluster.apply(routeWithWeight(live, stableService, 0), { force: true });
      }
      await d.cluster.delete({ apiVersion: 'v1', kind: 'Service', namespace: ns, name: canaryName(stableService) });
    }
    await d.cluster.delete(canaryRef);
  };
  const abort = async (why: string, reason = 'CanaryAborted'): Promise<never> => {
    await removeCanary();
    await save({ phase: 'Aborted', message: why, actualWeight: 0 });
    await d.event('Warning', reason === 'CanaryAborted' ? 'CanaryAborted' : reason, `canary of ${name} at commit ${commit.slice(0, 12)} aborted at step ${Math.min(p.step + 1, p.steps)}/${p.steps}: ${why}; all traffic back to the stable version`);
    throw new CanaryAborted(why);
  };

  /** The canary's pods: Degraded when they do not become ready in time. */
  const canaryState = async (want: number, since: number): Promise<'ready' | 'waiting'> => {
    const live = (await d.cluster.get(canaryRef)) as { metadata?: { generation?: number }; status?: { readyReplicas?: number; updatedReplicas?: number; observedGeneration?: number; conditions?: { type: string; status: string; reason?: string; message?: string }[] } } | undefined;
    const st = live?.status;
    const stalled = st?.conditions?.find((c) => c.type === 'Progressing' && c.status === 'False');
    if (stalled) await abort(`the canary is Degraded: ${stalled.reason ?? ''} ${stalled.message ?? ''}`.trim());
    if (live && (st?.observedGeneration ?? 0) >= (live.metadata?.generation ?? 0) && (st?.readyReplicas ?? 0) >= want) return 'ready';
    if (d.now() - since > (d.readyTimeoutMs ?? 120_000)) await abort(`the canary is Degraded: ${st?.readyReplicas ?? 0} of ${want} pods ready after ${Math.round((d.readyTimeoutMs ?? 120_000) / 1000)} s`);
    return 'waiting';
  };

  const interval = spec.analysis.intervalMs;
  const window = `${Math.max(10, Math.round(interval / 1000))}s`;
  let nextAnalysis = d.now() + interval;
  /** One analysis when due: 'pass' | 'fail' (aborts at the limit) | 'inconclusive' | 'none' (no metrics) | 'wait'. */
  const analysisTick = async (): Promise<'pass' | 'inconclusive' | 'none' | 'wait'> => {
    if (spec.analysis.metrics.length === 0) return 'none';
    if (d.now() < nextAnalysis) return 'wait';
    nextAnalysis = d.now() + interval;
    // Checks declared with no metrics server to ask are never passed over: the canary waits, inconclusive.
    const metrics: MetricsPort = d.metrics ?? { query: async () => ({ kind: 'error', error: { reason: 'unreachable', message: 'no metrics server configured (ferry serve --prometheus-url or FERRY_PROMETHEUS_URL)' } }) };
    const run = await analyse(metrics, spec.analysis.metrics, { namespace: ns, workload: canaryName(name), service: gateway ? canaryName(stableService) : stableService, window }, { step: p.step, weight: p.weight, time: time() });
    d.analysed(run);
    p = withRun(p, run);
    const summary = runSummary(run);
    if (run.result === 'Failed') {
      const failures = p.failures + 1;
      await save({ failures });
      await d.event('Warning', 'AnalysisFailed', `canary of ${name}: ${summary} (${failures}/${spec.analysis.failureLimit} failed checks)`);
      if (failures >= spec.analysis.failureLimit) await abort(summary);
      return 'wait';
    }
    if (run.result === 'Inconclusive') {
      // Often the first samples of new pods are not scraped yet: ask again soon, not a whole interval later.
      nextAnalysis = d.now() + Math.min(interval, INCONCLUSIVE_RETRY_MS);
      await save({ phase: 'Inconclusive', message: summary });
      return 'inconclusive';
    }
    await save({ phase: p.phase === 'Inconclusive' ? 'Progressing' : p.phase, ...(p.phase === 'Inconclusive' ? { message: undefined } : {}) });
    return 'pass';
  };

  let command: RolloutCommand | undefined;
  const readCommand = async () => {
    const c = await d.command();
    if (!c || (c.commit && c.commit !== commit)) return;
    await d.clearCommand();
    if (c.command === 'abort') await abort('aborted by ferry rollout abort', 'CanaryAborted');
    command = c;
  };

  // Resume (or start) at the saved weight: never back to 0 % when some steps were done, never to 100 %.
  if (!fresh && p.weight > 0 && p.phase !== 'Promoting') await setWeight(p.weight);

  while (p.step < spec.steps.length && p.phase !== 'Promoting') {
    const s = spec.steps[p.step]!;
    const stepStart = Date.parse(p.stepStartedAt);
    let since = d.now();
    if ('weight' in s && p.weight !== s.weight) {
      await setWeight(s.weight);
      await save({ weight: s.weight });
      since = d.now();
    }
    let ready = !('weight' in s);
    let passed = false;
    for (;;) {
      if (signal.aborted) throw new Error('superseded');
      await readCommand();
      if (command?.command === 'promote-full') break;
      if ('weight' in s && !ready) {
        const want = gateway ? await stableReplicas() : canaryReplicas(await stableReplicas(), s.weight);
        ready = (await canaryState(want, since)) === 'ready';
        // The step passes on an analysis of data taken at this weight: one interval from now.
        if (ready) {
          nextAnalysis = d.now() + interval;
          await save({ actualWeight: await actualWeight() });
        }
      }
      // A weight step is judged on data taken at its weight: no analysis before its pods are ready.
      const a = 'weight' in s && !ready ? 'wait' : await analysisTick();
      if (a === 'pass' || a === 'none') passed = true;
      // `ferry rollout promote` ends the step in force, whatever it is.
      if (command?.command === 'promote') break;
      const lastInconclusive = p.analysis.at(-1)?.result === 'Inconclusive' && a !== 'pass';
      if ('weight' in s) {
        if (ready && passed && !lastInconclusive) break;
      } else if (s.pause.durationMs !== undefined) {
        if (d.now() - stepStart >= s.pause.durationMs && !lastInconclusive) break;
      } else {
        if (p.phase !== 'Paused' && !lastInconclusive) await save({ phase: 'Paused', message: 'waiting for ferry rollout promote' });
      }
      // Until the next analysis is due, and at least once a second for readiness and commands.
      const analysing = spec.analysis.metrics.length > 0;
      await d.sleep(analysing ? Math.min(1000, Math.max(50, nextAnalysis - d.now())) : 1000, signal);
    }
    if (command?.command === 'promote-full') {
      await d.event('Normal', 'StepAdvanced', `canary of ${name}: remaining steps skipped (ferry rollout promote --full)`);
      break;
    }
    if (command?.command === 'promote') command = undefined;
    await save({ step: p.step + 1, stepStartedAt: time(), phase: 'Progressing', message: undefined });
    await d.event('Normal', 'StepAdvanced', `canary of ${name}: step ${p.step}/${p.steps} done${'weight' in s ? ` (weight ${s.weight})` : ''}`);
  }

  // Promotion: the stable workload takes the new template and rolls; then the canary goes away.
  await save({ phase: 'Promoting', message: undefined });
  await d.cluster.apply(d.promoted(workload), { force: true });
  for (;;) {
    if (signal.aborted) throw new Error('superseded');
    const live = (await d.cluster.get(stableRef)) as { metadata?: { generation?: number }; spec?: { replicas?: number }; status?: { observedGeneration?: number; updatedReplicas?: number; availableReplicas?: number; replicas?: number } } | undefined;
    const st = live?.status;
    const want = live?.spec?.replicas ?? 1;
    if (live && (st?.observedGeneration ?? 0) >= (live.metadata?.generation ?? 0) && (st?.updatedReplicas ?? 0) >= want && (st?.availableReplicas ?? 0) >= want && (st?.replicas ?? 0) <= want) break;
    await d.sleep(500, signal);
  }
  await removeCanary();
  await save({ phase: 'Succeeded', weight: 100, actualWeight: 100, step: spec.steps.length });
  await d.event('Normal', 'CanaryPromoted', `canary of ${name} at commit ${commit.slice(0, 12)} promoted: the stable version runs the new template`);
  return p;
}
