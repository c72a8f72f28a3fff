/**
 * The GitOps loop: poll (or be woken by a webhook), find the app folders whose digest changed, and
 * drive one reconcile machine per (app, environment) through fetch → render → plan → apply →
 * deliver → verify. Machine snapshots, revisions and holds live in the cluster (release-store), so
 * a restarted controller resumes where it was. Nothing here throws into the loop: every failure is
 * recorded on the release it belongs to.
 */
import { createActor, fromPromise, type Actor } from 'xstate';
import type { ClusterPort } from '../../ports/cluster.js';
import type { DefinitionRegistry } from '../../oam/definitions/registry.js';
import { extendRegistry } from '../../oam/definitions/extend.js';
import { formatProblem, type Result } from '../../oam/errors.js';
import type { SourcedApplication } from '../../oam/model/parse.js';
import { definitionHealth } from '../health/definition-health.js';
import { driftOf, driftText } from '../sync/drift.js';
import type { EnvironmentConfig, FerryConfig } from '../source/environments.js';
import { recordEvent } from './events.js';
import type { GitSource } from '../source/git-source.js';
import { HoldError, passThrough, reconcileMachine, WAITS_FOR_COMMIT, type PlanOutput, type ReconcileContext, type Step, type StepInput } from './machine.js';
import { formatRef } from '../sync/objects.js';
import { holdEvent, SourceHolds, type HoldChange } from '../release/hold-watch.js';
import { readHold, releaseHold, appendRevision, placeHold, readHistory, writeState, writeSourceStatus, sourceId, type Hold, type SavedState, type StateSummary } from '../release/release-store.js';
import { SavedStates } from '../release/saved-states.js';
import { renderRelease, environmentsOf, type ReleasePlacement } from '../release/release-render.js';
import { loadAppFolder, readLayout, DEFAULT_LIMITS, type AppFolder, type ListingCache, type LoadedAppFolder, type RepoLayout } from '../source/repo-layout.js';
import { Semaphore } from './semaphore.js';
import { removeRelease, type Removable } from '../release/release-removal.js';
import { planApp, syncApp } from '../sync/sync.js';
import { hashOf } from '../sync/tracking.js';
import type { Logger, Metrics } from './telemetry.js';
import { waitHealthy } from '../sync/wait.js';

export interface ControllerOptions {
  source: GitSource;
  /** Sub-folder of the repository holding ferry.yaml, apps/ and definitions/. */
  path: string;
  intervalMs: number;
  /** The cluster of an environment ("local" placement) or of a topology cluster name. */
  clusterFor: (env: EnvironmentConfig | undefined, placementCluster: string) => ClusterPort;
  registry: DefinitionRegistry;
  metrics: Metrics;
  log: Logger;
  verifyTimeoutMs?: number;
  /** Steps that may run at once across all releases (render/plan/apply). */
  concurrency?: number;
  /** Replaces the progressive-delivery stage (canary); a pass-through by default. */
  deliver?: Step;
  /** How often synced releases are compared with the cluster again (drift); 0 or absent: never. */
  resyncMs?: number;
}

interface Spec {
  commit: string;
  digest: string;
  folder: AppFolder;
  loaded: Promise<Result<LoadedAppFolder>>;
  layout: RepoLayout;
}

interface Release {
  app: string;
  env: string;
  /** This controller's source: scopes the release's records (state, history, hold, inventory). */
  source: string;
  config?: EnvironmentConfig;
  folder: string;
  actor?: Actor<typeof reconcileMachine>;
  /** The spec this release should reach, and the commits known to carry the same spec. */
  spec?: Spec;
  sameSpec: Set<string>;
  rendered?: { commit: string; placements: ReleasePlacement[]; manifestDigest: string; namespace: string; app: SourcedApplication; registry: DefinitionRegistry };
  /** Serializes what is written to the cluster about this release. */
  io: Promise<void>;
  startedAt?: number;
  last?: string;
  /** The app's namespace (for Events), known once its spec was read. */
  namespace?: string;
  /** The plan made by the planning step, handed to apply (no second read of the same objects). */
  planned?: { commit: string; plans: Awaited<ReturnType<typeof planApp>>[] };
  /** Counts the persisted transitions: a write already superseded by a newer one is skipped. */
  persistSeq: number;
  /** The step in flight, so a removal waits for it before pruning. */
  running?: Promise<unknown>;
  /** The drift last reported for an app that opted out of self-heal (reported once per change). */
  drift?: string;
  /** A drift check found drift and is healing it (recorded with the revision). */
  healing?: boolean;
  /** While held: the commit running (the one a rollback went back to), when known. */
  heldCommit?: string;
}

