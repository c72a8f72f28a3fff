/**
 * The summary in a release's state record (`summary.json` of ferry-state.<source>.<app>.<env>): what
 * `ferry status` shows and `ferry status -o json` prints, with each runtime trait's state. Summaries that
 * older controllers wrote are read into today's shape here (records are never rewritten for it): a canary's
 * `delivery` becomes its entry of `traits`, and a last error is tied to the commit it is about, or dropped
 * when an older controller kept it while it reconciled another commit.
 */

/**
 * A runtime trait's state on one component (src/traits/api/runtime-trait.ts): its progress as the trait
 * encoded it (opaque here), the line `ferry status` shows, and how its last delivery ended.
 */
export interface TraitState {
  component: string;
  trait: string;
  /** The commit the progress is about. */
  commit?: string;
  progress?: unknown;
  /** What `ferry status` shows of it (`progressing 2/4 (weight 50)`). */
  status?: string;
  /** The last delivery's outcome at `commit` (promoted, aborted, …), when it ended. */
  outcome?: string;
  /** Reported by the trait's watch, which runs while the release is synced (an slo): `ferry status` shows it then. */
  standing?: boolean;
  /** The placement's cluster, when the release has several (each runs its traits in its wave). */
  placement?: string;
}

/** Where one placement (cluster) of a release with several stands: the commit it runs, and one rolling out to it. */
export interface PlacementState {
  cluster: string;
  /** The commit this cluster runs: the newest verified there (or rolled back to). */
  commit?: string;
  /** A newer commit being rolled out to this cluster now (its wave). */
  rolling?: string;
}

export interface StateSummary {
  app: string;
  env: string;
  status: string;
  /** The commit reconciled; while held, the commit running (the one rolled back to, when known). */
  commit?: string;
  /** While held: the newer commit waiting for the hold to end. */
  newest?: string;
  /** What a failed release waits for before it is tried again, when that is not a backoff (e.g. "a new commit"). */
  waitingFor?: string;
  specDigest?: string;
  lastGood?: string;
  /** The controller replica (its `--identity`) that wrote this state. */
  reconciler?: string;
  health?: string;
  hold?: string;
  /**
   * The last error of the commit the release is at (`Reason: message`). Gone once the release takes up
   * another commit: the history keeps it.
   */
  lastError?: string;
  /** The commit `lastError` is about: `newest` while held, else `commit`. */
  lastErrorCommit?: string;
  updatedAt: string;
  /** The Git source (sourceId) whose controller recorded this release. */
  source?: string;
  /** The runtime traits' state (a canary's step, weight and analysis runs), one entry per component and trait. */
  traits?: TraitState[];
  /** A release on several clusters: each cluster's commit, in wave order (they differ while a wave rolls). */
  placements?: PlacementState[];
}

/** The commit a release is at: the newer one waiting while it is held, else the one reconciled. */
export const currentCommit = (s: Pick<StateSummary, 'commit' | 'newest'>): string | undefined => s.newest ?? s.commit;

/** A summary as read from its record, in today's shape. */
export function readSummary(summary: StateSummary): StateSummary {
  return withCurrentError(withTraits(summary));
}

/**
 * A last error belongs to its commit: kept while the release is at that commit. One that names no commit
 * (an older controller's) is the commit's own at rest (failed, held); in any other state it may be an earlier
 * commit's, which those controllers kept while the next commit was delivered, so it is dropped.
 */
function withCurrentError(s: StateSummary): StateSummary {
  if (s.lastError === undefined) return s;
  const at = currentCommit(s);
  // null: a last error that cannot be placed.
  const commit = s.lastErrorCommit ?? (s.status === 'failed' || s.status === 'held' ? at : null);
  if (commit === at) return commit === undefined || s.lastErrorCommit ? s : { ...s, lastErrorCommit: commit };
  const { lastError: _error, lastErrorCommit: _commit, ...rest } = s;
  return rest;
}

/**
 * A summary written before runtime traits had their own entries kept a canary's progress in `delivery`:
 * read as the canary's entry.
 */
function withTraits(summary: StateSummary): StateSummary {
  const legacy = (summary as StateSummary & { delivery?: { component?: string; commit?: string } }).delivery;
  if (!legacy || summary.traits) return summary;
  const { delivery: _, ...rest } = summary as StateSummary & { delivery?: unknown };
  return {
    ...rest,
    traits: [
      {
        component: legacy.component ?? '',
        trait: 'canary',
        ...(legacy.commit ? { commit: legacy.commit } : {}),
        progress: legacy,
        ...legacyOutcome((legacy as { phase?: string }).phase),
      },
    ],
  };
}

const legacyOutcome = (phase: string | undefined): { outcome?: string } =>
  phase === 'Aborted' ? { outcome: 'aborted' } : phase === 'Succeeded' ? { outcome: 'promoted' } : {};
