/**
 * The delivering stage and the hold-back at apply, run through the runtime-trait interface
 * (src/traits/api/runtime-trait.ts): each component's parsed runtime traits, in order. The stage keeps each
 * trait's progress on the release (opaque JSON through the trait's codec, written with the state record)
 * and turns the traits' outcomes into one delivery result, which record.ts records without knowing
 * which trait spoke.
 */
import type { KubeObject } from '../../objects/objects.js';
import type { ObjectField } from '../../objects/fields.js';
import type { ParsedTrait, TraitParser } from '../../oam/render/runtime-traits.js';
import type { ClusterPort } from '../../ports/cluster.js';
import type { WorkloadMetrics } from '../../ports/metrics.js';
import type { MetricsSourceConfig } from '../../config/metrics-source.js';
import type {
  AnyRuntimeTrait,
  Objective,
  TraitOutcome,
  TraitRuntime,
  TraitRuntimeContext,
  TraitTarget,
} from '../../traits/api/runtime-trait.js';
import type { TraitState } from '../store/release-store.js';
import { clearCommand, readCommand } from '../store/release-store.js';
import { tracked } from '../sync/tracking.js';
import { recordEvent } from './events.js';
import type { DeliveryResult, Release, Rendered } from './release.js';

export type { DeliveryResult };
import type { Logger } from './telemetry.js';

/** The release and placement a hook works on. */
export interface StageInput {
  release: Release;
  rendered: Rendered;
  revision: string;
  objects: KubeObject[];
  /** The cluster of the release's placement, and the one its records live on. */
  cluster: ClusterPort;
  records: ClusterPort;
  /** The objects of the newest good revision (undefined before the first). */
  stable: KubeObject[] | undefined;
  /** The fields runtime traits own on this placement. */
  ownedFields?: ObjectField[];
  /** Where the traits read this placement's metrics (its cluster's, else its environment's). */
  metrics?: MetricsSourceConfig;
  /** The placement's cluster, when the release has several: its traits' state is its own. */
  placement?: string;
  log: Logger;
}

/** A trait's key on a release: `component/trait`, and `@cluster` on a placement of a release with several. */
export const traitKey = (t: { component: string; trait: string; placement?: string }) =>
  `${t.component}/${t.trait}${t.placement ? `@${t.placement}` : ''}`;

interface Started {
  trait: AnyRuntimeTrait;
  runtime: TraitRuntime<unknown, unknown>;
}

interface Watch {
  /** The settings it runs with (a change restarts it). */
  spec: string;
  abort: AbortController;
  /** Settles once the watch has returned (after an abort: its last write done). */
  done?: Promise<void>;
}

export class TraitStage {
  private readonly started = new Map<string, Started>();
  /** The running watches, by `<app>/<env>/<component>/<trait>`. */
  private readonly watches = new Map<string, Watch>();

  /** The traits' parsers, for the render pipeline. */
  readonly parsers: readonly TraitParser[];

  constructor(
    traits: readonly AnyRuntimeTrait[],
    context: TraitRuntimeContext,
    private readonly metricSources?: (source: MetricsSourceConfig | undefined) => WorkloadMetrics | undefined,
  ) {
    for (const trait of traits) this.started.set(trait.type, { trait, runtime: trait.start(context) });
    this.parsers = traits;
  }

  /** The parsed traits of a render that have a runtime here, with it. */
  private running(rendered: Rendered): { parsed: ParsedTrait; s: Started }[] {
    return rendered.runtimeTraits.flatMap((parsed) => {
      const s = this.started.get(parsed.trait);
      return s ? [{ parsed, s }] : [];
    });
  }

  /** True when some trait of this render has a hook to run. */
  has(rendered: Rendered): boolean {
    return this.running(rendered).length > 0;
  }

  private target(i: StageInput, parsed: ParsedTrait, objects: KubeObject[]): TraitTarget<unknown> {
    const r = i.release;
    const metrics = this.metricSources?.(i.metrics ?? r.metrics);
    const objectives = this.objectivesOf(i.rendered, parsed);
    const owned = i.ownedFields;
    return {
      app: r.app,
      env: r.env,
      ...(r.source ? { source: r.source } : {}),
      component: parsed.component,
      namespace: i.rendered.namespace,
      revision: i.revision,
      spec: parsed.spec,
      objects,
      ...(owned ? { ownedFields: owned } : {}),
      stable: i.stable,
      cluster: i.cluster,
      ...(metrics ? { metrics } : {}),
      ...(objectives.length > 0 ? { objectives } : {}),
    };
  }

  /** The objectives the component's other runtime traits declare. */
  private objectivesOf(rendered: Rendered, of: ParsedTrait): Objective[] {
    return rendered.runtimeTraits.flatMap((t) => {
      if (t.component !== of.component || t.trait === of.trait) return [];
      const o = this.started.get(t.trait)?.trait.objective?.(t.spec);
      return o ? [{ trait: t.trait, ...o }] : [];
    });
  }

  /** The objects apply writes: each trait's hold-back in turn (a canary keeps the stable template). */
  async holdBack(i: StageInput): Promise<KubeObject[]> {
    let objects = i.objects;
    for (const { parsed, s } of this.running(i.rendered))
      if (s.runtime.holdBack) objects = await s.runtime.holdBack(this.target(i, parsed, objects));
    return objects;
  }

