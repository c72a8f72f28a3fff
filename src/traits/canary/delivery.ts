/**
 * The canary as the controller's delivering stage: which workloads need a canary (their rendered pod
 * template differs from the stable one, and a stable one runs), holding their new template back from
 * apply, and running each canary with the release's records, Events, metrics and hold.
 */
import type { Delivery, DeliveryInput } from '../../gitops/controller/delivery.js';
import { recordEvent } from '../../gitops/controller/events.js';
import type { Metrics } from '../../gitops/controller/telemetry.js';
import { clearRolloutCommand, readHistory, readRolloutCommand } from '../../gitops/release/release-store.js';
import type { KubeObject } from '../../objects/objects.js';
import { tracked } from '../../gitops/sync/tracking.js';
import type { MetricsPort } from '../../ports/metrics.js';
import { abortableSleep } from '../../util/sleep.js';
import { runSummary } from './analysis.js';
import type { CanaryPhase, CanaryProgress } from './progress.js';
import { CanaryAborted, runCanary } from './runner.js';
import { canaryTargets, LABEL_CANARY_OF, templateHash, templateOf, type CanaryTarget } from './targets.js';

export interface CanaryDeliveryOptions {
  metrics?: MetricsPort;
  telemetry: Metrics;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readyTimeoutMs?: number;
}

const PHASES: CanaryPhase[] = ['Progressing', 'Paused', 'Inconclusive', 'Promoting', 'Succeeded', 'Aborted'];
const same = (a: KubeObject, b: KubeObject) =>
  a.kind === b.kind &&
  a.metadata.name === b.metadata.name &&
  (a.metadata.namespace ?? '') === (b.metadata.namespace ?? '');

export class CanaryDelivery implements Delivery {
  constructor(private readonly o: CanaryDeliveryOptions) {}

  /** The canary targets whose stable workload runs another template: each with that stable template. */
  private async pending(i: DeliveryInput): Promise<{ target: CanaryTarget; stable: unknown }[]> {
    const { targets, problems } = canaryTargets(i.rendered.app, i.objects);
    if (problems.length > 0) throw new Error(problems.join('\n'));
    if (targets.length === 0) return [];
    // What runs now: the newest revision with manifests (Synced, or rolled back to). Without one
    // (a first deployment) there is no stable version to compare with: the template applies at once.
    const applied =
      (await readHistory(i.records, i.release)).find((h) => h.outcome !== 'Failed' && h.placements)?.placements?.[0]
        ?.objects ?? [];
    const out: { target: CanaryTarget; stable: unknown }[] = [];
    for (const t of targets) {
      const w = t.workload;
      const recorded = applied.find((o) => same(o, w));
      if (!recorded) continue;
      const live = await i.cluster.get({
        apiVersion: w.apiVersion,
        kind: w.kind,
        namespace: w.metadata.namespace ?? 'default',
        name: w.metadata.name,
      });
      if (!live) continue;
      const stable = templateOf(recorded);
      if (templateHash(w) !== templateHash(recorded)) out.push({ target: t, stable });
    }
    return out;
  }

  async holdBack(i: DeliveryInput): Promise<KubeObject[]> {
    const pending = await this.pending(i);
    if (pending.length === 0) return i.objects;
    return i.objects.map((o) => {
      const p = pending.find((x) => same(x.target.workload, o));
      return p ? ({ ...o, spec: { ...(o as { spec?: object }).spec, template: p.stable } } as KubeObject) : o;
    });
  }

