/**
 * The GitOps loop: poll (or be woken by a webhook), find the app folders whose digest changed, and
 * drive one reconcile machine per (app, environment) through fetch → render → plan → apply →
 * deliver → verify. Machine snapshots, revisions and holds live in the cluster (release-store), so
 * a restarted controller resumes where it was. Nothing here throws into the loop: every failure is
 * recorded on the release it belongs to.
 */
import type { ClusterPort } from '../../ports/cluster.js';
import type { DefinitionRegistry } from '../../oam/definitions/registry.js';
import { extendRegistry } from '../../oam/definitions/extend.js';
import type { Result } from '../../oam/errors.js';
import type { EnvironmentConfig, FerryConfig } from '../source/environments.js';
import { selectsApp } from '../source/app-selection.js';
import type { MetricsSourceConfig } from '../../config/metrics-source.js';
import type { WorkloadMetrics } from '../../ports/metrics.js';
import type { GitSource } from '../source/git-source.js';
import { reconcileMachine } from '../reconcile/machine.js';
import { SourceHolds, type HoldChange } from '../store/hold-watch.js';
import { SourceRecords } from '../store/record-watch.js';
import { type ApprovalRecord, approvalOf } from '../store/promotion-store.js';
import { type Hold, readHistory, type Revision, sourceId, type StateSummary } from '../store/release-store.js';
import { SavedStates } from '../store/saved-states.js';
import {
  loadAppFolder,
  readLayout,
  DEFAULT_LIMITS,
  type ListingCache,
  type LoadedAppFolder,
  type RepoLayout,
} from '../source/repo-layout.js';
import { Semaphore } from '../../util/semaphore.js';
import { reconcileSteps } from '../reconcile/steps.js';
import { ReleaseLifecycle } from '../reconcile/lifecycle.js';
import {
  newRelease,
  type Release,
  type Spec,
  type SpecLayout,
  currentSummary,
  metricsAt,
  noteSameSpec,
  specLayout,
} from '../reconcile/release.js';
import { promotionOrder } from '../source/promotion-policy.js';
import type { RecordScope } from '../store/record-names.js';
import { TraitStage } from '../reconcile/delivery.js';
import { appCluster, type ClusterFor, type ReconcileOptions } from '../reconcile/options.js';
import { ShardOwnership } from './shard-ownership.js';
import type { AnyRuntimeTrait, TraitRuntimeContext } from '../../traits/api/runtime-trait.js';
import type { Removable } from '../reconcile/release-removal.js';
import { Removals } from '../reconcile/removals.js';
import { releasePairs, retireUndeclared } from './declared.js';
import { Promotions } from './promotions.js';
import { SourceStatusRecorder } from './source-status.js';
import { hashOf } from '../../util/hash.js';
import type { Logger, Metrics } from '../reconcile/telemetry.js';

/** One release as the dashboard reads it (Controller.releaseAccess). */
export interface ReleaseAccess {
  scope: RecordScope;
  /** The cluster its records are on (its environment's). */
  records: ClusterPort;
  /** The cluster of one of its placements ("local": the environment's). */
  cluster(placement: string): ClusterPort;
  /** The metrics its traits read on one of its placements (none configured: undefined). */
  metrics(placement: string): WorkloadMetrics | undefined;
}

export interface ControllerOptions {
  source: GitSource;
  /** Sub-folder of the repository holding ferry.yaml, apps/ and definitions/. */
  path: string;
  intervalMs: number;
  /** The cluster of an environment ("local" placement) or of a topology cluster name, as the controller itself. */
  clusterFor: ClusterFor;
  /** The same, as the identity the apps' objects are written and read with (see ReconcileOptions). */
  appClusterFor?: ClusterFor;
  /**
   * Sharded (`ferry serve --shards N`): this replica reconciles only the apps of the shards it was given
   * (takeShard), none at start. Absent: every app.
   */
  shards?: number;
  /** This replica's name (--identity): written into each state it records (`reconciler`). */
  identity?: string;
  registry: DefinitionRegistry;
  metrics: Metrics;
  log: Logger;
  verifyTimeoutMs?: number;
  /** Steps that may run at once across all releases (render/plan/apply). */
  concurrency?: number;
  /** The runtime traits (src/traits/registry.ts): parsed at render, run at apply and in the delivering stage. */
  runtimeTraits?: readonly AnyRuntimeTrait[];
  /**
   * What the runtime traits are started with (Prometheus, timeouts, clock); the metrics registry is the
   * controller's.
   */
  traitContext?: Omit<TraitRuntimeContext, 'registry'>;
  /** The metrics a release's traits read, from its environment's source (none: traits get no metrics). */
  metricSources?: (source: MetricsSourceConfig | undefined) => WorkloadMetrics | undefined;
  /** How often synced releases are compared with the cluster again (drift); 0 or absent: never. */
  resyncMs?: number;
}