/**
 * The states written to the cluster. The others (fetching, rendering, planning) are quick and need
 * no resume: a controller restarted during them finds the previous state and the commit still new.
 */
const PERSISTED = new Set(['idle', 'applying', 'delivering', 'verifying', 'synced', 'failed', 'held']);

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
  private lastCommit?: string;
  /** The last poll's source error, if it failed. */
  sourceError?: string;
  /** What was last recorded about the source (written only when the commit or the error changes). */
  private sourceSeen = '';
  private sourceIo: Promise<void> = Promise.resolve();
  /** True once the first poll has been taken into account. */
  ready = false;

  /** This controller's source (repository + path): its releases carry it, so only they are pruned at start. */
  private readonly sourceKey: string;

  /** One machine for all releases: its steps find their release by the actor's (app, env). */
  private readonly machine: ReturnType<typeof reconcileMachine.provide>;

  constructor(private readonly o: ControllerOptions) {
    this.gate = new Semaphore(o.concurrency ?? 8);
    this.sourceKey = sourceId(o.source.location, o.path);
    this.saved = new SavedStates(this.sourceKey, o.log);
    this.holds = new SourceHolds({ source: this.sourceKey, onChange: (cluster, change) => this.holdChanged(cluster, change), onError: (e) => o.log.warn({ err: e.message }, 'watching holds failed; trying again') });
    this.machine = reconcileMachine.provide({ actors: this.steps() });
  }

  private resyncTimer?: NodeJS.Timeout;

  start(): void {
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

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.resyncTimer);
    await this.polling;
    for (const r of this.releases.values()) r.actor?.stop();
    await Promise.all([...this.releases.values()].map((r) => r.io));
    await Promise.all([...this.retiring]);
    await this.sourceIo;
    await this.holds.stop();
    this.saved.reset();
    this.sourceSeen = '';
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
      this.o.log.error({ repo: this.o.source.location, err: this.sourceError }, 'git poll failed; the clusters keep their last synced state');
      this.recordSource({ ...(this.lastCommit ? { commit: this.lastCommit } : {}), error: this.sourceError });
      this.ready = true;
      return { changed: [] };
    }
    this.recordSource({ commit: head.commit });
    const changed: string[] = [];
    if (head.commit !== this.lastCommit) {
      const layout = await readLayout(this.o.source, head.commit, this.o.path, DEFAULT_LIMITS, this.listingCache);
      changed.push(...(await this.takeLayout(layout)));
      this.lastCommit = head.commit;
      this.o.log.info({ commit: head.commit, apps: layout.apps.length, changed: changed.length }, 'new commit');
    }
    await this.syncHolds();
    this.ready = true;
    return { commit: head.commit, changed };
  }

  /** Records the source's commit or failure for `ferry status`, when either changed. */
  private recordSource(seen: { commit?: string; error?: string }): void {
    const key = `${seen.commit ?? ''}\u0000${seen.error ?? ''}`;
    if (key === this.sourceSeen) return;
    this.sourceSeen = key;
    const status = { repo: this.o.source.location, path: this.o.path, ...seen, since: new Date().toISOString() };
    const cluster = this.o.clusterFor(undefined, 'local');
    this.sourceIo = this.sourceIo
      .then(() => writeSourceStatus(cluster, status))
      .catch((e: unknown) => {
        this.sourceSeen = '';
        this.o.log.warn({ err: (e as Error).message }, 'cannot record the source status');
      });
  }

  private registryFor(layout: RepoLayout, own: LoadedAppFolder): Result<DefinitionRegistry> {
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
        const envConfig = config?.environments.find((e) => e.name === summary.env);
        // Its state lives on the cluster of its environment: only that cluster's listing speaks for it.
        if (this.o.clusterFor(envConfig, 'local') !== cluster) continue;
        out.push({ app: summary.app, env: summary.env, source: this.sourceKey, ...(envConfig ? { config: envConfig } : {}) });
      }
    }
    return out;
  }

  private async takeLayoutOnce(layout: RepoLayout): Promise<string[]> {
    const first = this.lastCommit === undefined;
    const config: FerryConfig | undefined = layout.config.ok ? layout.config.value : undefined;
    const changed: string[] = [];
    // Releases by folder, once per layout (not a scan of every release per folder).
    const byFolder = new Map<string, Release[]>();
    for (const r of this.releases.values()) byFolder.set(r.folder, [...(byFolder.get(r.folder) ?? []), r]);
    // The releases Git still declares (a broken folder keeps the ones it had).
    const declared = new Set<string>();
    for (const folder of layout.apps) {
      const known = byFolder.get(folder.path) ?? [];
      if (known.length > 0 && known.every((r) => r.spec?.digest === folder.digest)) {
        for (const r of known) {
          r.sameSpec.add(layout.commit);
          declared.add(`${r.app}/${r.env}`);
        }
        continue;
      }
      const loaded = loadAppFolder(this.o.source, folder);
      const result = await loaded;
      const configProblems = layout.config.ok ? [] : layout.config.problems;
      const spec: Spec = { commit: layout.commit, digest: folder.digest, folder, layout, loaded: configProblems.length > 0 ? Promise.resolve({ ok: false, problems: configProblems }) : loaded };
      // The releases of this folder: each app in it × its environments (a broken folder keeps the
      // ones it had, or is reported under the folder's name).
      const pairs: { app: string; env: string; config?: EnvironmentConfig }[] = [];
      if (result.ok) {
        for (const a of result.value.apps) for (const env of environmentsOf(a, config?.environments ?? [])) pairs.push({ app: a.app.metadata.name, env, config: config?.environments.find((e) => e.name === env) });
      } else if (known.length > 0) pairs.push(...known.map((r) => ({ app: r.app, env: r.env, config: r.config })));
      else for (const env of config?.environments.length ? config.environments.map((e) => e.name) : ['default']) pairs.push({ app: folder.name, env, config: config?.environments.find((e) => e.name === env) });
      for (const p of pairs) {
        const key = `${p.app}/${p.env}`;
        declared.add(key);
        let release = this.releases.get(key);
        if (!release) {
          release = { app: p.app, env: p.env, source: this.sourceKey, config: p.config, folder: folder.path, sameSpec: new Set(), io: Promise.resolve(), persistSeq: 0 };
          this.releases.set(key, release);
          await this.restore(release, spec);
        }
        release.config = p.config;
        if (release.spec?.digest === spec.digest) {
          release.sameSpec.add(spec.commit);
          continue;
        }
        release.spec = spec;
        release.sameSpec = new Set([spec.commit]);
        changed.push(key);
        this.nudge(release, true);
      }
    }
    const gone = [...this.releases.values()].filter((r) => !declared.has(`${r.app}/${r.env}`));
    // At start: releases this source recorded before, that the commit no longer declares (removed
    // while the controller was away). Other sources' releases on the same cluster are not ours.
    const recorded = first ? await this.undeclaredRecords(config, declared) : [];
    if (gone.length + recorded.length > 0) {
      const names = [...gone, ...recorded].map((r) => `${r.app}/${r.env}`);
      // Never prune on a read that may be incomplete: a broken ferry.yaml, or a commit with no app at all.
      if (!config) this.o.log.error({ commit: layout.commit, releases: names }, 'ferry.yaml is invalid: releases no longer declared are left as they are');
      else if (layout.apps.length === 0) this.o.log.error({ commit: layout.commit, releases: names }, 'no app folder in this commit: refusing to remove every app at once; nothing was pruned');
      else if (!config.defaults.pruneRemovedApps) this.o.log.warn({ commit: layout.commit, releases: names }, 'no longer declared; left in the cluster (defaults.pruneRemovedApps is false)');
      else {
        for (const r of gone) this.retire(r, layout.commit);
        for (const r of recorded) this.remove(r, layout.commit);
      }
    }
    return changed;
  }

  /** Removals in progress (stop() waits for them). */
  private readonly retiring = new Set<Promise<void>>();

  /** A release Git no longer declares: stopped, then removed once what it was doing has settled. */
  private retire(r: Release, commit: string): void {
    this.releases.delete(`${r.app}/${r.env}`);
    r.actor?.stop();
    this.o.metrics.forget(r.app, r.env);
    const settled = Promise.all([r.io, r.running?.catch(() => undefined)]);
    this.remove({ app: r.app, env: r.env, source: r.source, ...(r.config ? { config: r.config } : {}), ...(r.namespace ? { namespace: r.namespace } : {}), ...(r.rendered ? { placedOn: r.rendered.placements.map((p) => p.cluster) } : {}) }, commit, settled);
  }

  /** Prunes and records the removal in the background (stop() waits for it). */
  private remove(r: Removable, commit: string, after: Promise<unknown> = Promise.resolve()): void {
    const key = `${r.app}/${r.env}`;
    const log = this.o.log.child({ app: r.app, env: r.env, commit });
    const work = (async () => {
      await after;
      // Stopped, or declared again by a newer commit (that release takes over).
      if (await removeRelease({ clusterFor: this.o.clusterFor, log: this.o.log }, r, commit, () => this.stopped || this.releases.has(key))) log.info({}, 'removed: no longer in Git, objects pruned');
    })()
      .catch((e: unknown) => log.error({ err: (e as Error).message }, 'recording a removal failed'))
      .finally(() => this.retiring.delete(work));
    this.retiring.add(work);
  }

  /** Starts a release's machine, from its persisted snapshot when there is one. */
  private async restore(r: Release, spec: Spec): Promise<void> {
    const cluster = this.o.clusterFor(r.config, 'local');
    let saved: SavedState = {};
    try {
      saved = await this.saved.of(cluster, r);
      if (saved.summary?.status === 'held') r.heldCommit = (await readHold(cluster, r))?.commit;
    } catch (e) {
      this.o.log.warn({ app: r.app, env: r.env, err: (e as Error).message }, 'cannot read the saved state; starting fresh');
    }
    const unchanged = saved.summary?.specDigest === spec.digest;
    if (unchanged) {
      // Nothing changed for this app while the controller was away: no new reconcile.
      r.spec = spec;
      // The commit the machine is at (while held, `commit` is the one running and `newest` the machine's).
      const at = saved.summary!.newest ?? saved.summary!.commit;
      r.sameSpec = new Set([spec.commit, ...(at ? [at] : [])]);
    }
    if (!this.stopped) this.holds.watch(cluster);
    const actor = saved.snapshot ? createActor(this.machine, { snapshot: saved.snapshot as never, input: { app: r.app, env: r.env } }) : createActor(this.machine, { input: { app: r.app, env: r.env } });
    r.actor = actor;
    r.last = undefined;
    actor.subscribe((s) => this.observe(r, s.value as string, s.context));
    actor.start();
    if (saved.snapshot) this.o.log.info({ app: r.app, env: r.env, state: actor.getSnapshot().value, revision: actor.getSnapshot().context.revision }, 'resumed');
    const failure = actor.getSnapshot().context.failure;
    if (unchanged && actor.getSnapshot().value === 'failed' && failure && WAITS_FOR_COMMIT.has(failure.reason)) {
      // It waits for a new commit; this controller may bring other built-in definitions: one more try.
      this.o.log.info({ app: r.app, env: r.env, reason: failure.reason }, 'trying a failed render again after a restart (the definitions may have changed)');
      actor.send({ type: 'RETRY' });
    }
  }

  /** At rest (idle, synced, failed): go for the wanted commit when it is a different spec. */
  private nudge(r: Release, newSpec = false): void {
    const s = r.actor?.getSnapshot();
    if (!s || !r.spec || this.stopped) return;
    const state = s.value as string;
    if (state === 'held') {
      // A commit that changes the app ends the hold (the machine checks it is a different commit).
      if (newSpec) r.actor!.send({ type: 'COMMIT', revision: r.spec.commit });
      return;
    }
    const atWanted = s.context.revision !== undefined && r.sameSpec.has(s.context.revision);
    if (state === 'idle' || ((state === 'synced' || state === 'failed') && !atWanted)) {
      r.startedAt = Date.now();
      r.actor!.send({ type: 'COMMIT', revision: r.spec.commit });
    }
  }

  private observe(r: Release, state: string, ctx: ReconcileContext): void {
    const previous = r.last;
    r.last = state;
    if (previous === state) return;
    // A drift check that found nothing to heal leaves no trace (no write, no gauge flip).
    if (state === 'checking') return;
    if (state === 'synced' && previous === 'checking') {
      void r.io.then(() => this.nudge(r));
      return;
    }
    this.o.metrics.setStatus(r.app, r.env, state);
    const snapshot = r.actor!.getPersistedSnapshot();
    const cluster = this.o.clusterFor(r.config, 'local');
    const summary = this.summaryOf(r, state, ctx);
    const log = this.o.log.child({ app: r.app, env: r.env, commit: ctx.revision });
    if (state !== 'synced' && state !== 'failed') log.debug({ state }, 'state');
    const seq = PERSISTED.has(state) ? ++r.persistSeq : undefined;
    const work = async () => {
      if (state === 'synced' && previous === 'verifying') await this.recordSynced(r, ctx, log);
      if (state === 'failed' && previous !== undefined) await this.recordFailed(r, ctx, log);
      summary.health = state === 'synced' ? 'Healthy' : state === 'failed' && ctx.failure?.reason === 'HealthCheckFailed' ? 'Degraded' : undefined;
      if (summary.health) this.o.metrics.setHealth(r.app, r.env, summary.health);
      if (seq !== undefined && seq === r.persistSeq) await writeState(cluster, r, snapshot, summary);
    };
    r.io = r.io.then(work).catch((e) => log.error({ err: (e as Error).message }, 'recording the release failed'));
    if (state === 'idle' || state === 'synced' || state === 'failed') void r.io.then(() => this.nudge(r));
  }

  /** What `ferry status` shows of a release in `state`. */
  private summaryOf(r: Release, state: string, ctx: ReconcileContext): StateSummary {
    // While held, the commit running is the one rolled back to; the machine's commit waits.
    const running = state === 'held' ? (r.heldCommit ?? ctx.revision) : ctx.revision;
    const waiting = state === 'failed' && ctx.failure && WAITS_FOR_COMMIT.has(ctx.failure.reason);
    return {
      app: r.app,
      env: r.env,
      status: state,
      ...(running ? { commit: running } : {}),
      ...(running !== ctx.revision && ctx.revision ? { newest: ctx.revision } : {}),
      ...(waiting ? { waitingFor: 'a new commit' } : {}),
      // The digest of the spec this state is about (a newer commit may be waiting already).
      ...(r.spec && ctx.revision !== undefined && r.sameSpec.has(ctx.revision) ? { specDigest: r.spec.digest } : {}),
      ...(ctx.lastGood ? { lastGood: ctx.lastGood } : {}),
      ...(ctx.hold ? { hold: ctx.hold } : {}),
      ...(ctx.failure ? { lastError: `${ctx.failure.reason}: ${ctx.failure.message}` } : {}),
      updatedAt: new Date().toISOString(),
      source: this.sourceKey,
    };
  }

  private async recordSynced(r: Release, ctx: ReconcileContext, log: Logger): Promise<void> {
    const cluster = this.o.clusterFor(r.config, 'local');
    const rendered = r.rendered;
    const message = r.healing ? 'drift corrected: synced and healthy' : 'synced and healthy';
    r.healing = false;
    const rev = await appendRevision(cluster, r, { commit: ctx.revision!, specDigest: r.spec?.digest ?? '', ...(rendered ? { manifestDigest: rendered.manifestDigest, placements: rendered.placements } : {}), time: new Date().toISOString(), outcome: 'Synced', message });
    if (r.startedAt) this.o.metrics.reconcileDuration.observe({ app: r.app, env: r.env, result: 'synced' }, (Date.now() - r.startedAt) / 1000);
    log.info({ revision: rev.revision }, 'synced');
    if (rendered) await recordEvent(cluster, { app: r.app, env: r.env, namespace: rendered.namespace, type: 'Normal', reason: 'Synced', message: `revision ${rev.revision} (commit ${ctx.revision!.slice(0, 12)}) ${message}` }).catch((e) => log.warn({ err: (e as Error).message }, 'cannot record an Event'));
  }

  private async recordFailed(r: Release, ctx: ReconcileContext, log: Logger): Promise<void> {
    const cluster = this.o.clusterFor(r.config, 'local');
    const failure = ctx.failure!;
    r.healing = false;
    this.o.metrics.failures.inc({ app: r.app, env: r.env, reason: failure.reason });
    if (r.startedAt) this.o.metrics.reconcileDuration.observe({ app: r.app, env: r.env, result: 'failed' }, (Date.now() - r.startedAt) / 1000);
    const rev = await appendRevision(cluster, r, { commit: ctx.revision ?? '', specDigest: r.spec?.digest ?? '', ...(r.rendered?.commit === ctx.revision ? { manifestDigest: r.rendered!.manifestDigest } : {}), time: new Date().toISOString(), outcome: 'Failed', reason: failure.reason, message: failure.message });
    log.error({ revision: rev.revision, reason: failure.reason, err: failure.message, attempts: ctx.attempts }, 'reconcile failed');
    const namespace = r.namespace ?? r.config?.namespace ?? 'default';
    await recordEvent(cluster, { app: r.app, env: r.env, namespace, type: 'Warning', reason: failure.reason, message: failure.message }).catch((e) => log.warn({ err: (e as Error).message }, 'cannot record an Event'));
    if (!['ApplyFailed', 'DeliveryFailed', 'HealthCheckFailed'].includes(failure.reason) || !this.autoRollback(r)) return;
    const good = (await readHistory(cluster, r)).find((h) => h.outcome !== 'Failed' && h.placements && h.commit !== ctx.revision);
    if (!good) return log.warn({}, 'automatic rollback: no earlier good revision');
    const result = await this.applyPlacements(r, good.placements!);
    if (!result.ok) return log.error({ err: result.errors.join('; ') }, 'automatic rollback failed');
    await placeHold(cluster, r, { reason: `automatic rollback to revision ${good.revision} after ${failure.reason}`, since: new Date().toISOString(), specDigest: r.spec?.digest, revision: good.revision, commit: good.commit });
    r.heldCommit = good.commit;
    await appendRevision(cluster, r, { commit: good.commit, specDigest: good.specDigest, ...(good.manifestDigest ? { manifestDigest: good.manifestDigest } : {}), placements: good.placements!, time: new Date().toISOString(), outcome: 'RolledBack', reason: 'AutoRollback', message: `rolled back to revision ${good.revision} after ${failure.reason}` });
    log.warn({ to: good.revision }, 'rolled back automatically; held until a newer commit or ferry resume');
    r.actor?.send({ type: 'HOLD', reason: `automatic rollback to revision ${good.revision} after ${failure.reason}` });
  }

  private autoRollback(r: Release): boolean {
    const ann = r.rendered?.app.app.metadata.annotations?.['ferry.dev/auto-rollback'];
    if (ann !== undefined) return ann === 'true';
    const cfg = r.spec?.layout.config;
    return cfg?.ok === true && cfg.value.defaults.autoRollback;
  }

  /** A drift check's verdict: heal (the default) or, for apps that opted out, report once per drift. */
  private async reportDrift(r: Release, rendered: NonNullable<Release['rendered']>, drift: string[]): Promise<PlanOutput> {
    if (drift.length === 0) {
      r.drift = undefined;
      return { changes: 0 };
    }
    const heal = rendered.app.app.metadata.annotations?.['ferry.dev/self-heal'] !== 'false';
    const text = driftText(drift);
    this.o.metrics.drift.inc({ app: r.app, env: r.env, healed: String(heal) });
    if (heal) {
      r.healing = true;
      this.o.log.warn({ app: r.app, env: r.env, commit: rendered.commit, drift }, 'drift detected; re-applying the synced revision');
    } else if (r.drift !== text) {
      r.drift = text;
      this.o.log.warn({ app: r.app, env: r.env, commit: rendered.commit, drift }, 'drift detected; not corrected (ferry.dev/self-heal is "false")');
      await recordEvent(this.o.clusterFor(r.config, 'local'), { app: r.app, env: r.env, namespace: rendered.namespace, type: 'Warning', reason: 'OutOfSync', message: `the cluster differs from revision ${rendered.commit.slice(0, 12)}: ${text}` }).catch(() => undefined);
    }
    return { changes: drift.length, heal };
  }

  /** Applies recorded placements (a rollback): same engine, prune on. */
  async applyPlacements(r: { app: string; env: string; config?: EnvironmentConfig }, placements: ReleasePlacement[]): Promise<{ ok: boolean; errors: string[] }> {
    const errors: string[] = [];
    for (const p of placements) {
      const res = await syncApp({ scope: { app: r.app, env: r.env }, objects: p.objects, cluster: this.o.clusterFor(r.config, p.cluster), prune: true, force: true });
      errors.push(...res.errors);
    }
    return { ok: errors.length === 0, errors };
  }

  /** A hold placed or lifted (`ferry rollback` / `ferry resume`, from another process), heard at once. */
  private holdChanged(cluster: ClusterPort, change: HoldChange): void {
    const r = this.releases.get(change.key);
    if (!r || this.o.clusterFor(r.config, 'local') !== cluster) return;
    this.applyHold(r, change.hold, change.hold === undefined);
  }

  private applyHold(r: Release, hold: Hold | undefined, lifted: boolean): void {
    const event = holdEvent(r.actor?.getSnapshot().value as string | undefined, hold, r.spec?.digest, lifted);
    if (!event) return;
    this.o.log.info({ app: r.app, env: r.env, event, ...(hold ? { hold: hold.reason } : {}) }, hold ? 'hold placed' : 'hold lifted');
    if (hold) r.heldCommit = hold.commit;
    r.actor!.send(event === 'HOLD' ? { type: 'HOLD', reason: hold!.reason } : { type: event });
  }

  /** After a poll: every release against the holds in force (as watched, or listed when the watch has not listed yet). */
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
      for (const r of releases) this.applyHold(r, holds.get(`${r.app}/${r.env}`), false);
    }
  }

  /** The spec a step works on: the wanted one, if `revision` carries it. */
  private specOf(r: Release, revision: string | undefined): Spec {
    if (!r.spec || revision === undefined || !r.sameSpec.has(revision)) throw new Error(`commit ${revision?.slice(0, 12) ?? '(none)'} was superseded by ${r.spec?.commit.slice(0, 12) ?? 'nothing'}`);
    return r.spec;
  }

  private async checkHold(r: Release): Promise<void> {
    const cluster = this.o.clusterFor(r.config, 'local');
    const hold = await readHold(cluster, r);
    if (!hold) return;
    if (hold.specDigest === undefined || hold.specDigest === r.spec?.digest) {
      r.heldCommit = hold.commit;
      throw new HoldError(hold.reason);
    }
    // A newer commit touched the app: the hold has done its job.
    await releaseHold(cluster, r);
    this.o.log.info({ app: r.app, env: r.env, hold: hold.reason }, 'hold released by a newer commit');
  }

  /** Renders (once per commit) what the release's placements should hold. */
  private async prepare(r: Release, revision: string | undefined): Promise<NonNullable<Release['rendered']>> {
    const spec = this.specOf(r, revision);
    if (r.rendered && r.sameSpec.has(r.rendered.commit)) return r.rendered;
    const loaded = await spec.loaded;
    if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
    const sourced = loaded.value.apps.find((a) => a.app.metadata.name === r.app);
    if (!sourced) throw new Error(`Application "${r.app}" is no longer in ${spec.folder.path}`);
    r.namespace = r.config?.namespace ?? sourced.app.metadata.namespace ?? 'default';
    const registry = this.registryFor(spec.layout, loaded.value);
    if (!registry.ok) throw new Error(registry.problems.map(formatProblem).join('\n'));
    const placements = renderRelease(sourced, registry.value, r.env, r.config);
    this.o.metrics.renders.inc({ app: r.app, env: r.env });
    if (!placements.ok) throw new Error(placements.problems.map(formatProblem).join('\n'));
    const namespace = r.config?.namespace ?? sourced.app.metadata.namespace ?? 'default';
    r.rendered = { commit: spec.commit, placements: placements.value, manifestDigest: hashOf(placements.value), namespace, app: sourced, registry: registry.value };
    return r.rendered;
  }

  private steps() {
    const step = (fn: (r: Release, i: StepInput) => Promise<unknown>, gated = true) =>
      fromPromise<unknown, StepInput>(({ input }) => {
        const r = this.releases.get(`${input.app}/${input.env}`);
        if (!r) return Promise.reject(new Error(`${input.app}/${input.env} is no longer reconciled here`));
        const current = () => (this.releases.get(`${r.app}/${r.env}`) === r ? fn(r, input) : Promise.reject(new Error(`${r.app}/${r.env} was removed`)));
        const running = gated ? this.gate.run(current) : current();
        r.running = running;
        return running;
      });
    const health = (r: Release) => definitionHealth(r.rendered!.registry, r.rendered!.app.app.spec.components, r.app);
    return {
      fetch: step(async (r, i) => {
        this.specOf(r, i.revision);
        await this.checkHold(r);
        return undefined;
      }, false),
      render: step(async (r, i) => {
        r.rendered = undefined;
        await this.prepare(r, i.revision);
        return undefined;
      }),
      plan: step(async (r, i): Promise<PlanOutput> => {
        const check = (i.work as { check?: boolean } | undefined)?.check === true;
        // A drift check of a revision a newer commit has replaced: that commit is applied next.
        if (check && (i.revision === undefined || !r.sameSpec.has(i.revision))) return { changes: 0 };
        const rendered = await this.prepare(r, i.revision);
        r.planned = undefined;
        const plans: Awaited<ReturnType<typeof planApp>>[] = [];
        const drift: string[] = [];
        for (const p of rendered.placements) {
          const planned = await planApp({ scope: r, objects: p.objects, cluster: this.o.clusterFor(r.config, p.cluster), prune: true });
          if (planned.plan.refused) throw new Error(planned.plan.refused);
          plans.push(planned);
          drift.push(...driftOf(planned.plan, rendered.placements.length > 1 ? p.cluster : undefined));
        }
        r.planned = { commit: rendered.commit, plans };
        if (!check) return { changes: drift.length };
        return this.reportDrift(r, rendered, drift);
      }),
      apply: step(async (r, i) => {
        const rendered = await this.prepare(r, i.revision);
        await this.checkHold(r);
        const errors: string[] = [];
        // The planning step's reading, once: a resumed apply (after a restart) reads afresh.
        const planned = r.planned?.commit === rendered.commit ? r.planned.plans : undefined;
        r.planned = undefined;
        for (const [k, p] of rendered.placements.entries()) {
          // force: Git owns the fields it declares, even when a hand edit took them over (as Flux and Argo CD's server-side apply do).
          const res = await syncApp({ scope: r, objects: p.objects, components: rendered.app.app.spec.components, cluster: this.o.clusterFor(r.config, p.cluster), prune: true, force: true, health: health(r), ...(planned?.[k] ? { planned: planned[k] } : {}) });
          errors.push(...res.errors.map((e) => (rendered.placements.length > 1 ? `[${p.cluster}] ${e}` : e)));
          const writes = res.items.filter((x) => x.action === 'created' || x.action === 'configured' || x.action === 'deleted');
          this.o.log.info({ app: r.app, env: r.env, commit: i.revision, cluster: p.cluster, ok: res.ok, writes: res.writes, changed: writes.map((w) => `${w.action} ${formatRef(w.ref)}`).slice(0, 20) }, 'applied');
        }
        this.o.metrics.applies.inc({ app: r.app, env: r.env, result: errors.length === 0 ? 'ok' : 'failed' });
        if (errors.length > 0) throw new Error(errors.join('\n'));
        return undefined;
      }),
      deliver: step((_r, i) => (this.o.deliver ?? passThrough)(i), false),
      verify: step(async (r, i) => {
        const rendered = await this.prepare(r, i.revision);
        for (const p of rendered.placements) {
          const h = await waitHealthy(this.o.clusterFor(r.config, p.cluster), p.objects, { timeoutMs: this.o.verifyTimeoutMs ?? 120_000, health: health(r) });
          if (!h.ok) throw new Error(h.errors.join('\n'));
        }
        return undefined;
      }, false),
    };
  }
}
