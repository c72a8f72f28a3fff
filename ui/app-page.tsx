/**
 * An app's page: its releases across environments (the matrix `ferry releases` prints), and for the chosen
 * environment its state, actions, runtime traits (progress, facts, the failing value, analysis runs and
 * charts), objects with health, and revision history. Follows the event stream.
 */
import { useSignal, useSignalEffect } from '@preact/signals';
import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import {
  appEnvironments,
  type ChartAnswer,
  changes,
  changesOf,
  environments,
  getJson,
  key,
  type ObjectRow,
  releases,
  type StateSummary,
  type TraitWithView,
} from './api.js';
import { Actions } from './actions.js';
import { short, StateBadge, TraitProgress } from './cells.js';
import { Chart } from './chart.js';

interface Matrix {
  environments: string[];
  releases: { commit: string; cells: Record<string, { state: string; detail?: string }> }[];
}
interface HistoryEntry {
  revision: number;
  commit: string;
  outcome: string;
  reason?: string;
  time: string;
  message: string;
}

/**
 * A JSON resource, read again a second after an event about this app (records are written around it) and
 * every 15 s (what no event announces: a soak served, an object's health).
 */
function useResource<T>(path: string | undefined, app: string): T | { error: string } | undefined {
  const data = useSignal<T | { error: string } | undefined>(undefined);
  const tick = useSignal(0);
  const mine = changesOf(app);
  useSignalEffect(() => {
    if (mine.value === 0) return;
    const t = setTimeout(() => tick.value++, 1000);
    return () => clearTimeout(t);
  });
  // Another resource (another app or environment): nothing of the last one is shown meanwhile.
  useEffect(() => {
    data.value = undefined;
  }, [path?.replace(/[?&]t=\d+$/, '')]);
  useEffect(() => {
    const t = setInterval(() => tick.value++, 15_000);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    if (!path) return;
    let live = true;
    getJson<T>(path)
      .then((v) => live && (data.value = v))
      .catch((e: Error) => live && (data.value = { error: e.message }));
    return () => void (live = false);
  }, [path, tick.value]);
  return data.value;
}

const failed = (v: unknown): v is { error: string } => typeof v === 'object' && v !== null && 'error' in v;

