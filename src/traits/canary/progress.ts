/**
 * A canary's progress: what the controller persists with the release's state (so a restarted
 * controller resumes at the same step and weight) and what `ferry status` / `ferry rollout status`
 * show. Pure data and its wording.
 */
import type { WorkloadRef } from '../../ports/metrics.js';

export type CanaryPhase = 'Progressing' | 'Paused' | 'Inconclusive' | 'Promoting' | 'Succeeded' | 'Aborted';

/** One analysis run: each metric's measured value, or why there is none. */
export interface AnalysisRun {
  time: string;
  step: number;
  weight: number;
  result: 'Successful' | 'Failed' | 'Inconclusive';
  /**
   * Each metric: the canary's value, the stable pods' (with a relative bound), whether it is within
   * bounds (undefined: no verdict), and the line that says so.
   */
  measurements: {
    name: string;
    value?: number;
    stable?: number;
    unit: string;
    ok?: boolean;
    message: string;
    /** The bounds the value was judged by (absolute, or relative to the stable pods'), the tightest of each. */
    min?: number;
    max?: number;
  }[];
  /** The canary's requests in the window, and the share of the window its samples cover (%). */
  evidence?: { requests: number; coverage: number };
  /** Queries sent for this run. */
  queries?: number;
  /** Why the run is inconclusive when no measurement says it: not enough data yet. */
  message?: string;
}

export interface CanaryProgress {
  /** The commit whose template the canary runs. */
  commit: string;
  component: string;
  /** The stable workload (Deployment) and the canary's. */
  workload: string;
  canary: string;
  mode: 'replicas' | 'gateway';
  /** Index of the step being run (steps.length: every step done). */
  step: number;
  steps: number;
  /** The weight asked for, and the share of ready pods (replicas) or route weight actually in force. */
  weight: number;
  actualWeight?: number;
  phase: CanaryPhase;
  /** Why it is paused, inconclusive or aborted. */
  message?: string;
  /** When the current step started (pauses with a duration count from it). */
  stepStartedAt: string;
  startedAt: string;
  failures: number;
  /** The last analysis runs, newest last (at most 10). */
  analysis: AnalysisRun[];
  /** The workloads its analysis measures and the rate window, seconds (the dashboard charts them over time). */
  measured?: { canary: WorkloadRef; stable: WorkloadRef; windowSeconds: number };
}

export const ANALYSIS_KEPT = 10;

/**
 * `progressing 2/4 (weight 50)`, `paused 4/4 (weight 50): waiting for ferry rollout promote`,
 * `promoting (weight 50 → 100)`…
 */
export function progressLine(p: CanaryProgress): string {
  const at = `${Math.min(p.step + 1, p.steps)}/${p.steps} (weight ${p.weight})`;
  switch (p.phase) {
    case 'Progressing':
      return `progressing ${at}`;
    case 'Paused':
      return `paused ${at}${p.message ? `: ${p.message}` : ''}`;
    case 'Inconclusive':
      return `paused ${at}: analysis inconclusive${p.message ? ` (${p.message})` : ''}`;
    case 'Promoting':
      // The weight asked for stays the last step's while the stable workload rolls to the new template.
      return `promoting (weight ${p.weight} → 100)`;
    case 'Succeeded':
      return 'promoted';
    case 'Aborted':
      return `aborted at ${at}${p.message ? `: ${p.message}` : ''}`;
  }
}

export function withRun(p: CanaryProgress, run: AnalysisRun): CanaryProgress {
  return { ...p, analysis: [...p.analysis, run].slice(-ANALYSIS_KEPT) };
}

/** A canary's progress from the JSON the core kept; undefined when it is not one. */
export function decodeProgress(json: unknown): CanaryProgress | undefined {
  const p = json as Partial<CanaryProgress> | undefined;
  return p && typeof p.commit === 'string' && typeof p.phase === 'string' && Array.isArray(p.analysis)
    ? (p as CanaryProgress)
    : undefined;
}

/** The canary among a release's runtime-trait states (the most recently started, when several run). */
export function canaryOf(
  traits: readonly { trait: string; progress?: unknown }[] | undefined,
): CanaryProgress | undefined {
  const all = (traits ?? [])
    .filter((t) => t.trait === 'canary')
    .map((t) => decodeProgress(t.progress))
    .filter((p): p is CanaryProgress => p !== undefined);
  return all.sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
}
