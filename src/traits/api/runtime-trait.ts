/**
 * The runtime-trait interface: how a trait whose behaviour needs more than rendering (a canary, a
 * latency objective) plugs into Ferry. A trait is one folder under src/traits/ that exports a
 * `RuntimeTrait`, plus one line in src/traits/registry.ts. The core knows nothing else of it:
 *
 * - `parse` checks the trait's properties in the render pipeline, after override policies, so
 *   `ferry render`, `ferry apply` and `ferry serve` refuse a bad setting with a located error.
 * - `ownedFields` (optional) names the fields of the component's objects the trait writes while the app
 *   runs, e.g. `[{kind: 'Deployment', path: ['spec', 'replicas']}]` for an autoscaler that writes through
 *   the `scale` subresource with its own field manager (`ClusterPort.scale`). The sync engine does not
 *   fight it: `ferry apply`, `ferry diff`, `ferry status` and `ferry serve`'s plan, apply and drift checks
 *   create the object with the rendered value, and after that never change the field (Ferry's apply leaves
 *   it out when another field manager owns it, else carries the live value), so a new commit keeps the
 *   current value and drift checks and no-op syncs ignore it. docs/sync.md, "Fields a runtime trait owns".
 * - `progress` encodes what the trait persists with the release's state (opaque JSON to the core), so
 *   a restarted controller hands it back; `describe` is the one line `ferry status` shows of it.
 * - `start` gives the controller the trait's runtime (its hooks), with the trait's own metrics
 *   registered on the controller's registry.
 * - `holdBack` changes what apply writes (a canary keeps the stable pod template while it runs);
 *   `deliver` runs in the reconcile machine's delivering stage and ends with a typed outcome that the
 *   core records without knowing which trait spoke.
 */
import type { Registry } from 'prom-client';
import type { ObjectField } from '../../objects/fields.js';
import type { KubeObject } from '../../objects/objects.js';
import type { TraitParser } from '../../oam/render/runtime-traits.js';
import type { ClusterPort } from '../../ports/cluster.js';
import type { Log } from '../../ports/log.js';
import type { WorkloadMetrics, WorkloadRef } from '../../ports/metrics.js';

/** How a trait's progress is kept: plain JSON in the release's state record. */
export interface ProgressCodec<P> {
  encode(progress: P): unknown;
  /** undefined when the JSON is not this trait's progress (an older format, say): the trait starts afresh. */
  decode(json: unknown): P | undefined;
}

/** How a delivery ended. The core records it: Synced, Failed (and held), or Failed to retry. */
export type TraitOutcome =
  /** Nothing to deliver for this commit (no change the trait cares about): apply wrote everything. */
  | { result: 'skipped' }
  /** Delivered: `message` goes into the revision's history entry and the Synced Event. */
  | { result: 'promoted'; message: string }
  /**
   * Stopped: the old version keeps running. `values` are the measurements behind the verdict. With
   * `hold`, the release is held on this commit until a newer commit or `ferry resume`.
   */
  | { result: 'aborted'; reason: string; values?: Record<string, number>; hold: boolean }
  /** No verdict could be reached: recorded as a failure and tried again with backoff. */
  | { result: 'inconclusive'; reason: string };

/** The release a hook works on: one component of one app in one environment, at one commit. */
export interface TraitTarget<S> {
  app: string;
  env: string;
  /** The Git source whose controller runs it (scopes its records). */
  source?: string;
  component: string;
  /** The namespace the app's objects live in. */
  namespace: string;
  /** The commit being delivered. */
  revision: string;
  /** The trait's settings, parsed after override policies. */
  spec: S;
  /** What Git renders for the release's placement. */
  objects: readonly KubeObject[];
  /**
   * The fields of `objects` that runtime traits write at run time (their `ownedFields`, resolved to objects):
   * an object a trait applies itself keeps them as they are live (`withLiveFields` in src/objects/fields.ts).
   */
  ownedFields?: readonly ObjectField[];
  /**
   * What runs now: the objects of the newest good revision (Synced or rolled back to); undefined
   * before the first one (a first deployment has no stable version).
   */
  stable: readonly KubeObject[] | undefined;
  /** The cluster of the placement. */
  cluster: ClusterPort;
  /** The environment's metrics (ferry.yaml `metrics`, or `ferry serve --prometheus-url`), when configured. */
  metrics?: WorkloadMetrics;
  /** What the component's other runtime traits declare it must hold (an `slo`'s latency), for this one to use. */
  objectives?: Objective[];
}

/** A service level a trait declares for its component: a latency quantile's bound, a success rate's floor. */
export interface Objective {
  /** The trait that declares it. */
  trait: string;
  latency?: { percentile: number; quantile: number; maxMs: number };
  successRate?: { min: number };
}

