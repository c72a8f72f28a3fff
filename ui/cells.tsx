/** The pieces a release shows everywhere: its state badge, its canary's progress bar, short commits. */
import type { StateSummary, TraitWithView } from './api.js';
import { activeTrait } from './api.js';

export const short = (c: string | undefined) => (c ? c.slice(0, 7) : '-');

const TONES: Record<string, string> = {
  synced: 'ok',
  failed: 'bad',
  held: 'warn',
  'waiting-approval': 'warn',
  verifying: 'busy',
  applying: 'busy',
  delivering: 'busy',
  planning: 'busy',
  rendering: 'busy',
};

export function StateBadge({ state }: { state: string }) {
  return stateBadge(state);
}

const stateBadge = (state: string) => <span class={`badge ${TONES[state] ?? 'busy'}`}>{state}</span>;

export function TraitProgress({ t, label }: { t: TraitWithView; label: string }) {
  return traitProgress(t, label);
}

function traitProgress(t: TraitWithView, label: string) {
  const v = t.view!;
  const tone = v.phase === 'aborted' ? 'bad' : v.phase === 'succeeded' || v.phase === 'promoted' ? 'ok' : 'busy';
  return (
    <span class={`progress ${tone}`}>
      <progress max={100} value={v.percent ?? 0} aria-label={`${label}: ${t.trait} ${v.phase}, ${v.percent ?? 0} %`} />
      <span class="progress-text">
        {t.trait} {v.phase} {v.percent ?? 0}%
      </span>
    </span>
  );
}

/** A grid cell's content: state, health, commit, a held badge and the canary's progress (a plain call). */
export function releaseCell(s: StateSummary) {
  const t = activeTrait(s);
  return (
    <>
      {stateBadge(s.status)}
      {s.hold && <span class="badge warn">held</span>}
      <span class="commit">{short(s.newest ?? s.commit)}</span>
      {s.health && <span class={`health ${s.health.toLowerCase()}`}>{s.health}</span>}
      {t && (t.view?.phase !== 'succeeded' || t.commit === s.commit) && traitProgress(t, `${s.app} in ${s.env}`)}
    </>
  );
}
