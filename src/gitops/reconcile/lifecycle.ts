/**
 * A release's lifecycle, as the controller drives it: restore its machine (from the saved snapshot),
 * nudge it towards the wanted commit, observe its transitions (persist, record, metrics), apply holds
 * placed or lifted outside, and give the steps the spec and the render they work on.
 */
import { createActor } from 'xstate';
import type { DefinitionRegistry } from '../../oam/definitions/registry.js';
import { type FerryProblem, formatProblem, type Result } from '../../oam/errors.js';
import { HoldError, WAITS_FOR_COMMIT, type ReconcileContext, type reconcileMachine } from './machine.js';
import { appCluster, type ReconcileOptions } from './options.js';
import type { LoadedAppFolder } from '../source/repo-layout.js';
import { hashOf } from '../../util/hash.js';
import { holdEvent, type SourceHolds } from '../store/hold-watch.js';
import { recordFailed, recordSynced } from './record.js';
import {
  metricsAt,
  noteSameSpec,
  PERSISTED,
  summaryOf,
  type Release,
  type Rendered,
  type Spec,
  type SpecLayout,
} from './release.js';
import { renderRelease } from '../release/release-render.js';
import { waveOrder } from '../release/waves.js';
import { placeAll } from './placement-states.js';
import {
  type Hold,
  readHistory,
  readHold,
  releaseHold,
  type SavedState,
  type TraitState,
  writeState,
} from '../store/release-store.js';
import type { SavedStates } from '../store/saved-states.js';
import type { KubeObject } from '../../objects/objects.js';
import { traitKey, type StageInput } from './delivery.js';
import { recordEvent } from './events.js';

export interface LifecycleDeps {
  options: ReconcileOptions;
  saved: SavedStates;
  holds: SourceHolds;
  machine: () => ReturnType<typeof reconcileMachine.provide>;
  stopped: () => boolean;
  registryFor(layout: SpecLayout, own: LoadedAppFolder): Result<DefinitionRegistry>;
}

export class ReleaseLifecycle {
  constructor(private readonly d: LifecycleDeps) {}

  /**
   * Starts a release's machine, from its persisted snapshot when there is one; `spec` is what it should
   * reach (none: nothing yet, as an environment no release was promoted into).
   */
  async restore(r: Release, spec: Spec | undefined): Promise<void> {
    const cluster = this.d.options.clusterFor(r.config, 'local');
    let saved: SavedState = {};
    try {
      saved = await this.d.saved.of(cluster, r);
      if (saved.summary?.status === 'held') r.heldCommit = (await readHold(cluster, r))?.commit;
    } catch (e) {
      this.d.options.log.warn(
        { app: r.app, env: r.env, err: (e as Error).message },
        'cannot read the saved state; starting fresh',
      );
    }
    if (saved.summary?.traits) r.traits = new Map(saved.summary.traits.map((t) => [traitKey(t), t]));
    if (saved.summary?.placements) r.placements = saved.summary.placements;
    const unchanged = spec !== undefined && saved.summary?.specDigest === spec.digest;
    if (unchanged) {
      // Nothing changed for this app while the controller was away: no new reconcile.
      r.spec = spec;
      // The commit the machine is at (while held, `commit` is the one running and `newest` the machine's).
      const at = saved.summary!.newest ?? saved.summary!.commit;
      r.sameSpec = new Set([spec.commit, ...(at ? [at] : [])]);
    }
    // Retired while its records were read (its shard moved away): its machine never starts here.
    if (r.retired) return;
    if (!this.d.stopped()) this.d.holds.watch(cluster);
    const actor = saved.snapshot
      ? createActor(this.d.machine(), { snapshot: saved.snapshot as never, input: { app: r.app, env: r.env } })
      : createActor(this.d.machine(), { input: { app: r.app, env: r.env } });
    r.actor = actor;
    r.last = undefined;
    actor.subscribe((s) => this.observe(r, s.value as string, s.context));
    actor.start();
    if (saved.snapshot)
      this.d.options.log.info(
        { app: r.app, env: r.env, state: actor.getSnapshot().value, revision: actor.getSnapshot().context.revision },
        'resumed',
      );
    const failure = actor.getSnapshot().context.failure;
    if (unchanged && actor.getSnapshot().value === 'failed' && failure && WAITS_FOR_COMMIT.has(failure.reason)) {
      // It waits for a new commit; this controller may bring other built-in definitions: one more try.
      this.d.options.log.info(
        { app: r.app, env: r.env, reason: failure.reason },
        'trying a failed render again after a restart (the definitions may have changed)',
      );
      actor.send({ type: 'RETRY' });
    }
  }