export class Controller {
  readonly releases = new Map<string, Release>();
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private again = false;
  private stopped = true;
  private readonly listingCache: ListingCache = new Map();
  private readonly registries = new Map<string, Result<DefinitionRegistry>>();
  private readonly gate: Semaphore;
  /** This source's saved states, listed once per cluster while a layout brings new releases (a start). */
  private readonly saved: SavedStates;
  /** Holds of this source's releases, watched per cluster. */
  private readonly holds: SourceHolds;
  private readonly approvals: SourceRecords<ApprovalRecord>;
  private lastCommit?: string;
  private lastConfig?: FerryConfig;
  /** The last poll's source error, if it failed. */
  sourceError?: string;
  /** What was last recorded about the source (written only when the commit or the error changes). */
  private readonly sourceStatus: SourceStatusRecorder;
  /** True once the first poll has been taken into account. */
  ready = false;

  /** This controller's source (repository + path): its releases carry it, so only they are pruned at start. */
  private readonly sourceKey: string;
  /** The shards this replica owns and the folders it skips (sharded only). */
  private readonly ownership: ShardOwnership;

  private readonly lifecycle: ReleaseLifecycle;
  private readonly removals: Removals;
  private readonly promotions: Promotions;
  private readonly traits: TraitStage;

  /** One machine for all releases: its steps find their release by the actor's (app, env). */
  private readonly machine: ReturnType<typeof reconcileMachine.provide>;

  constructor(private readonly o: ControllerOptions) {
    this.gate = new Semaphore(o.concurrency ?? 8);
    this.sourceKey = sourceId(o.source.location, o.path);
    this.ownership = new ShardOwnership(this.sourceKey, o.shards);
    this.saved = new SavedStates(this.sourceKey, o.log);
    this.holds = new SourceHolds({
      source: this.sourceKey,
      onChange: (cluster, change) => this.holdChanged(cluster, change),
      onError: (e) => o.log.warn({ err: e.message }, 'watching holds failed; trying again'),
    });
    this.approvals = new SourceRecords<ApprovalRecord>({
      source: this.sourceKey,
      kind: 'approval',
      read: approvalOf,
      // `ferry approve` / `ferry promote`: decided on now (a poll decides promotions), not at the next interval.
      onChange: () => this.trigger(),
      onError: (e) => o.log.warn({ err: e.message }, 'watching approvals failed; trying again'),
    });
    this.sourceStatus = new SourceStatusRecorder(
      { repo: o.source.location, path: o.path },
      () => o.clusterFor(undefined, 'local'),
      o.log,
    );
    const traits = new TraitStage(
      o.runtimeTraits ?? [],
      { ...o.traitContext, registry: o.metrics.registry },
      o.metricSources,
    );
    this.traits = traits;
    this.removals = new Removals(
      {
        clusterFor: o.clusterFor,
        ...(o.appClusterFor ? { appClusterFor: o.appClusterFor } : {}),
        log: o.log,
        metrics: o.metrics,
        unwatch: (app, env) => traits.unwatch(app, env),
      },
      this.releases,
      (app) => this.stopped || !this.owns(app),
    );
    const options: ReconcileOptions = { ...o, traits, changed: (s) => this.listeners.forEach((l) => l(s)) };
    this.lifecycle = new ReleaseLifecycle({
      options,
      saved: this.saved,
      holds: this.holds,
      machine: () => this.machine,
      stopped: () => this.stopped,
      registryFor: (layout, own) => this.registryFor(layout, own),
    });
    this.promotions = new Promotions({
      source: o.source,
      path: o.path,
      listingCache: this.listingCache,
      clusterFor: o.clusterFor,
      log: o.log,
      releases: this.releases,
      lifecycle: this.lifecycle,
      approvals: this.approvals,
      maxSoakStepMs: Math.max(30_000, 3 * o.intervalMs),
    });
    this.machine = reconcileMachine.provide({
      actors: reconcileSteps({ options, releases: this.releases, gate: this.gate, lifecycle: this.lifecycle }),
    });
  }