function Timeline({ m }: { m: Matrix | { error: string } | undefined }) {
  if (!m) return <p>Loading releases…</p>;
  if (failed(m)) return <p class="note">No promotion chain: {m.error}</p>;
  return (
    <table class="matrix">
      <caption>Releases across environments, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Release</th>
          {m.environments.map((e) => (
            <th scope="col" key={e}>
              {e}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {m.releases.map((r) => (
          <tr key={r.commit}>
            <th scope="row" class="commit">
              {short(r.commit)}
            </th>
            {m.environments.map((e) => {
              const c = r.cells[e];
              return (
                <td key={e} data-release-cell={`${short(r.commit)}/${e}`}>
                  {c ? <StateBadge state={c.state} /> : '-'} {c?.detail}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function TraitPanel({ s, t }: { s: StateSummary; t: TraitWithView }) {
  const v = t.view;
  if (!v)
    return (
      <section class="trait">
        <h3>
          {t.trait} on {t.component}
        </h3>
        <p>{t.status}</p>
      </section>
    );
  return (
    <section class="trait" data-trait={t.trait} data-phase={v.phase}>
      <h3>
        {t.trait} on {t.component}
        {t.placement ? ` [${t.placement}]` : ''} at {short(t.commit)}: {v.phase}
      </h3>
      {v.percent !== undefined && <TraitProgress t={t} label={`${s.app} in ${s.env}`} />}
      {v.failure && (
        <p class="failure" role="alert">
          {v.failure}
        </p>
      )}
      <dl class="facts">
        {v.facts.map((f) => (
          <div key={f.name}>
            <dt>{f.name}</dt>
            <dd>{f.value}</dd>
          </div>
        ))}
      </dl>
      <div class="charts">
        {v.charts.map((c) => (
          <Chart key={c.title} {...c} />
        ))}
      </div>
      {v.table && v.table.rows.length > 0 && (
        <Table
          caption="Analysis runs, newest first"
          columns={v.table.columns}
          rows={v.table.rows.map((r) => ({ key: r.join('|'), cells: r }))}
        />
      )}
    </section>
  );
}

function MetricsCharts({ app, env }: { app: string; env: string }) {
  const q = `/api/v1/apps/${encodeURIComponent(app)}/charts?env=${encodeURIComponent(env)}`;
  const tick = useSignal(0);
  useEffect(() => {
    const t = setInterval(() => tick.value++, 10_000);
    return () => clearInterval(t);
  }, []);
  const charts = useResource<{ charts: ChartAnswer[] }>(`${q}&t=${tick.value}`, app);
  if (!charts || failed(charts) || charts.charts.length === 0) return null;
  return (
    <section>
      <h3>Metrics from Prometheus</h3>
      <div class="charts">
        {charts.charts.map((c) => (
          <Chart
            key={`${c.component}/${c.trait}/${c.placement ?? ''}/${c.title}`}
            {...c}
            title={`${c.component} ${c.trait}: ${c.title}`}
          />
        ))}
      </div>
    </section>
  );
}

/** A table of rows under a caption and column headers; each row keyed. */
function Table({
  caption,
  columns,
  rows,
}: {
  caption: string;
  columns: string[];
  rows: { key: string; cells: ComponentChildren[] }[];
}) {
  return (
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr>
          {columns.map((c) => (
            <th scope="col" key={c}>
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key}>
            {r.cells.map((c, i) => (
              <td key={columns[i]}>{c}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A resource of this release, read and shown as a table (or why it cannot be). */
function ReleaseTable<T>({
  app,
  env,
  what,
  render,
}: {
  app: string;
  env: string;
  what: 'objects' | 'history';
  render: (body: T) => preact.JSX.Element;
}) {
  const r = useResource<T>(`/api/v1/apps/${encodeURIComponent(app)}/${what}?env=${encodeURIComponent(env)}`, app);
  if (!r) return <p>Loading {what}…</p>;
  if (failed(r)) return <p class="note">{r.error}</p>;
  return render(r);
}

const Objects = ({ app, env }: { app: string; env: string }) => (
  <ReleaseTable<{ objects: ObjectRow[] }>
    app={app}
    env={env}
    what="objects"
    render={(r) => (
      <Table
        caption="Objects and their health"
        columns={['Object', 'Cluster', 'Health', 'Message']}
        rows={r.objects.map((o) => ({
          key: `${o.cluster}/${o.object}`,
          cells: [
            o.object,
            o.cluster,
            <span class={`health ${o.health.toLowerCase()}`}>{o.health}</span>,
            o.message || o.reason,
          ],
        }))}
      />
    )}
  />
);

const History = ({ app, env }: { app: string; env: string }) => (
  <ReleaseTable<{ history: HistoryEntry[] }>
    app={app}
    env={env}
    what="history"
    render={(r) => (
      <Table
        caption="Revision history, newest first"
        columns={['Revision', 'Commit', 'Outcome', 'Time', 'Message']}
        rows={r.history.map((h) => ({
          key: String(h.revision),
          cells: [
            h.revision,
            <span class="commit">{short(h.commit)}</span>,
            `${h.outcome}${h.reason ? ` (${h.reason})` : ''}`,
            h.time,
            h.message.split('\n')[0],
          ],
        }))}
      />
    )}
  />
);

export function AppPage({ app, env: wanted }: { app: string; env?: string }) {
  const order = appEnvironments.value[app] ?? environments.value;
  const envs = order.filter((e) => releases.has(key(app, e)));
  const env = wanted && envs.includes(wanted) ? wanted : envs[0];
  const s = env ? releases.get(key(app, env))?.value : undefined;
  void changes.value;
  // The releases matrix: the timeline, and which environments have a promotion policy (a chain) to act on.
  const matrix = useResource<Matrix>(`/api/v1/apps/${encodeURIComponent(app)}/releases`, app);
  const chain = matrix && !failed(matrix) ? matrix.environments : [];
  const rows = matrix && !failed(matrix) ? matrix.releases : [];
  return (
    <main id="main" tabIndex={-1}>
      <p>
        <a href="#/">← All applications</a>
      </p>
      <h1>{app}</h1>
      <Timeline m={matrix} />
      <nav aria-label="Environments" class="tabs">
        {envs.map((e) => (
          <a
            key={e}
            href={`#/app/${encodeURIComponent(app)}?env=${encodeURIComponent(e)}`}
            aria-current={e === env ? 'page' : undefined}
          >
            {e}
          </a>
        ))}
      </nav>
      {s && env ? (
        <section aria-labelledby="release-title" data-release={key(app, env)} key={key(app, env)}>
          <h2 id="release-title">
            {app} in {env}: <StateBadge state={s.status} />
          </h2>
          <dl class="facts">
            <div>
              <dt>commit</dt>
              <dd class="commit">{short(s.commit)}</dd>
            </div>
            {s.newest && (
              <div>
                <dt>waiting</dt>
                <dd class="commit">{short(s.newest)}</dd>
              </div>
            )}
            <div>
              <dt>health</dt>
              <dd>{s.health ?? '-'}</dd>
            </div>
            {s.hold && (
              <div>
                <dt>held</dt>
                <dd>{s.hold}</dd>
              </div>
            )}
            {s.waitingFor && (
              <div>
                <dt>waiting for</dt>
                <dd>{s.waitingFor}</dd>
              </div>
            )}
            <div>
              <dt>updated</dt>
              <dd>{s.updatedAt}</dd>
            </div>
          </dl>
          {s.lastError && (
            <p class="failure" role="alert">
              {s.lastError}
            </p>
          )}
          {s.placements && (
            <ul class="placements">
              {s.placements.map((p) => (
                <li key={p.cluster}>
                  {p.cluster}: {short(p.commit)}
                  {p.rolling ? `, rolling out ${short(p.rolling)}` : ''}
                </li>
              ))}
            </ul>
          )}
          <Actions
            app={app}
            env={env}
            s={s}
            promotable={chain.indexOf(env) > 0}
            waiting={chain.includes(env) && rows.some((r) => r.cells[env]?.state === 'waiting-approval')}
          />
          <h2>Runtime traits</h2>
          {(s.traits ?? []).length === 0 && <p>No runtime traits.</p>}
          {((s.traits ?? []) as TraitWithView[]).map((t) => (
            <TraitPanel key={`${t.component}/${t.trait}/${t.placement ?? ''}`} s={s} t={t} />
          ))}
          <MetricsCharts app={app} env={env} />
          <h2>Objects</h2>
          <Objects app={app} env={env} />
          <h2>History</h2>
          <History app={app} env={env} />
        </section>
      ) : (
        <p>No release of {app} here.</p>
      )}
    </main>
  );
}