  /** The spec Git declares for a release now; true when it is a new one (the release should reconcile). */
  want(r: Release, spec: Spec, config: Release['config'], metrics?: Release['metrics']): boolean {
    r.config = config;
    r.metrics = metrics;
    if (r.spec?.digest === spec.digest) {
      noteSameSpec(r, spec.commit);
      return false;
    }
    r.spec = spec;
    r.sameSpec = new Set([spec.commit]);
    return true;
  }

  /** At rest (idle, synced, failed): go for the wanted commit when it is a different spec. */
  nudge(r: Release, newSpec = false): void {
    const s = r.actor?.getSnapshot();
    if (!s || !r.spec || this.d.stopped() || r.retired) return;
    const state = s.value as string;
    if (state === 'held' || state === 'delivering') {
      // A commit that changes the app ends the hold, or supersedes the delivery (the machine checks it is a different
      // commit).
      if (newSpec) r.actor!.send({ type: 'COMMIT', revision: r.spec.commit });
      return;
    }
    const atWanted = s.context.revision !== undefined && r.sameSpec.has(s.context.revision);
    if (state === 'idle' || ((state === 'synced' || state === 'failed') && !atWanted)) {
      r.startedAt = Date.now();
      r.actor!.send({ type: 'COMMIT', revision: r.spec.commit });
    }
  }

  observe(r: Release, state: string, ctx: ReconcileContext): void {
    const previous = r.last;
    r.last = state;
    if (previous === state) return;
    // A drift check that found nothing to heal leaves no trace (no write, no gauge flip).
    if (state === 'checking') return;
    if (state === 'synced' && previous === 'checking') {
      void r.io.then(() => this.nudge(r));
      return;
    }
    this.d.options.metrics.setStatus(r.app, r.env, state);
    const snapshot = r.actor!.getPersistedSnapshot();
    const cluster = this.d.options.clusterFor(r.config, 'local');
    if (state === 'synced' && previous === 'verifying' && ctx.revision) placeAll(r, ctx.revision);
    const summary = summaryOf(r, state, ctx, this.d.options.identity);
    this.d.options.changed?.(summary);
    const log = this.d.options.log.child({ app: r.app, env: r.env, commit: ctx.revision });
    if (state !== 'synced' && state !== 'failed') log.debug({ state }, 'state');
    const seq = PERSISTED.has(state) ? ++r.persistSeq : undefined;
    const work = async () => {
      if (state === 'synced' && previous === 'verifying') await recordSynced(this.d, r, ctx, log);
      if (state === 'failed' && previous !== undefined) await recordFailed(this.d, r, ctx, log);
      summary.health =
        state === 'synced'
          ? 'Healthy'
          : state === 'failed' && ctx.failure?.reason === 'HealthCheckFailed'
            ? 'Degraded'
            : undefined;
      if (summary.health) this.d.options.metrics.setHealth(r.app, r.env, summary.health);
      if (seq !== undefined && seq === r.persistSeq) await writeState(cluster, r, snapshot, summary);
      if (state === 'synced')
        await this.watchTraits(r, ctx.revision).catch((e) =>
          log.error({ err: (e as Error).message }, 'cannot start the runtime traits of the synced revision'),
        );
    };
    r.io = r.io.then(work).catch((e) => log.error({ err: (e as Error).message }, 'recording the release failed'));
    if (state === 'idle' || state === 'synced' || state === 'failed') void r.io.then(() => this.nudge(r));
  }

  /** A runtime trait's state: kept on the release and written with its state (the summary carries it). */
  reportTrait(r: Release, key: string, state: TraitState | undefined): Promise<void> {
    if (state) r.traits.set(key, state);
    else r.traits.delete(key);
    return this.persist(r);
  }

