/**
 * The canary's runtime (src/traits/api/runtime-trait.ts): whether a component needs a canary (its rendered
 * pod template differs from the stable one, and a stable one runs), holding its new template back from
 * apply, and running the canary with the release's records, Events and metrics. A verdict is an outcome,
 * never an exception: the core records it (and holds an aborted commit).
 */
import { refOf, type KubeObject } from '../../objects/objects.js';
import { withLiveFields } from '../../objects/fields.js';
import { SYNC_FIELD_MANAGER } from '../../ports/cluster.js';
import { abortableSleep } from '../../util/sleep.js';
import type {
  DeliverInput,
  TraitOutcome,
  TraitRuntime,
  TraitRuntimeContext,
  TraitTarget,
} from '../api/runtime-trait.js';
import { runSummary } from './analysis.js';
import { decodeCommand } from './command.js';
import { withObjectives } from './objectives.js';
import { type CanaryMetrics, canaryMetrics } from './metrics.js';
import type { CanaryPhase, CanaryProgress } from './progress.js';
import { CanaryAborted, runCanary } from './runner.js';
import type { CanarySpec } from './spec.js';
import { canaryWorkload, LABEL_CANARY_OF, templateHash, templateOf } from './targets.js';

const PHASES: CanaryPhase[] = ['Progressing', 'Paused', 'Inconclusive', 'Promoting', 'Succeeded', 'Aborted'];
const ENDED: CanaryPhase[] = ['Succeeded', 'Aborted'];
const same = (a: KubeObject, b: KubeObject) =>
  a.kind === b.kind &&
  a.metadata.name === b.metadata.name &&
  (a.metadata.namespace ?? '') === (b.metadata.namespace ?? '');

type Input = DeliverInput<CanarySpec, CanaryProgress>;

export class CanaryRuntime implements TraitRuntime<CanarySpec, CanaryProgress> {
  private readonly metrics: CanaryMetrics;

  constructor(private readonly c: TraitRuntimeContext) {
    this.metrics = canaryMetrics(c.registry);
  }

  /**
   * The component's workload and the stable template it runs, when a canary is needed: the rendered
   * template differs from the newest good revision's, and that workload runs. Without a good revision
   * (a first deployment) there is no stable version: the template applies at once.
   */
  private async pending(i: TraitTarget<CanarySpec>): Promise<{ workload: KubeObject; stable: unknown } | undefined> {
    const workload = canaryWorkload(i.component, i.objects);
    if (!workload) throw new Error(`component "${i.component}" trait "canary": the component renders no Deployment`);
    const recorded = i.stable?.find((o) => same(o, workload));
    if (!recorded || templateHash(workload) === templateHash(recorded)) return undefined;
    const live = await i.cluster.get({
      apiVersion: workload.apiVersion,
      kind: workload.kind,
      namespace: workload.metadata.namespace ?? 'default',
      name: workload.metadata.name,
    });
    return live ? { workload, stable: templateOf(recorded) } : undefined;
  }

  async holdBack(i: TraitTarget<CanarySpec>): Promise<KubeObject[]> {
    const p = await this.pending(i);
    if (!p) return [...i.objects];
    return i.objects.map((o) =>
      same(p.workload, o)
        ? ({ ...o, spec: { ...(o as { spec?: object }).spec, template: p.stable } } as KubeObject)
        : o,
    );
  }

  async deliver(i: Input): Promise<TraitOutcome> {
    const saved = i.progress;
    const pending = await this.pending(i);
    if (saved && saved.commit !== i.revision && !ENDED.includes(saved.phase)) await this.superseded(i, saved);
    // Aborted already (a controller stopped before the failure was recorded): never tried again unasked.
    if (saved && saved.commit === i.revision && saved.phase === 'Aborted' && pending)
      return { result: 'aborted', reason: saved.message ?? '', hold: true };
    if (!pending) {
      if (saved && saved.commit !== i.revision) await i.report(undefined);
      return { result: 'skipped' };
    }
    try {
      const spec = withObjectives(i.spec, i.objectives);
      const p = await runCanary(spec, pending.workload, i.revision, saved, this.deps(i), i.signal);
      return {
        result: 'promoted',
        message: `canary of ${p.workload} promoted after ${p.steps} steps (${p.analysis.length} analysis runs kept)`,
      };
    } catch (e) {
      if (!(e instanceof CanaryAborted)) throw e;
      return { result: 'aborted', reason: e.message, hold: true, ...valuesOf(i.progress) };
    }
  }

