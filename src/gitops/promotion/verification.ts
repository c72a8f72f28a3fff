/**
 * Whether an environment has verified a release, from its state summary: synced and healthy at the
 * release's commit, every runtime trait's delivery of that commit promoted (a canary) and no standing
 * objective broken (an slo); failed when the release was held or failed there. And the soak: the time a
 * release has run verified, served only while it is seen verified (a controller that was down serves none
 * of its downtime; one restarted goes on from what was recorded), broken by an objective's violation.
 * Pure.
 */
import type { Soak } from '../store/promotion-store.js';
import type { StateSummary } from '../store/state-summary.js';

export type Verification =
  | { state: 'deploying'; why: string }
  | { state: 'verified' }
  | { state: 'failed'; why: string };

/**
 * How the environment stands with `commit`, by its summary. A standing objective's violation counts only when
 * it was evaluated at or after `sinceMs` (before it, the objective was about another commit's pods); a failure
 * the release retries by itself is not final.
 */
export function verificationOf(s: StateSummary | undefined, commit: string, sinceMs = 0): Verification {
  if (!s || (s.commit !== commit && s.newest !== commit)) return { state: 'deploying', why: 'not deployed yet' };
  if (s.status === 'held' && (s.newest ?? s.commit) === commit)
    return { state: 'failed', why: s.hold ?? s.lastError ?? 'held' };
  if (s.status === 'failed')
    return s.waitingFor
      ? { state: 'failed', why: s.lastError ?? 'failed' }
      : { state: 'deploying', why: `retrying: ${s.lastError ?? 'failed'}` };
  if (s.status !== 'synced' || s.commit !== commit) return { state: 'deploying', why: s.status };
  if (s.health !== undefined && s.health !== 'Healthy') return { state: 'deploying', why: `health ${s.health}` };
  for (const t of s.traits ?? []) {
    if (t.standing) {
      const p = t.progress as { state?: string; at?: string } | undefined;
      const at = p?.at === undefined ? Number.NaN : Date.parse(p.at);
      if (p?.state === 'Violated' && at >= sinceMs)
        return { state: 'failed', why: `${t.trait} of ${t.component}: ${t.status ?? 'objective violated'}` };
      continue;
    }
    if (t.commit === commit && t.outcome !== undefined && t.outcome !== 'promoted' && t.outcome !== 'skipped')
      return { state: 'failed', why: `${t.trait} of ${t.component}: ${t.outcome}` };
    if (t.commit === commit && t.outcome === undefined)
      return { state: 'deploying', why: `${t.trait} of ${t.component} ${t.status ?? 'in progress'}` };
  }
  return { state: 'verified' };
}

/**
 * The soak after one more look at the environment: time is served only between two looks that both saw
 * the release verified, and at most `maxStepMs` of it (a gap longer than that — the controller away — is
 * not served); a failure ends the soak for good.
 */
export function advanceSoak(
  soak: Soak | undefined,
  commit: string,
  v: Verification,
  now: number,
  maxStepMs: number,
): Soak {
  const s: Soak = soak?.commit === commit ? soak : { commit, servedMs: 0, since: now };
  const since = s.since ?? now;
  if (s.failed) return s;
  if (v.state === 'failed') return { commit, servedMs: s.servedMs, since, failed: v.why };
  if (v.state !== 'verified') return { commit, servedMs: s.servedMs, since };
  const step = s.seenAt === undefined ? 0 : Math.max(0, now - s.seenAt);
  return { commit, servedMs: s.servedMs + (step <= maxStepMs ? step : 0), since, seenAt: now };
}