  /** Writes the release's state record as it is now (a trait's progress, a wave's). */
  persist(r: Release): Promise<void> {
    const s = r.actor?.getSnapshot();
    // A retired release's records are its new owner's (a trait's last report after its watch was stopped).
    if (!s || r.retired) return Promise.resolve();
    const cluster = this.d.options.clusterFor(r.config, 'local');
    const seq = ++r.persistSeq;
    const snapshot = r.actor!.getPersistedSnapshot();
    const summary = summaryOf(r, s.value as string, s.context, this.d.options.identity);
    this.d.options.changed?.(summary);
    r.io = r.io
      .then(async () => {
        if (seq === r.persistSeq) await writeState(cluster, r, snapshot, summary);
      })
      .catch((e) =>
        this.d.options.log.error(
          { app: r.app, env: r.env, err: (e as Error).message },
          'recording the delivery failed',
        ),
      );
    return r.io;
  }

  /** What a release's runtime traits work on at placement `k`: its rendered objects on that cluster. */
  async stageInput(r: Release, rendered: Rendered, revision: string, k: number): Promise<StageInput> {
    const p = rendered.placements[k]!;
    // The cluster's own metrics source (ferry.yaml `clusters.<name>.metrics`), over the environment's.
    const metrics = metricsAt(r, p.cluster);
    return {
      release: r,
      rendered,
      revision,
      cluster: appCluster(this.d.options, r.config, p.cluster),
      records: this.d.options.clusterFor(r.config, 'local'),
      objects: p.objects,
      stable: await this.stableOf(r, revision, p.cluster),
      ...(p.ownedFields ? { ownedFields: p.ownedFields } : {}),
      ...(metrics ? { metrics } : {}),
      ...(rendered.placements.length > 1 ? { placement: p.cluster } : {}),
      log: this.d.options.log,
    };
  }

  /**
   * A release at rest synced: its traits' watches run on the synced revision's render (rendered again
   * after a restart), on each placement.
   */
  private async watchTraits(r: Release, revision: string | undefined): Promise<void> {
    if (revision === undefined || this.d.stopped() || r.retired) return;
    // The render at hand; after a restart, a render only for a release whose records show a watching trait
    // (thousands of synced releases are not rendered again at start for nothing).
    const current = r.rendered && (r.rendered.commit === revision || r.sameSpec.has(r.rendered.commit));
    if (!current && !this.d.options.traits.hasWatch([...r.traits.values()].map((t) => t.trait))) return;
    const rendered = current ? r.rendered! : await this.prepare(r, revision);
    if (!this.d.options.traits.has(rendered)) {
      this.d.options.traits.unwatch(r.app, r.env);
      return;
    }
    const inputs = await Promise.all(rendered.waves.map((k) => this.stageInput(r, rendered, revision, k)));
    // Stopped or retired meanwhile: its watches were stopped before this one would start.
    if (this.d.stopped() || r.retired) return;
    this.d.options.traits.watch(inputs, (key, state) => this.reportTrait(r, key, state));
  }

  /** The objects of the newest good revision (Synced or rolled back to) on a cluster, read once per commit. */
  async stableOf(r: Release, revision: string, cluster: string): Promise<KubeObject[] | undefined> {
    if (r.stable?.commit !== revision) {
      const history = await readHistory(this.d.options.clusterFor(r.config, 'local'), r);
      const good = history.find((h) => h.outcome !== 'Failed' && h.placements);
      r.stable = { commit: revision, placements: good?.placements };
    }
    return r.stable.placements?.find((p) => p.cluster === cluster)?.objects;
  }

  /**
   * After a poll: the release against the hold the watch has seen. A held release the watch shows no
   * hold for reads it first: a hold placed a moment ago (an aborted canary's, an automatic rollback's)
   * may not be watched yet, and resuming then would flap held → idle → held.
   */
  async settleHold(r: Release, watched: Hold | undefined): Promise<void> {
    if (r.retired) return;
    let hold = watched;
    let lifted = false;
    if (!hold && r.actor?.getSnapshot().value === 'held') {
      try {
        hold = await readHold(this.d.options.clusterFor(r.config, 'local'), r);
      } catch (e) {
        this.d.options.log.warn(
          { app: r.app, env: r.env, err: (e as Error).message },
          'cannot read the hold; the release stays held',
        );
        return;
      }
      // Gone from the cluster: lifted (`ferry resume` that the watch missed, or made while this controller was away).
      lifted = hold === undefined;
    }
    this.applyHold(r, hold, lifted);
  }