export interface DeliverInput<S, P> extends TraitTarget<S> {
  /** The progress saved by an earlier run of this trait on this component (any commit). */
  progress: P | undefined;
  /** Stores the progress with the release's state (written before it resolves). */
  report(progress: P | undefined): Promise<void>;
  /** A Kubernetes Event on the Application. */
  event(type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
  /** The newest request from the command line for this trait (e.g. `ferry rollout promote`), if any. */
  command(): Promise<unknown>;
  clearCommand(): Promise<void>;
  /** An object as Ferry applies it (its tracking labels and annotations). */
  tracked(obj: KubeObject): KubeObject;
  log: Log;
  /** Aborts when a newer commit supersedes this delivery or the controller stops. */
  signal: AbortSignal;
}

/**
 * A trait's long-running part for a synced release (an autoscaler): the target, the state it reported
 * last, and how to report, record Events and log. It runs until `signal` aborts.
 */
export interface WatchInput<S, P> extends TraitTarget<S> {
  progress: P | undefined;
  report(progress: P): Promise<void>;
  event(type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
  log: Log;
  /** Aborts when the trait's settings change, the trait or the release goes away, or the controller stops. */
  signal: AbortSignal;
}

/** A trait's hooks, as started by the controller. */
export interface TraitRuntime<S, P> {
  /** The objects apply writes (default: `objects` as rendered). */
  holdBack?(input: TraitTarget<S>): Promise<KubeObject[]>;
  /** The delivering stage for this component; resolves with an outcome, never throws for a verdict. */
  deliver?(input: DeliverInput<S, P>): Promise<TraitOutcome>;
  /**
   * Runs from the first time the release is synced with this trait, across later commits (restarted
   * only when the trait's settings change), until the trait or the release goes away. Resolves when
   * `signal` aborts; an error is logged and the watch started again at the next synced revision.
   */
  watch?(input: WatchInput<S, P>): Promise<void>;
}

/** What the controller gives a trait's runtime when it starts. */
export interface TraitRuntimeContext {
  /** The controller's Prometheus registry (served on /metrics): the trait registers its own metrics. */
  registry: Registry;
  /** How long a new workload may take to become ready. */
  readyTimeoutMs?: number;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** A bound a chart draws beside its lines: the most (`max`) or the least (`min`) a value may be. */
export interface Threshold {
  value: number;
  bound: 'max' | 'min';
  label: string;
}

/** A chart drawn from the progress itself (a canary's analysis runs): each line's points are [ms, value]. */
export interface TraitChart {
  title: string;
  unit: string;
  thresholds: Threshold[];
  lines: { label: string; points: [number, number][] }[];
}

/**
 * A chart read from the environment's metrics over a time range (Prometheus `query_range`): one workload's
 * success rate, latency quantile or request rate per line, through the environment's metrics provider.
 */
export interface TraitQuery {
  title: string;
  unit: string;
  thresholds: Threshold[];
  metric: 'latency' | 'successRate' | 'requestRate';
  /** The latency quantile (0–1). */
  quantile?: number;
  /** The rate window of each point, seconds. */
  windowSeconds: number;
  /** The range: from `sinceMs` to `untilMs` (now when absent), ms since the epoch. */
  sinceMs: number;
  untilMs?: number;
  lines: { label: string; workload: WorkloadRef }[];
}

/**
 * What the dashboard shows of a trait's progress, the same shape for every trait (the API adds it to the
 * trait's state): a new trait appears there without a change to the dashboard.
 */
export interface TraitView {
  /** One word: progressing, paused, promoted, aborted, met, violated, … */
  phase: string;
  /** How far it is, 0–100, for a trait that moves towards an end (a canary's steps). */
  percent?: number;
  /** Name and value pairs (step, weight, replicas). */
  facts: { name: string; value: string }[];
  /** Why it failed, with the failing value. */
  failure?: string;
  charts: TraitChart[];
  queries: TraitQuery[];
  /** A table of its recent runs (a canary's analysis runs), newest first. */
  table?: { columns: string[]; rows: string[][] };
}

export interface RuntimeTrait<S = unknown, P = unknown> extends TraitParser<S> {
  readonly progress: ProgressCodec<P>;
  /** What the dashboard shows of its progress (optional: without it, the `describe` line). */
  view?(progress: P): TraitView;
  /** The objective its settings declare for the component, which the component's other traits may judge by. */
  objective?(spec: S): Omit<Objective, 'trait'> | undefined;
  /** One line for `ferry status` (`progressing 2/4 (weight 50)`). */
  describe(progress: P): string;
  start(context: TraitRuntimeContext): TraitRuntime<S, P>;
}

/** Any registered trait (their settings and progress types differ). */
// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous list of traits; each checks its own types
export type AnyRuntimeTrait = RuntimeTrait<any, any>;