  /**
   * Runs every trait's delivery in order; stops at the first that aborts or has no verdict.
   * `report(state)` keeps a trait's state on the release and writes it with the state record.
   */
  async deliver(
    i: StageInput,
    signal: AbortSignal,
    report: (key: string, state: TraitState | undefined) => Promise<void>,
  ): Promise<DeliveryResult> {
    const result: DeliveryResult = { commit: i.revision, promoted: [] };
    const r = i.release;
    for (const { parsed, s } of this.running(i.rendered)) {
      if (!s.runtime.deliver) continue;
      const key = traitKey({ ...parsed, placement: i.placement });
      const saved = r.traits.get(key);
      const progress = saved?.progress === undefined ? undefined : s.trait.progress.decode(saved.progress);
      const state = (p: unknown, outcome?: TraitOutcome['result']): TraitState => ({
        component: parsed.component,
        trait: parsed.trait,
        commit: i.revision,
        progress: s.trait.progress.encode(p),
        status: s.trait.describe(p),
        ...(outcome ? { outcome } : {}),
        ...(i.placement ? { placement: i.placement } : {}),
      });
      const outcome = await s.runtime.deliver({
        ...this.target(i, parsed, i.objects),
        progress,
        report: (p) => report(key, p === undefined ? undefined : state(p)),
        event: (type, reason, message) => this.event(i, type, reason, message),
        command: () => readCommand(i.records, r),
        clearCommand: () => clearCommand(i.records, r),
        tracked: (o) => tracked(r, o),
        log: i.log,
        signal,
      });
      const latest = r.traits.get(key);
      if (latest && outcome.result !== 'skipped') await report(key, { ...latest, outcome: outcome.result });
      if (outcome.result === 'promoted') result.promoted.push(outcome.message);
      if (outcome.result === 'aborted') {
        result.aborted = {
          trait: parsed.trait,
          component: parsed.component,
          reason: outcome.reason,
          hold: outcome.hold,
        };
        return result;
      }
      if (outcome.result === 'inconclusive') throw new Error(`${parsed.trait} inconclusive: ${outcome.reason}`);
    }
    return result;
  }

  /**
   * A release synced at a revision: on each placement, every trait with a watch runs one for its component
   * (started, or restarted when its settings changed); the watches of traits it no longer has stop.
   */
  watch(placements: StageInput[], report: (key: string, state: TraitState | undefined) => Promise<void>): void {
    const r = placements[0]!.release;
    const wanted = new Set<string>();
    for (const i of placements) this.watchPlacement(i, wanted, report);
    this.unwatch(r.app, r.env, wanted);
  }

  private watchPlacement(
    i: StageInput,
    wanted: Set<string>,
    report: (key: string, state: TraitState | undefined) => Promise<void>,
  ): void {
    const r = i.release;
    const prefix = `${r.app}/${r.env}/`;
    for (const { parsed, s } of this.running(i.rendered)) {
      if (!s.runtime.watch) continue;
      const key = traitKey({ ...parsed, placement: i.placement });
      wanted.add(prefix + key);
      const spec = JSON.stringify(parsed.spec);
      const running = this.watches.get(prefix + key);
      if (running?.spec === spec && !running.abort.signal.aborted) continue;
      running?.abort.abort();
      const abort = new AbortController();
      const watch: Watch = { spec, abort };
      this.watches.set(prefix + key, watch);
      const saved = r.traits.get(key);
      const state = (p: unknown): TraitState => ({
        component: parsed.component,
        trait: parsed.trait,
        commit: i.revision,
        progress: s.trait.progress.encode(p),
        status: s.trait.describe(p),
        standing: true,
        ...(i.placement ? { placement: i.placement } : {}),
      });
      const log = i.log.child({
        app: r.app,
        env: r.env,
        component: parsed.component,
        trait: parsed.trait,
        ...(i.placement ? { cluster: i.placement } : {}),
      });
      watch.done = s.runtime
        .watch({
          ...this.target(i, parsed, i.objects),
          progress: saved?.progress === undefined ? undefined : s.trait.progress.decode(saved.progress),
          report: (p) => report(key, state(p)),
          event: (type, reason, message) => this.event(i, type, reason, message),
          log,
          signal: abort.signal,
        })
        .catch((e) => {
          log.error({ err: (e as Error).message }, 'a trait watch stopped');
          // Started again at the next synced revision.
          if (this.watches.get(prefix + key)?.abort === abort) this.watches.delete(prefix + key);
        });
    }
  }

  /** Whether one of these traits has a watch. */
  hasWatch(traits: readonly string[]): boolean {
    return traits.some((t) => this.started.get(t)?.runtime.watch !== undefined);
  }

  /** Stops a release's watches (all of them, or those not in `keep`); settles once they have returned. */
  unwatch(app: string, env: string, keep: ReadonlySet<string> = new Set()): Promise<void> {
    const prefix = `${app}/${env}/`;
    const stopped: Promise<void>[] = [];
    for (const [key, w] of this.watches)
      if (key.startsWith(prefix) && !keep.has(key)) {
        w.abort.abort();
        if (w.done) stopped.push(w.done);
        this.watches.delete(key);
      }
    return Promise.all(stopped).then(() => undefined);
  }

  /** Stops every watch (the controller stops or loses its lease). */
  unwatchAll(): void {
    for (const w of this.watches.values()) w.abort.abort();
    this.watches.clear();
  }

  /** The line `ferry status` shows of a trait's progress (none for a trait not registered here). */
  describe(t: TraitState): string | undefined {
    const s = this.started.get(t.trait);
    const p = s && t.progress !== undefined ? s.trait.progress.decode(t.progress) : undefined;
    return p === undefined ? t.status : s!.trait.describe(p);
  }

  private event(i: StageInput, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const r = i.release;
    return recordEvent(i.records, {
      app: r.app,
      env: r.env,
      namespace: i.rendered.namespace,
      type,
      reason,
      message,
    }).catch((e) => i.log.warn({ err: (e as Error).message }, 'cannot record an Event'));
  }
}