  private resyncTimer?: NodeJS.Timeout;
  private readonly listeners = new Set<(s: StateSummary) => void>();

  /** Every release reconciled here, as `ferry status -o json` shows it (from memory). */
  summaries(): StateSummary[] {
    return [...this.releases.values()].flatMap((r) => currentSummary(r) ?? []);
  }

  /** Calls `fn` with each summary a release writes; returns the unsubscribe. */
  subscribe(fn: (s: StateSummary) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * What the dashboard reads of one release reconciled here (undefined: none): its records' cluster and scope,
   * each placement's cluster and metrics, and its app's environments in promotion order.
   */
  releaseAccess(app: string, env: string): ReleaseAccess | undefined {
    const r = this.releases.get(`${app}/${env}`);
    if (!r) return undefined;
    return {
      scope: { source: r.source, app: r.app, env: r.env },
      records: this.o.clusterFor(r.config, 'local'),
      cluster: (placement) => appCluster(this.o, r.config, placement),
      metrics: (placement) => this.o.metricSources?.(metricsAt(r, placement)),
    };
  }

  /** A release's history, newest first, from its cluster (undefined: not reconciled here). */
  async history(app: string, env: string): Promise<Revision[] | undefined> {
    const a = this.releaseAccess(app, env);
    return a ? readHistory(a.records, a.scope) : undefined;
  }

  /** Each app's environments in promotion order (ferry.yaml's, or its workflow's chain; others by name). */
  environments(): Map<string, string[]> {
    const byApp = new Map<string, EnvironmentConfig[]>();
    for (const r of this.releases.values())
      byApp.set(r.app, [...(byApp.get(r.app) ?? []), r.config ?? { name: r.env }]);
    return new Map(
      [...byApp].map(([app, envs]) => [
        app,
        promotionOrder([...envs].sort((a, b) => a.name.localeCompare(b.name))).map((e) => e.name),
      ]),
    );
  }

  /** The ferry.yaml of the commit last taken (undefined: none, or it does not parse). */
  ferryConfig(): FerryConfig | undefined {
    return this.lastConfig;
  }

  /** The Git source as this controller sees it. */
  sourceView(): { repo: string; path: string; commit?: string; error?: string; ready: boolean } {
    return {
      repo: this.o.source.location,
      path: this.o.path,
      ...(this.lastCommit ? { commit: this.lastCommit } : {}),
      ...(this.sourceError ? { error: this.sourceError } : {}),
      ready: this.ready,
    };
  }

  /** Whether this replica reconciles the app (always, unless sharded). */
  owns(app: string): boolean {
    return this.ownership.owns(app);
  }

  /** A shard became this replica's: its apps are read from the current commit on the next poll, now. */
  takeShard(shard: number): void {
    // A poll reading a commit now decided on the shard's apps before: it must not mark the commit as read.
    this.ownership.take(shard);
    // What a poll under way when the shard was dropped cached of its apps' promotions is stale: read afresh.
    this.promotions.forget((app) => this.ownership.inShard(app, shard));
    this.lastCommit = undefined;
    this.trigger();
  }

  /** The releases of a shard, stopped and forgotten (their steps under way still run; see dropShard). */
  private stopShard(shard: number): Release[] {
    const mine = [...this.releases.values()].filter((r) => this.ownership.inShard(r.app, shard));
    for (const r of mine) {
      // A release whose machine is still being restored (the poll under way) never starts it.
      r.retired = true;
      r.actor?.stop();
      // Forgotten first: a step still waiting for the gate finds it gone and does not start.
      this.releases.delete(`${r.app}/${r.env}`);
      this.o.metrics.forget(r.app, r.env);
    }
    this.promotions.forget((app) => this.ownership.inShard(app, shard));
    return mine;
  }

  /**
   * A shard is no longer this replica's: no new release of it starts, and this resolves once every one of its
   * releases has stopped and finished writing (the shard's Lease may be given up then). It does not wait for the
   * poll under way (the first one reads every app: longer than what is left of a Lease that could not be renewed):
   * the poll creates no release of a shard not owned, and one it is restoring is retired here, so it never starts.
   */
  async dropShard(shard: number): Promise<void> {
    this.ownership.drop(shard);
    const mine = this.stopShard(shard);
    // A trait's watch (an SLO loop) returns, a step under way (a render, an apply) runs to its end, and what they
    // persist is written, before the hand-over.
    await Promise.all(mine.map((r) => this.traits.unwatch(r.app, r.env)));
    await Promise.all(mine.map(async (r) => r.running?.catch(() => undefined)));
    await Promise.all(mine.map((r) => r.io));
    await this.promotions.settled((app) => this.ownership.inShard(app, shard));
    // The shard's removals (cancelled now that it is not owned); another shard's that keeps failing is not waited for.
    await this.removals.settled((app) => this.ownership.inShard(app, shard));
  }

  /** Whether the loop should run: a start asked for while a stop finishes runs once the stop is done. */
  private wanted = false;
  private stopping?: Promise<void>;

  start(): void {
    this.wanted = true;
    if (this.stopping) return;
    this.stopped = false;
    this.trigger();
    this.scheduleResync();
  }

  /** Every resync interval, each synced release checks the cluster for drift (the gate spreads the load). */
  private scheduleResync(): void {
    if (!this.o.resyncMs || this.stopped) return;
    this.resyncTimer = setTimeout(() => {
      this.resync();
      this.scheduleResync();
    }, this.o.resyncMs);
  }

  /** Sends every synced release a drift check; returns how many were sent. */
  resync(): number {
    let sent = 0;
    for (const r of this.releases.values()) {
      if (r.actor?.getSnapshot().value !== 'synced') continue;
      r.actor.send({ type: 'RESYNC' });
      sent++;
    }
    return sent;
  }

  /** Polls now (a webhook); a poll in progress is followed by another one. */
  trigger(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.polling = this.pollOnce()
      .then(() => undefined)
      .catch((e) => this.o.log.error({ err: (e as Error).message }, 'poll failed'))
      .finally(() => {
        this.polling = undefined;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          return this.trigger();
        }
        const jitter = 1 + (Math.random() - 0.5) * 0.2;
        this.timer = setTimeout(() => this.trigger(), this.o.intervalMs * jitter);
      });
  }

