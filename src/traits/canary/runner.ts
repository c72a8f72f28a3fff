/**
 * A canary's run, step by step: set the weight (canary replicas, or the HTTPRoute's weights), wait for
 * the canary's pods, analyse every interval, advance, pause, and at the end promote (the stable
 * workload takes the new template, the canary goes away) or abort (all traffic back to stable, the
 * canary removed). Progress is saved after every change, so a restarted controller resumes at the same
 * step and weight. The cluster, metrics, clock and records are injected.
 */
import type { ClusterPort } from '../../ports/cluster.js';
import type { QueryResult, WorkloadMetrics } from '../../ports/metrics.js';
import type { KubeObject } from '../../objects/objects.js';
import type { RolloutCommand } from './command.js';
import { analyse, runSummary } from './analysis.js';
import { withRun, type AnalysisRun, type CanaryProgress } from './progress.js';
import type { CanarySpec } from './spec.js';
import { canaryName } from './targets.js';
import { CanaryAborted, CanaryTraffic } from './traffic.js';

export { CanaryAborted };

export interface RunnerDeps {
  cluster: ClusterPort;
  /** The environment's metrics (its provider owns the labels). */
  metrics?: WorkloadMetrics;
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  save(p: CanaryProgress): Promise<void>;
  event(type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
  command(): Promise<RolloutCommand | undefined>;
  clearCommand(): Promise<void>;
  analysed(run: AnalysisRun): void;
  /** The stable workload as Git renders it (the new template), tracked as the sync applies it. */
  promoted(workload: KubeObject): KubeObject | Promise<KubeObject>;
  /** The HTTPRoute as Git renders it, tracked, when the app renders it (restored after the canary). */
  renderedRoute?: KubeObject;
  /** How long the canary's pods may take to become ready before it is Degraded (default 2 minutes). */
  readyTimeoutMs?: number;
}

const unconfigured: QueryResult = {
  kind: 'error',
  error: {
    reason: 'unreachable',
    message:
      'no metrics server configured (ferry.yaml metrics.prometheus, ferry serve --prometheus-url ' +
      'or FERRY_PROMETHEUS_URL)',
  },
};
const NO_METRICS: WorkloadMetrics = {
  name: 'no metrics server',
  separatesWorkloads: true,
  evidence: async () => unconfigured,
  requestRate: async () => unconfigured,
  successRate: async () => unconfigured,
  latency: async () => unconfigured,
  latencyTail: async () => unconfigured,
  query: async () => unconfigured,
};

/** How soon an inconclusive analysis is tried again (or the interval, when shorter). */
export const INCONCLUSIVE_RETRY_MS = 2000;

/** The canary of `workload` at `commit`: from `saved` when it is this commit's, else from the start. */
export async function runCanary(
  spec: CanarySpec,
  workload: KubeObject,
  commit: string,
  saved: CanaryProgress | undefined,
  d: RunnerDeps,
  signal: AbortSignal,
): Promise<CanaryProgress> {
  const traffic = new CanaryTraffic(d.cluster, workload, commit, spec, d.renderedRoute);
  const { namespace: ns, name } = traffic;
  const time = () => new Date(d.now()).toISOString();
  await traffic.prepare();

  const fresh =
    saved === undefined ||
    saved.commit !== commit ||
    saved.component !== spec.component ||
    saved.phase === 'Aborted' ||
    saved.phase === 'Succeeded';
  let p: CanaryProgress = fresh
    ? {
        commit,
        component: spec.component,
        workload: name,
        canary: canaryName(name),
        mode: traffic.gateway ? 'gateway' : 'replicas',
        step: 0,
        steps: spec.steps.length,
        weight: 0,
        phase: 'Progressing',
        stepStartedAt: time(),
        startedAt: time(),
        failures: 0,
        analysis: [],
      }
    : saved;
  // The workloads the analysis measures (the dashboard charts them too).
  const windowSeconds = Math.max(10, Math.round(spec.analysis.intervalMs / 1000));
  const measured = {
    canary: { namespace: ns, workload: canaryName(name), service: traffic.service },
    stable: { namespace: ns, workload: name, service: traffic.stableService },
    windowSeconds,
  };
  p = { ...p, measured };
  const save = async (next: Partial<CanaryProgress>) => {
    p = { ...p, ...next };
    await d.save(p);
  };
  if (fresh) {
    await save({});
    await d.event(
      'Normal',
      'CanaryStarted',
      `canary of ${name} at commit ${commit.slice(0, 12)}: ${spec.steps.length} steps`,
    );
  }

  const abort = async (why: string, reason = 'CanaryAborted'): Promise<never> => {
    await traffic.remove();
    await save({ phase: 'Aborted', message: why, actualWeight: 0 });
    await d.event(
      'Warning',
      reason === 'CanaryAborted' ? 'CanaryAborted' : reason,
      `canary of ${name} at commit ${commit.slice(0, 12)} ` +
        `aborted at step ${Math.min(p.step + 1, p.steps)}/${p.steps}: ` +
        `${why}; all traffic back to the stable version`,
    );
    throw new CanaryAborted(why);
  };

  /** The canary's pods: ready, waiting, or Degraded (stalled, or not ready in time: aborts). */
  const canaryReady = async (want: number, since: number): Promise<boolean> => {
    const c = await traffic.canaryState(want);
    if (c.state === 'degraded') return abort(`the canary is Degraded: ${c.why}`);
    if (c.state === 'ready') return true;
    const limit = d.readyTimeoutMs ?? 120_000;
    if (d.now() - since > limit)
      await abort(`the canary is Degraded: ${c.ready} of ${want} pods ready after ${Math.round(limit / 1000)} s`);
    return false;
  };

  const interval = spec.analysis.intervalMs;
  let nextAnalysis = d.now() + interval;
  /** When the canary's pods at the current weight became ready (data before it is of fewer pods). */
  let readyAt = d.now();
  // A provider that sees Services only cannot tell the canary's pods from the stable ones behind one Service.
  const builtIn = spec.analysis.metrics.some((m) => m.query === undefined);
  if (d.metrics && !d.metrics.separatesWorkloads && builtIn && !traffic.gateway)
    await abort(
      `the metrics provider (${d.metrics.name}) tells Services apart, not pods: the canary's pods share the ` +
        'stable Service in replica mode; give trafficRouting.gateway (a canary Service of its own) or another provider',
    );
  /** One analysis when due: 'pass' | 'fail' (aborts at the limit) | 'inconclusive' | 'none' (no metrics) | 'wait'. */
  const analysisTick = async (): Promise<'pass' | 'inconclusive' | 'none' | 'wait'> => {
    if (spec.analysis.metrics.length === 0) return 'none';
    if (d.now() < nextAnalysis) return 'wait';
    nextAnalysis = d.now() + interval;
    // Checks declared with no metrics server to ask are never passed over: the canary waits, inconclusive.
    const metrics = d.metrics ?? NO_METRICS;
    const run = await analyse(
      metrics,
      spec.analysis,
      {
        canary: measured.canary,
        stable: measured.stable,
        windowSeconds,
        readyAt,
        now: d.now(),
      },
      { step: p.step, weight: p.weight, time: time() },
    );
    d.analysed(run);
    p = withRun(p, run);
    const summary = runSummary(run);
    if (run.result === 'Failed') {
      const failures = p.failures + 1;
      await save({ failures });
      await d.event(
        'Warning',
        'AnalysisFailed',
        `canary of ${name}: ${summary} (${failures}/${spec.analysis.failureLimit} failed checks)`,
      );
      if (failures >= spec.analysis.failureLimit) await abort(summary);
      return 'wait';
    }
    if (run.result === 'Inconclusive') {
      // Often the first samples of new pods are not scraped yet: ask again soon, not a whole interval later.
      nextAnalysis = d.now() + Math.min(interval, INCONCLUSIVE_RETRY_MS);
      await save({ phase: 'Inconclusive', message: summary });
      return 'inconclusive';
    }
    await save({
      phase: p.phase === 'Inconclusive' ? 'Progressing' : p.phase,
      ...(p.phase === 'Inconclusive' ? { message: undefined } : {}),
    });
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

  // Resume at the saved weight: never back to 0 % when some steps were done, never to 100 %. A route
  // sends traffic only once the canary's pods are ready to take it.
  if (!fresh && p.weight > 0 && p.phase !== 'Promoting') {
    await traffic.scale(p.weight);
    if (traffic.gateway) {
      const since = d.now();
      while (!(await canaryReady(await traffic.canaryPods(p.weight), since))) {
        if (signal.aborted) throw new Error('superseded');
        await d.sleep(500, signal);
      }
      await traffic.route(p.weight);
      readyAt = d.now();
    }
  }

  while (p.step < spec.steps.length && p.phase !== 'Promoting') {
    const s = spec.steps[p.step]!;
    const stepStart = Date.parse(p.stepStartedAt);
    let since = d.now();
    if ('weight' in s && p.weight !== s.weight) {
      // The canary's pods first; in gateway mode the route follows once they are ready (below).
      await traffic.scale(s.weight);
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
        ready = await canaryReady(await traffic.canaryPods(s.weight), since);
        // The step passes on an analysis of data taken at this weight: one interval from now.
        if (ready) {
          if (traffic.gateway) await traffic.route(s.weight);
          readyAt = d.now();
          nextAnalysis = d.now() + interval;
          await save({ actualWeight: await traffic.actualWeight() });
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
        if (p.phase !== 'Paused' && !lastInconclusive)
          await save({ phase: 'Paused', message: 'waiting for ferry rollout promote' });
      }
      // Until the next analysis is due, and at least once a second for readiness and commands.
      const analysing = spec.analysis.metrics.length > 0;
      await d.sleep(analysing ? Math.min(1000, Math.max(50, nextAnalysis - d.now())) : 1000, signal);
    }
    if (command?.command === 'promote-full') {
      await d.event(
        'Normal',
        'StepAdvanced',
        `canary of ${name}: remaining steps skipped (ferry rollout promote --full)`,
      );
      break;
    }
    if (command?.command === 'promote') command = undefined;
    await save({ step: p.step + 1, stepStartedAt: time(), phase: 'Progressing', message: undefined });
    await d.event(
      'Normal',
      'StepAdvanced',
      `canary of ${name}: step ${p.step}/${p.steps} done${'weight' in s ? ` (weight ${s.weight})` : ''}`,
    );
  }

  // Promotion: the stable workload takes the new template and rolls; then the canary goes away.
  await save({ phase: 'Promoting', message: undefined });
  await traffic.applyStable(await d.promoted(workload));
  while (!(await traffic.stableRolledOut())) {
    if (signal.aborted) throw new Error('superseded');
    await d.sleep(500, signal);
  }
  await traffic.remove();
  await save({ phase: 'Succeeded', weight: 100, actualWeight: 100, step: spec.steps.length });
  await d.event(
    'Normal',
    'CanaryPromoted',
    `canary of ${name} at commit ${commit.slice(0, 12)} promoted: the stable version runs the new template`,
  );
  return p;
}
