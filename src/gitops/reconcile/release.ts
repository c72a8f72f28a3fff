/**
 * A release is one app in one environment: what it should reach (its spec: the commit, the app
 * folder's digest and layout), its reconcile machine, what it rendered, and what is being written about
 * it. The reconcile module (this folder) is the only writer of a release's fields; `summaryOf` is what
 * `ferry status` shows of it.
 */
import type { Actor } from 'xstate';
import type { KubeObject } from '../../objects/objects.js';
import type { DefinitionRegistry } from '../../oam/definitions/registry.js';
import type { Result } from '../../oam/errors.js';
import type { SourcedApplication } from '../../oam/model/parse.js';
import type { ParsedTrait } from '../../oam/render/runtime-traits.js';
import type { ReleasePlacement } from '../release/release-render.js';
import type { EnvironmentConfig } from '../source/environments.js';
import { type MetricsSourceConfig, mergeMetricsSource } from '../../config/metrics-source.js';
import type { AppFolder, LoadedAppFolder, RepoLayout } from '../source/repo-layout.js';
import type { StateSummary, TraitState } from '../store/release-store.js';
import type { PlacementState } from '../store/state-summary.js';
import type { planApp } from '../sync/sync.js';
import { type ReconcileContext, type reconcileMachine, WAITS_FOR_COMMIT } from './machine.js';

/** What the delivery of one commit came to, across the release's runtime traits. */
export interface DeliveryResult {
  commit: string;
  /** The promoted traits' messages (`canary of web promoted after 4 steps …`). */
  promoted: string[];
  /** The trait that stopped the delivery, with its reason; `hold` keeps the release on this commit. */
  aborted?: { trait: string; component: string; reason: string; hold: boolean };
}

export interface Spec {
  commit: string;
  digest: string;
  folder: AppFolder;
  loaded: Promise<Result<LoadedAppFolder>>;
  layout: SpecLayout;
}

/**
 * What a release keeps of its commit's layout: ferry.yaml and the shared definitions, not the list of every app
 * folder (each release pointing at another commit's whole listing held N listings of N folders).
 */
export type SpecLayout = Pick<RepoLayout, 'commit' | 'config' | 'definitions' | 'definitionsDigest'>;

/** The part of a layout a Spec keeps (one object per layout, shared by its specs). */
export const specLayout = (l: RepoLayout): SpecLayout => ({
  commit: l.commit,
  config: l.config,
  definitions: l.definitions,
  definitionsDigest: l.definitionsDigest,
});

/** What a release renders for one commit: its placements and its runtime traits (after overrides). */
export interface Rendered {
  commit: string;
  placements: ReleasePlacement[];
  runtimeTraits: ParsedTrait[];
  manifestDigest: string;
  /** The placements' indices in the order they take a new commit (release/waves.ts). */
  waves: number[];
  namespace: string;
  app: SourcedApplication;
  registry: DefinitionRegistry;
}

export interface Release {
  app: string;
  env: string;
  /** This controller's source: scopes the release's records (state, history, hold, inventory). */
  source: string;
  config?: EnvironmentConfig;
  /** Where the release's traits read metrics (ferry.yaml's `metrics` for its environment). */
  metrics?: MetricsSourceConfig;
  folder: string;
  actor?: Actor<typeof reconcileMachine>;
  /** The spec this release should reach, and the commits known to carry the same spec. */
  spec?: Spec;
  sameSpec: Set<string>;
  rendered?: Rendered;
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
  /** The runtime traits' state by "component/trait", persisted with the state so a restart resumes them. */
  traits: Map<string, TraitState>;
  /** How the last delivery ended (the traits' outcomes), for what is recorded next. */
  delivered?: DeliveryResult;
  /** The objects of the newest good revision by placement, read once per commit (hold-back and delivery use them). */
  stable?: { commit: string; placements: { cluster: string; objects: KubeObject[] }[] | undefined };
  /** A release on several clusters: where each stands, in wave order (persisted with the state). */
  placements?: PlacementState[];
  /** Stopped and forgotten (Git removed it, its shard moved away): its machine never starts, nothing is written. */
  retired?: boolean;
}