  async deliver(i: Parameters<Delivery['deliver']>[0]): Promise<void> {
    const saved = i.release.delivery;
    const pending = await this.pending(i);
    const labels = (component: string) => ({ app: i.release.app, env: i.release.env, component });
    if (saved && saved.commit !== i.revision && !['Succeeded', 'Aborted'].includes(saved.phase)) {
      // A newer commit superseded a running canary: it is aborted and the new one starts from stable.
      await i.cluster
        .delete({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: i.rendered.namespace, name: saved.canary })
        .catch(() => undefined);
      for (const svc of await i.cluster
        .list('v1', 'Service', i.rendered.namespace, `${LABEL_CANARY_OF}=${saved.workload}`)
        .catch(() => []))
        await i.cluster
          .delete({ apiVersion: 'v1', kind: 'Service', namespace: i.rendered.namespace, name: svc.metadata.name })
          .catch(() => undefined);
      await this.event(
        i,
        'Warning',
        'CanaryAborted',
        `canary of ${saved.workload} at commit ${saved.commit.slice(0, 12)} superseded by commit ${i.revision.slice(0, 12)}; starting over from the stable version`,
      );
      this.o.telemetry.canaryWeight.set(labels(saved.component), 0);
    }
    // Aborted already (a controller stopped before the failure was recorded): never tried again unasked.
    if (saved && saved.commit === i.revision && saved.phase === 'Aborted' && pending.length > 0)
      throw new Error(`canary aborted: ${saved.message ?? ''}`);
    if (pending.length === 0) {
      if (saved && saved.commit !== i.revision) await i.report(undefined);
      return;
    }
    for (const { target } of pending) {
      const component = target.spec.component;
      const deps = {
        cluster: i.cluster,
        ...(this.o.metrics ? { metrics: this.o.metrics } : {}),
        now: this.o.now ?? Date.now,
        sleep: this.o.sleep ?? abortableSleep,
        readyTimeoutMs: this.o.readyTimeoutMs ?? 120_000,
        save: async (p: CanaryProgress) => {
          this.o.telemetry.canaryWeight.set(
            labels(component),
            p.phase === 'Succeeded' || p.phase === 'Aborted' ? 0 : p.weight,
          );
          for (const ph of PHASES)
            this.o.telemetry.canaryPhase.set({ ...labels(component), phase: ph }, ph === p.phase ? 1 : 0);
          await i.report(p);
        },
        event: (type: 'Normal' | 'Warning', reason: string, message: string) => this.event(i, type, reason, message),
        command: () => readRolloutCommand(i.records, i.release),
        clearCommand: () => clearRolloutCommand(i.records, i.release),
        analysed: (run: CanaryProgress['analysis'][number]) => {
          this.o.telemetry.analysisRuns.inc({ app: i.release.app, env: i.release.env, result: run.result });
          this.o.telemetry.analysisQueries.inc({ app: i.release.app, env: i.release.env }, run.measurements.length);
          i.log.info(
            {
              app: i.release.app,
              env: i.release.env,
              workload: target.workload.metadata.name,
              step: run.step,
              weight: run.weight,
              result: run.result,
              measured: runSummary(run),
            },
            'canary analysis',
          );
        },
        promoted: (w: KubeObject) => tracked(i.release, w),
        ...(target.spec.trafficRouting.gateway
          ? this.renderedRoute(i, target.spec.trafficRouting.gateway.httpRoute)
          : {}),
      };
      try {
        await runCanary(
          target.spec,
          target.workload,
          i.revision,
          saved?.component === component ? saved : undefined,
          deps,
          i.signal,
        );
      } catch (e) {
        if (!(e instanceof CanaryAborted)) throw e;
        // The release records it Failed and holds it on this commit (record.ts: recordFailed).
        throw new Error(`canary aborted: ${e.message}`);
      }
    }
  }

  private renderedRoute(i: DeliveryInput, name: string): { renderedRoute?: KubeObject } {
    const route = i.objects.find((o) => o.kind === 'HTTPRoute' && o.metadata.name === name);
    return route ? { renderedRoute: tracked(i.release, route) } : {};
  }

  private event(i: DeliveryInput, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    i.log.info({ app: i.release.app, env: i.release.env, reason }, message);
    return recordEvent(i.records, {
      app: i.release.app,
      env: i.release.env,
      namespace: i.rendered.namespace,
      type,
      reason,
      message,
    }).catch((e) => i.log.warn({ err: (e as Error).message }, 'cannot record an Event'));
  }
}
