/**
 * The overview: a row per app, a column per environment in promotion order; each cell a release's state,
 * health, commit, hold and canary progress, following the event stream (each cell redraws alone).
 */
import { useComputed, useSignal } from '@preact/signals';
import { added, apps, environments, key, releases, type StateSummary } from './api.js';
import { releaseCell } from './cells.js';

const FILTERS = ['all', 'synced', 'progressing', 'failed', 'held'] as const;
type Filter = (typeof FILTERS)[number];

const BUSY = new Set(['applying', 'verifying', 'delivering', 'planning', 'rendering', 'pending']);

function matches(app: string, envs: string[], f: Filter): boolean {
  return envs.some((env) => {
    const s = releases.get(key(app, env))?.value;
    if (!s) return false;
    if (f === 'progressing') return BUSY.has(s.status);
    if (f === 'held') return s.status === 'held' || s.hold !== undefined;
    return s.status === f;
  });
}

/** One cell (a plain call, not a component: a thousand rows make three thousand of them). */
function cell(app: string, env: string, s: StateSummary | undefined) {
  if (!s)
    return (
      <div role="cell" class="cell empty" key={env} data-cell={key(app, env)}>
        <span class="visually-hidden">not deployed</span>
      </div>
    );
  return (
    <div role="cell" class="cell" key={env} data-cell={key(app, env)} data-state={s.status}>
      <a href={`#/app/${encodeURIComponent(app)}?env=${encodeURIComponent(env)}`} class="cell-link">
        {releaseCell(s)}
      </a>
    </div>
  );
}

/** An app's row: redrawn when one of its releases changes (or, with an empty cell, when a release appears). */
function Row({ app, envs, hidden }: { app: string; envs: string[]; hidden: boolean }) {
  const found = envs.map((env) => releases.get(key(app, env)));
  if (found.includes(undefined)) void added.value;
  return (
    <div role="row" class="grid-row" data-app={app} hidden={hidden}>
      <div role="rowheader" class="app-name">
        <a href={`#/app/${encodeURIComponent(app)}`}>{app}</a>
      </div>
      {envs.map((env, i) => cell(app, env, found[i]?.value))}
    </div>
  );
}

export function Grid() {
  const search = useSignal('');
  const filter = useSignal<Filter>('all');
  const envs = environments.value;
  // Rows filtered out are hidden, not removed: showing them again creates nothing.
  const visible = useComputed(() => {
    const q = search.value.trim().toLowerCase();
    const named = q ? apps.value.filter((a) => a.toLowerCase().includes(q)) : apps.value;
    return new Set(filter.value === 'all' ? named : named.filter((a) => matches(a, environments.value, filter.value)));
  });
  return (
    <main id="main" tabIndex={-1}>
      <h1>Applications</h1>
      <form class="toolbar" aria-label="Filter the apps" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search apps{' '}
          <input type="search" value={search.value} onInput={(e) => (search.value = e.currentTarget.value)} />
        </label>
        <label>
          Show{' '}
          <select value={filter.value} onChange={(e) => (filter.value = e.currentTarget.value as Filter)}>
            {FILTERS.map((f) => (
              <option key={f} value={f}>
                {f}
              </option>
            ))}
          </select>
        </label>
        <output aria-live="polite" class="count">
          {visible.value.size} of {apps.value.length} apps
        </output>
      </form>
      {/* A grid of rows rather than a <table>: rows off screen are skipped by the browser (content-visibility),
          so a thousand apps render and update as fast as the few on screen. */}
      <div
        role="table"
        class="grid"
        aria-label="Apps by environment, in promotion order"
        style={{ '--columns': envs.length }}
      >
        <div role="rowgroup">
          <div role="row" class="grid-row grid-head">
            <div role="columnheader">App</div>
            {envs.map((e) => (
              <div role="columnheader" key={e}>
                {e}
              </div>
            ))}
          </div>
        </div>
        <div role="rowgroup">
          {apps.value.map((a) => (
            <Row key={a} app={a} envs={envs} hidden={!visible.value.has(a)} />
          ))}
        </div>
      </div>
    </main>
  );
}