/** How many same-spec commits a release remembers (an app that never changes would otherwise keep every one). */
export const SAME_SPEC_LIMIT = 256;

/**
 * Notes that `commit` carries the release's spec. Past SAME_SPEC_LIMIT the oldest are forgotten (down to half),
 * never the spec's own commit, the one rendered or the machine's revision; a commit forgotten is only rendered
 * again if it is ever asked for.
 */
export function noteSameSpec(r: Release, commit: string): void {
  r.sameSpec.add(commit);
  if (r.sameSpec.size <= SAME_SPEC_LIMIT) return;
  const keep = new Set([r.spec?.commit, r.rendered?.commit, r.actor?.getSnapshot().context.revision, commit]);
  for (const c of r.sameSpec) {
    if (r.sameSpec.size <= SAME_SPEC_LIMIT / 2) break;
    if (!keep.has(c)) r.sameSpec.delete(c);
  }
}

/** A new release of this source, not yet restored. */
export function newRelease(
  p: { app: string; env: string; config?: EnvironmentConfig; metrics?: MetricsSourceConfig },
  source: string,
  folder: string,
): Release {
  return {
    app: p.app,
    env: p.env,
    source,
    config: p.config,
    ...(p.metrics ? { metrics: p.metrics } : {}),
    folder,
    sameSpec: new Set(),
    io: Promise.resolve(),
    persistSeq: 0,
    traits: new Map(),
  };
}

/**
 * The states written to the cluster. The others (fetching, rendering, planning) are quick and need
 * no resume: a controller restarted during them finds the previous state and the commit still new.
 */
export const PERSISTED = new Set(['idle', 'applying', 'delivering', 'verifying', 'synced', 'failed', 'held']);

export const releaseKey = (r: { app: string; env: string }) => `${r.app}/${r.env}`;

/** The release's summary as its machine stands now (none before its machine started). */
/**
 * Where a release's traits read metrics on one of its clusters: the cluster's own source (ferry.yaml `clusters`)
 * over the environment's.
 */
export function metricsAt(r: Release, cluster: string): MetricsSourceConfig | undefined {
  const config = r.spec?.layout.config;
  const own = config?.ok ? config.value.clusters?.[cluster]?.metrics : undefined;
  return own ? mergeMetricsSource(r.metrics, own) : r.metrics;
}

export function currentSummary(r: Release): StateSummary | undefined {
  const s = r.actor?.getSnapshot();
  return s ? summaryOf(r, s.value as string, s.context) : undefined;
}

/** What `ferry status` shows of a release in `state`. */
export function summaryOf(r: Release, state: string, ctx: ReconcileContext, reconciler?: string): StateSummary {
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
    ...lastErrorOf(state, ctx),
    updatedAt: new Date().toISOString(),
    source: r.source,
    ...(reconciler ? { reconciler } : {}),
    ...(r.traits.size > 0 ? { traits: [...r.traits.values()] } : {}),
    ...(r.placements ? { placements: r.placements.map((p) => ({ ...p })) } : {}),
  };
}

/**
 * The failure of the commit the machine is at, as `ferry status` shows it, with that commit. A snapshot of an
 * older controller may hold a failure that names no commit: at rest (failed, held) it is the commit's own; in
 * any other state it may be an earlier commit's, kept past it, and is not shown (the history has it).
 */
function lastErrorOf(state: string, ctx: ReconcileContext): Pick<StateSummary, 'lastError' | 'lastErrorCommit'> {
  const f = ctx.failure;
  if (!f) return {};
  const atRest = state === 'failed' || state === 'held';
  // null: an older snapshot's failure that cannot be placed.
  const commit = f.commit ?? (atRest || ctx.revision === undefined ? ctx.revision : null);
  if (commit !== ctx.revision) return {};
  return { lastError: `${f.reason}: ${f.message}`, ...(commit !== undefined ? { lastErrorCommit: commit } : {}) };
}
