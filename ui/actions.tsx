/**
 * The actions on a release (promote, approve, abort, rollback, resume): enabled only when `ferry serve` has an
 * admin token (FERRY_UI_TOKEN) and this tab was given it; each sent with the token in a header and answered
 * with what the command line would have printed.
 */
import { useSignal } from '@preact/signals';
import { type Action, act, actionsEnabled, activeTrait, type StateSummary, setToken, token } from './api.js';

export function TokenForm() {
  const draft = useSignal('');
  if (actionsEnabled.value === false)
    return <p class="session">Read-only: ferry serve was started without FERRY_UI_TOKEN.</p>;
  if (token.value)
    return (
      <p class="session">
        Actions unlocked.{' '}
        <button type="button" onClick={() => setToken('')}>
          Lock
        </button>
      </p>
    );
  return (
    <form
      class="session"
      onSubmit={(e) => {
        e.preventDefault();
        setToken(draft.value.trim());
        draft.value = '';
      }}
    >
      <label>
        Admin token{' '}
        <input
          type="password"
          autocomplete="off"
          value={draft.value}
          onInput={(e) => (draft.value = e.currentTarget.value)}
        />
      </label>{' '}
      <button type="submit">Unlock actions</button>
    </form>
  );
}

/**
 * `promotable`: the environment is promoted into from another (its chain); `waiting`: a release waits there for
 * approval.
 */
export function Actions(p: { app: string; env: string; s: StateSummary; promotable: boolean; waiting: boolean }) {
  const { app, env, s } = p;
  const result = useSignal<{ ok: boolean; message: string } | undefined>(undefined);
  const busy = useSignal(false);
  const canary = activeTrait(s);
  const running =
    canary?.trait === 'canary' && ['progressing', 'paused', 'inconclusive'].includes(canary.view?.phase ?? '');
  const allowed = actionsEnabled.value === true && token.value !== '';
  const why = actionsEnabled.value === false ? 'actions are off (no FERRY_UI_TOKEN)' : 'give the admin token first';
  const buttons: { action: Action; label: string; when: boolean }[] = [
    { action: 'approve', label: 'Approve', when: p.waiting },
    { action: 'promote', label: 'Promote', when: p.promotable },
    { action: 'abort', label: 'Abort canary', when: running },
    { action: 'rollback', label: 'Roll back', when: true },
    { action: 'resume', label: 'Resume', when: s.status === 'held' || s.hold !== undefined },
  ];
  const run = async (action: Action) => {
    // Going back is asked once more: it holds the release on an older revision until resumed.
    if (action === 'rollback' && !confirm(`Roll ${app} in ${env} back to its previous good revision, and hold it?`))
      return;
    busy.value = true;
    try {
      result.value = await act(action, { app, env });
    } catch (e) {
      result.value = { ok: false, message: (e as Error).message };
    } finally {
      busy.value = false;
    }
  };
  return (
    <section class="actions" aria-label="Actions">
      {buttons
        .filter((b) => b.when)
        .map((b) => (
          <button
            type="button"
            key={b.action}
            data-action={b.action}
            disabled={!allowed || busy.value}
            title={allowed ? `${b.label} ${app} in ${env}` : why}
            onClick={() => run(b.action)}
          >
            {b.label}
          </button>
        ))}
      <output aria-live="polite" class={result.value ? (result.value.ok ? 'done' : 'failure') : ''}>
        {result.value?.message}
      </output>
    </section>
  );
}