  applyHold(r: Release, hold: Hold | undefined, lifted: boolean): void {
    const event = holdEvent(r.actor?.getSnapshot().value as string | undefined, hold, r.spec?.digest, lifted);
    if (!event) return;
    this.d.options.log.info(
      { app: r.app, env: r.env, event, ...(hold ? { hold: hold.reason } : {}) },
      hold ? 'hold placed' : 'hold lifted',
    );
    if (hold) r.heldCommit = hold.commit;
    // A hold that names the commit it went back to (ferry rollback, an automatic rollback): every cluster runs it.
    if (hold?.commit) placeAll(r, hold.commit);
    // `ferry resume` after an aborted canary (its hold deleted, as the watch saw or a read confirmed): the same
    // commit may try its canary again. Not on a poll's view of the holds alone, which may lack a hold just placed.
    if (event === 'RESUME' && lifted)
      for (const [key, t] of r.traits) if (t.outcome === 'aborted') r.traits.delete(key);
    r.actor!.send(event === 'HOLD' ? { type: 'HOLD', reason: hold!.reason } : { type: event });
  }

  /** The spec a step works on: the wanted one, if `revision` carries it. */
  specOf(r: Release, revision: string | undefined): Spec {
    if (!r.spec || revision === undefined || !r.sameSpec.has(revision))
      throw new Error(
        `commit ${revision?.slice(0, 12) ?? '(none)'} was superseded by ${r.spec?.commit.slice(0, 12) ?? 'nothing'}`,
      );
    return r.spec;
  }

  async checkHold(r: Release): Promise<void> {
    const cluster = this.d.options.clusterFor(r.config, 'local');
    const hold = await readHold(cluster, r);
    if (!hold) return;
    if (hold.specDigest === undefined || hold.specDigest === r.spec?.digest) {
      r.heldCommit = hold.commit;
      throw new HoldError(hold.reason);
    }
    // A newer commit touched the app: the hold has done its job.
    await releaseHold(cluster, r);
    this.d.options.log.info({ app: r.app, env: r.env, hold: hold.reason }, 'hold released by a newer commit');
  }

  /** Renders (once per commit) what the release's placements should hold. */
  async prepare(r: Release, revision: string | undefined): Promise<NonNullable<Release['rendered']>> {
    const spec = this.specOf(r, revision);
    if (r.rendered && r.sameSpec.has(r.rendered.commit)) return r.rendered;
    const loaded = await spec.loaded;
    if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
    const sourced = loaded.value.apps.find((a) => a.app.metadata.name === r.app);
    if (!sourced) throw new Error(`Application "${r.app}" is no longer in ${spec.folder.path}`);
    r.namespace = r.config?.namespace ?? sourced.app.metadata.namespace ?? 'default';
    const registry = this.d.registryFor(spec.layout, loaded.value);
    if (!registry.ok) throw new Error(registry.problems.map(formatProblem).join('\n'));
    const release = renderRelease(sourced, registry.value, r.env, r.config, this.d.options.traits.parsers);
    this.d.options.metrics.renders.inc({ app: r.app, env: r.env });
    if (!release.ok) throw new Error(release.problems.map(formatProblem).join('\n'));
    const namespace = r.config?.namespace ?? sourced.app.metadata.namespace ?? 'default';
    const waves = waveOrder(release.value.placements, r.config?.waves, {
      env: r.env,
      app: r.app,
      ...(r.config?.wavesAt ? { at: r.config.wavesAt } : {}),
    });
    if (!waves.ok) throw new Error(waves.problems.map(formatProblem).join('\n'));
    this.warn(r, spec.commit, namespace, release.value.warnings);
    r.rendered = {
      commit: spec.commit,
      placements: release.value.placements,
      waves: waves.value,
      runtimeTraits: release.value.runtimeTraits,
      manifestDigest: hashOf(release.value.placements),
      namespace,
      app: sourced,
      registry: registry.value,
    };
    return r.rendered;
  }

  /**
   * Render warnings (a trait outside its appliesToWorkloads, unknown parameters): logged and an Event, once per
   * commit.
   */
  private warn(r: Release, commit: string, namespace: string, warnings: FerryProblem[]): void {
    if (warnings.length === 0) return;
    const text = warnings.map(formatProblem);
    this.d.options.log.warn({ app: r.app, env: r.env, commit, warnings: text }, 'render warnings');
    const event = { app: r.app, env: r.env, namespace, type: 'Warning' as const, reason: 'RenderWarning' };
    void recordEvent(this.d.options.clusterFor(r.config, 'local'), { ...event, message: text.join('; ') }).catch((e) =>
      this.d.options.log.warn({ app: r.app, env: r.env, err: (e as Error).message }, 'cannot record an Event'),
    );
  }
}
