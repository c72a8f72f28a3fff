/**
 * The promotion decision for one app into one environment, from what its upstream environment has
 * verified: promote the release the upstream runs once it is verified and has soaked long enough there —
 * by itself when the policy is automatic, after `ferry approve` when approval is required — unless this
 * environment or the upstream one is held, the release already failed here, or the window is closed. A
 * manual `ferry promote` passes the same gates unless forced. Pure: the caller reads the records and
 * writes what is decided.
 */
import { formatDurationMs } from '../../util/duration.js';
import { type PromotionPolicy, windowOpen } from '../source/promotion-policy.js';
import type { ReleaseId, Soak } from '../store/promotion-store.js';

export interface PromotionInputs {
  policy: PromotionPolicy;
  /** The release the upstream environment runs, with its soak there; none before it ran one. */
  upstream?: { release: ReleaseId; soak: Soak | undefined; held: boolean };
  /** The release this environment was last promoted, whether it is held, the releases that failed here. */
  here: { current?: ReleaseId; held: boolean; failed: readonly string[] };
  /** Commits approved for this environment (`ferry approve`). */
  approved: readonly string[];
  now: Date;
  /** A `ferry promote` asked for this release (with --force: past every gate but a held environment). */
  manual?: { release: ReleaseId; force: boolean };
}

export type PromotionDecision =
  | { kind: 'promote'; release: ReleaseId; by: 'auto' | 'approval' | 'manual' | 'forced' }
  | { kind: 'wait'; release?: ReleaseId; state: WaitState; why: string }
  | { kind: 'current' };

/** What a release waits for: shown per cell by `ferry releases`. */
export type WaitState = 'deploying' | 'soaking' | 'waiting-approval' | 'waiting-window' | 'held' | 'failed' | 'manual';

export function decidePromotion(i: PromotionInputs): PromotionDecision {
  const { policy } = i;
  const from = policy.from;
  if (i.here.held) return { kind: 'wait', state: 'held', why: 'this environment is held (ferry resume lifts it)' };
  if (i.manual?.force) return { kind: 'promote', release: i.manual.release, by: 'forced' };
  const up = i.upstream;
  if (!up) return { kind: 'wait', state: 'deploying', why: `nothing released in ${from} yet` };
  const release = i.manual?.release ?? up.release;
  if (i.manual && i.manual.release.commit !== up.release.commit)
    return { kind: 'wait', release, state: 'manual', why: `${from} does not run it (ferry promote --force)` };
  if (release.commit === i.here.current?.commit && release.digest === i.here.current.digest) return { kind: 'current' };
  if (up.held) return { kind: 'wait', release, state: 'held', why: `${from} is held: nothing is promoted out of it` };
  if (i.here.failed.includes(release.commit))
    return { kind: 'wait', release, state: 'failed', why: 'it failed here before: not promoted again by itself' };
  const soak = up.soak?.commit === release.commit ? up.soak : undefined;
  if (soak?.failed) return { kind: 'wait', release, state: 'failed', why: `failed in ${from}: ${soak.failed}` };
  if (!soak || soak.seenAt === undefined)
    return { kind: 'wait', release, state: 'deploying', why: `not verified in ${from} yet` };
  if (soak.servedMs < policy.soakMs)
    return {
      kind: 'wait',
      release,
      state: 'soaking',
      why: `soaking in ${from} ${formatDurationMs(soak.servedMs)}/${formatDurationMs(policy.soakMs)}`,
    };
  if (policy.window && !windowOpen(policy.window, i.now))
    return { kind: 'wait', release, state: 'waiting-window', why: `outside the window ${policy.window.text}` };
  if (i.manual) return { kind: 'promote', release, by: 'manual' };
  if (policy.approval)
    return i.approved.includes(release.commit)
      ? { kind: 'promote', release, by: 'approval' }
      : { kind: 'wait', release, state: 'waiting-approval', why: 'waiting for ferry approve' };
  if (!policy.auto) return { kind: 'wait', release, state: 'manual', why: 'promoted by ferry promote only' };
  return { kind: 'promote', release, by: 'auto' };
}
