/**
 * The SLO autoscaler at work (the `slo` trait's watch, src/traits/api/runtime-trait.ts): every interval it
 * reads the component's request rate, latency at the objective's percentile (and success rate) through
 * the environment's metric source, asks the autoscaler for a replica count, and writes it through the
 * Deployment's scale subresource with its own field manager. No data, or Prometheus down: the replicas
 * stay, and the status says why. Each decision is logged, reported with the release's state, and an Event
 * is recorded when replicas change.
 */
import type { KubeObject, ObjectRef } from '../../objects/objects.js';
import type { QueryResult, WorkloadRef } from '../../ports/metrics.js';
import { abortableSleep } from '../../util/sleep.js';
import type { TraitRuntime, TraitRuntimeContext, WatchInput } from '../api/runtime-trait.js';
import { canaryWorkload } from '../canary/targets.js';
import type { AutoscalerMemory } from './autoscaler.js';
import { newDecider } from './decider.js';
import { type SloMetrics, sloMetrics } from './metrics.js';
import type { SloSpec } from './spec.js';
import { RECENT_KEPT, type SloStatus } from './status.js';

/** The field manager of the autoscaler's writes (`kubectl get -o yaml --show-managed-fields` shows it). */
export const SLO_FIELD_MANAGER = 'ferry-slo';

type Live = { spec?: { replicas?: number }; status?: { readyReplicas?: number } };
const value = (r: QueryResult) => (r.kind === 'value' && Number.isFinite(r.value) ? r.value : undefined);
const why = (r: { kind: string; error?: { message: string } }) => r.error?.message ?? 'no data';

export function objectiveText(spec: SloSpec): string {
  const p = `p${spec.latency.percentile} ≤ ${spec.latency.maxMs} ms`;
  return spec.successRate ? `${p}, success rate ≥ ${spec.successRate.min} %` : p;
}

export class SloRuntime implements TraitRuntime<SloSpec, SloStatus> {
  private readonly metrics: SloMetrics;

  constructor(private readonly c: TraitRuntimeContext) {
    this.metrics = sloMetrics(c.registry);
  }

  async watch(i: WatchInput<SloSpec, SloStatus>): Promise<void> {
    const workload = canaryWorkload(i.component, i.objects);
    if (!workload) throw new Error(`component "${i.component}" trait "slo": the component renders no Deployment`);
    const ref: ObjectRef = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: workload.metadata.namespace ?? i.namespace,
      name: workload.metadata.name,
    };
    const w: WorkloadRef = { namespace: ref.namespace!, workload: ref.name, service: ref.name };
    const labels = { app: i.app, env: i.env, component: i.component };
    const now = this.c.now ?? Date.now;
    const sleep = this.c.sleep ?? abortableSleep;
    const spec = i.spec;
    const windowSeconds = Math.round(spec.windowMs / 1000);
    const decider = newDecider(spec, i.progress?.memory as AutoscalerMemory | undefined);
    let violationSeconds = i.progress?.violationSeconds ?? 0;
    let lastScale = i.progress?.lastScale;
    let recent = i.progress?.recent ?? [];
    this.metrics.target.set(labels, spec.latency.maxMs / 1000);
    while (!i.signal.aborted) {
      const started = now();
      const live = (await i.cluster.get(ref)) as (KubeObject & Live) | undefined;
      if (live) {
        const replicas = live.spec?.replicas ?? 1;
        const ready = live.status?.readyReplicas ?? 0;
        const [rate, latency, success] = i.metrics
          ? await Promise.all([
              i.metrics.requestRate(w, windowSeconds),
              i.metrics.latencyTail(w, windowSeconds, spec.latency.quantile),
              spec.successRate ? i.metrics.successRate(w, windowSeconds) : Promise.resolve(undefined),
            ])
          : [undefined, undefined, undefined];
        const missing = !i.metrics
          ? 'no metrics source (ferry.yaml metrics.prometheus or ferry serve --prometheus-url)'
          : latency?.kind !== 'value'
            ? `latency: ${latency ? why(latency) : 'no data'}`
            : value(rate!) === undefined
              ? `request rate: ${why(rate!)}`
              : undefined;
        const observedMs = latency?.kind === 'value' ? latency.value : undefined;
        const rps = rate ? value(rate) : undefined;
        const decision = decider.decide({
          at: started,
          replicas,
          readyReplicas: ready,
          rps: missing === undefined ? rps : undefined,
          latencyMs: missing === undefined ? observedMs : undefined,
        });
        const desired = Math.min(spec.replicas.max, Math.max(spec.replicas.min, decision.desired));
        const violated = observedMs !== undefined && observedMs > spec.latency.maxMs;
        if (violated) {
          violationSeconds += spec.intervalMs / 1000;
          this.metrics.violation.inc(labels, spec.intervalMs / 1000);
        }
        if (observedMs !== undefined) this.metrics.observed.set(labels, observedMs / 1000);
        this.metrics.desired.set(labels, desired);
        const reason = missing ? `${missing}: keeping ${replicas} replicas` : decision.reason;
        if (desired !== replicas && !missing) {
          await i.cluster.scale(ref, desired, SLO_FIELD_MANAGER);
          lastScale = { at: new Date(started).toISOString(), from: replicas, to: desired };
          await i.event('Normal', 'SloScaled', `${ref.name}: ${replicas} → ${desired} replicas: ${reason}`);
        }
        const successRate = success ? value(success) : undefined;
        const status: SloStatus = {
          objective: objectiveText(spec),
          state: missing ? 'NoData' : violated ? 'Violated' : 'Met',
          ...(observedMs !== undefined ? { observedMs } : {}),
          ...(latency?.kind === 'value' ? { histogramQuantileMs: latency.linear } : {}),
          ...(rps !== undefined ? { rps } : {}),
          ...(successRate !== undefined ? { successRate } : {}),
          replicas,
          desired: missing ? replicas : desired,
          reason,
          at: new Date(started).toISOString(),
          ...(lastScale ? { lastScale } : {}),
          violationSeconds,
          workload: w,
          windowSeconds,
          maxMs: spec.latency.maxMs,
          quantile: spec.latency.quantile,
          recent: [...recent, { at: started, ...(observedMs !== undefined ? { ms: observedMs } : {}), replicas }].slice(
            -RECENT_KEPT,
          ),
          ...(decider.memory ? { memory: decider.memory } : {}),
        };
        recent = status.recent!;
        const { memory: _memory, recent: _recent, ...shown } = status;
        i.log.info(shown, 'slo evaluated');
        await i.report(status);
      }
      await sleep(Math.max(0, spec.intervalMs - (now() - started)), i.signal).catch(() => undefined);
    }
  }
}