  /** A newer commit superseded a running canary: it is removed and the new one starts from stable. */
  private async superseded(i: Input, saved: CanaryProgress): Promise<void> {
    const ns = i.namespace;
    await i.cluster
      .delete({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: saved.canary })
      .catch(() => undefined);
    const services = await i.cluster.list('v1', 'Service', ns, `${LABEL_CANARY_OF}=${saved.workload}`).catch(() => []);
    for (const svc of services)
      await i.cluster
        .delete({ apiVersion: 'v1', kind: 'Service', namespace: ns, name: svc.metadata.name })
        .catch(() => undefined);
    await this.event(
      i,
      'Warning',
      'CanaryAborted',
      `canary of ${saved.workload} at commit ${saved.commit.slice(0, 12)} ` +
        `superseded by commit ${i.revision.slice(0, 12)}; starting over from the stable version`,
    );
    this.metrics.weight.set(this.labels(i), 0);
  }

  private labels(i: Input) {
    return { app: i.app, env: i.env, component: i.component };
  }

  private deps(i: Input) {
    const route = i.spec.trafficRouting.gateway?.httpRoute;
    const rendered = route ? i.objects.find((o) => o.kind === 'HTTPRoute' && o.metadata.name === route) : undefined;
    return {
      cluster: i.cluster,
      ...(i.metrics ? { metrics: i.metrics } : {}),
      now: this.c.now ?? Date.now,
      sleep: this.c.sleep ?? abortableSleep,
      readyTimeoutMs: this.c.readyTimeoutMs ?? 120_000,
      save: async (p: CanaryProgress) => {
        const ended = ENDED.includes(p.phase);
        this.metrics.weight.set(this.labels(i), ended ? 0 : p.weight);
        for (const ph of PHASES) this.metrics.phase.set({ ...this.labels(i), phase: ph }, ph === p.phase ? 1 : 0);
        i.progress = p;
        await i.report(p);
      },
      event: (type: 'Normal' | 'Warning', reason: string, message: string) => this.event(i, type, reason, message),
      command: async () => decodeCommand(await i.command()),
      clearCommand: () => i.clearCommand(),
      analysed: (run: CanaryProgress['analysis'][number]) => {
        this.metrics.analysisRuns.inc({ app: i.app, env: i.env, result: run.result });
        this.metrics.analysisQueries.inc({ app: i.app, env: i.env }, run.queries ?? run.measurements.length);
        i.log.info(
          {
            app: i.app,
            env: i.env,
            step: run.step,
            weight: run.weight,
            result: run.result,
            measured: runSummary(run),
            ...(run.evidence ? { requests: run.evidence.requests, coverage: run.evidence.coverage } : {}),
          },
          'canary analysis',
        );
      },
      // The new template as Git renders it; a field another trait owns (an autoscaler's replicas) keeps its live value.
      promoted: async (w: KubeObject) => {
        const tracked = i.tracked(w);
        const live = await i.cluster.get(refOf(tracked));
        return withLiveFields([tracked], () => live, i.ownedFields ?? [], SYNC_FIELD_MANAGER)[0]!;
      },
      ...(rendered ? { renderedRoute: i.tracked(rendered) } : {}),
    };
  }

  private event(i: Input, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    i.log.info({ app: i.app, env: i.env, reason }, message);
    return i.event(type, reason, message);
  }
}

/** The measured values of the last analysis run, for the outcome. */
function valuesOf(p: CanaryProgress | undefined): { values?: Record<string, number> } {
  const run = p?.analysis.at(-1);
  if (!run) return {};
  const values = Object.fromEntries(
    run.measurements.filter((m) => m.value !== undefined).map((m) => [m.name, m.value as number]),
  );
  return Object.keys(values).length > 0 ? { values } : {};
}