  /**
   * Stops the loop and forgets everything (a later start reads it back). A start asked for meanwhile (the lease
   * regained at once) waits for the stop to end: it never races its clean-up.
   */
  stop(): Promise<void> {
    this.wanted = false;
    this.stopping ??= this.stopNow().finally(() => {
      this.stopping = undefined;
      if (this.wanted) this.start();
    });
    return this.stopping;
  }

  private async stopNow(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.resyncTimer);
    await this.polling;
    for (const r of this.releases.values()) r.actor?.stop();
    this.traits.unwatchAll();
    await Promise.all([...this.releases.values()].map((r) => r.io));
    await this.removals.settled();
    await this.sourceStatus.settled();
    await this.holds.stop();
    await this.approvals.stop();
    this.saved.reset();
    this.sourceStatus.reset();
    this.promotions.reset();
    // A later start (leadership regained) reads everything back from the cluster.
    this.releases.clear();
    this.lastCommit = undefined;
    this.ready = false;
  }

  /** One poll: fetch, find changed apps, send them the commit, and pick up holds placed outside. */
  async pollOnce(): Promise<{ commit?: string; changed: string[] }> {
    const end = this.o.metrics.gitFetch.startTimer();
    let head: { commit: string; changed: boolean };
    try {
      head = await this.o.source.poll();
      end();
      if (this.sourceError) this.o.log.info({ repo: this.o.source.location }, 'git source reachable again');
      this.sourceError = undefined;
    } catch (e) {
      end();
      this.o.metrics.gitErrors.inc();
      this.sourceError = (e as Error).message;
      this.o.log.error(
        { repo: this.o.source.location, err: this.sourceError },
        'git poll failed; the clusters keep their last synced state',
      );
      this.sourceStatus.record({ ...(this.lastCommit ? { commit: this.lastCommit } : {}), error: this.sourceError });
      // Soaks and promotions go on with what Git gave before.
      await this.promotions.tick();
      this.ready = true;
      return { changed: [] };
    }
    this.sourceStatus.record({ commit: head.commit });
    const changed: string[] = [];
    if (head.commit !== this.lastCommit) {
      const generation = this.ownership.generation;
      const layout = await readLayout(this.o.source, head.commit, this.o.path, DEFAULT_LIMITS, this.listingCache);
      changed.push(...(await this.takeLayout(layout)));
      // A shard taken meanwhile: the commit is read again (the next poll), for the apps it skipped.
      if (generation === this.ownership.generation) this.lastCommit = head.commit;
      else this.again = true;
      this.o.log.info({ commit: head.commit, apps: layout.apps.length, changed: changed.length }, 'new commit');
    }
    await this.syncHolds();
    await this.promotions.tick();
    this.ready = true;
    return { commit: head.commit, changed };
  }

  private registryFor(layout: SpecLayout, own: LoadedAppFolder): Result<DefinitionRegistry> {
    const files = [...layout.definitions, ...own.definitions];
    const key = `${layout.definitionsDigest}:${own.definitions.map((d) => `${d.path}:${hashOf(d.text)}`).join(',')}`;
    let r = this.registries.get(key);
    if (!r) this.registries.set(key, (r = extendRegistry(this.o.registry, files)));
    return r;
  }

  /** Sends the new commit to the releases whose folder digest changed; returns their keys. */
  private async takeLayout(layout: RepoLayout): Promise<string[]> {
    try {
      return await this.takeLayoutOnce(layout);
    } finally {
      this.saved.forgetListings();
    }
  }

  /** Releases this source recorded on its clusters that `declared` does not hold (none in memory). */
  private async undeclaredRecords(config: FerryConfig | undefined, declared: Set<string>): Promise<Removable[]> {
    const envs: (EnvironmentConfig | undefined)[] = config?.environments.length ? config.environments : [undefined];
    const out: Removable[] = [];
    for (const cluster of new Set(envs.map((e) => this.o.clusterFor(e, 'local')))) {
      for (const [key, saved] of (await this.saved.on(cluster)) ?? []) {
        const summary = saved.summary;
        if (!summary || summary.source !== this.sourceKey || declared.has(key) || this.releases.has(key)) continue;
        if (!this.owns(summary.app)) continue;
        const envConfig = config?.environments.find((e) => e.name === summary.env);
        // Its state lives on the cluster of its environment: only that cluster's listing speaks for it.
        if (this.o.clusterFor(envConfig, 'local') !== cluster) continue;
        out.push({
          app: summary.app,
          env: summary.env,
          source: this.sourceKey,
          ...(envConfig ? { config: envConfig } : {}),
        });
      }
    }
    return out;
  }

  private async takeLayoutOnce(layout: RepoLayout): Promise<string[]> {
    const first = this.lastCommit === undefined;
    const generation = this.ownership.generation;
    const config: FerryConfig | undefined = layout.config.ok ? layout.config.value : undefined;
    if (layout.config.ok) this.lastConfig = config;
    const changed: string[] = [];
    // Releases by folder, once per layout (not a scan of every release per folder).
    const byFolder = new Map<string, Release[]>();
    for (const r of this.releases.values()) byFolder.set(r.folder, [...(byFolder.get(r.folder) ?? []), r]);
    // The releases Git still declares (a broken folder keeps the ones it had).
    const declared = new Set<string>();
    const kept = specLayout(layout);
    for (const folder of layout.apps) {
      const known = byFolder.get(folder.path) ?? [];
      if (known.length > 0 && known.every((r) => r.spec?.digest === folder.digest)) {
        for (const r of known) {
          noteSameSpec(r, layout.commit);
          declared.add(`${r.app}/${r.env}`);
        }
        continue;
      }
      // A folder of other replicas' apps, unchanged: not read again.
      if (this.ownership.skips(folder.path, folder.digest)) continue;
      // A folder that no environment of ferry.yaml takes (their `apps`): not read at all.
      if (config?.environments.length && !config.environments.some((e) => selectsApp(e, folder.name))) continue;
      const loaded = loadAppFolder(this.o.source, folder);
      const result = await loaded;
      const configProblems = layout.config.ok ? [] : layout.config.problems;
      const spec: Spec = {
        commit: layout.commit,
        digest: folder.digest,
        folder,
        layout: kept,
        loaded: configProblems.length > 0 ? Promise.resolve({ ok: false, problems: configProblems }) : loaded,
      };
      const pairs = releasePairs(folder, result, known, config);
      this.ownership.read(folder.path, folder.digest, [...new Set(pairs.map((p) => p.app))]);
      for (const p of pairs) {
        const key = `${p.app}/${p.env}`;
        declared.add(key);
        // Another replica's shard: declared (not removed), not reconciled here.
        if (!this.owns(p.app)) continue;
        let release = this.releases.get(key);
        const fresh = !release;
        if (!release) {
          release = newRelease(p, this.sourceKey, folder.path);
          this.releases.set(key, release);
        }
        // A promoted environment renders the release promoted into it, not this commit (none yet: it waits).
        const wanted = p.config?.promotion ? await this.promotions.specFor(release) : spec;
        if (fresh && !release.retired) await this.lifecycle.restore(release, wanted);
        // Its shard moved away meanwhile (dropShard does not wait for this poll).
        if (release.retired) continue;
        if (!wanted) {
          [release.config, release.metrics] = [p.config, p.metrics];
          continue;
        }
        if (!this.lifecycle.want(release, wanted, p.config, p.metrics)) continue;
        changed.push(key);
        this.lifecycle.nudge(release, true);
      }
    }
    const gone = [...this.releases.values()].filter((r) => !declared.has(`${r.app}/${r.env}`));
    // At start: releases this source recorded before, that the commit no longer declares (removed
    // while the controller was away). Other sources' releases on the same cluster are not ours.
    let recorded = first ? await this.undeclaredRecords(config, declared) : [];
    // A shard taken during this poll: its apps in folders skipped as other replicas' are missing from `declared`, so
    // their records would look undeclared. The next poll (a first one again) looks at the records.
    if (this.ownership.generation !== generation) recorded = [];
    retireUndeclared({ gone, recorded, config, layout, log: this.o.log, removals: this.removals });
    return changed;
  }

  /** A hold placed or lifted (`ferry rollback` / `ferry resume`, from another process), heard at once. */
  private holdChanged(cluster: ClusterPort, change: HoldChange): void {
    const r = this.releases.get(change.key);
    if (!r || this.o.clusterFor(r.config, 'local') !== cluster) return;
    this.lifecycle.applyHold(r, change.hold, change.hold === undefined);
  }

  /**
   * After a poll: every release against the holds in force (as watched, or listed when the watch has not listed yet).
   */
  private async syncHolds(): Promise<void> {
    const byCluster = new Map<ClusterPort, Release[]>();
    for (const r of this.releases.values()) {
      const c = this.o.clusterFor(r.config, 'local');
      byCluster.set(c, [...(byCluster.get(c) ?? []), r]);
    }
    for (const [cluster, releases] of byCluster) {
      let holds: { get(key: string): Hold | undefined };
      try {
        holds = await this.holds.on(cluster);
      } catch (e) {
        this.o.log.warn({ err: (e as Error).message }, 'cannot list holds');
        continue;
      }
      for (const r of releases) await this.lifecycle.settleHold(r, holds.get(`${r.app}/${r.env}`));
    }
  }
}
