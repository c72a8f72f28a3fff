/**
 * The dashboard's data: the controller's JSON API (/api/v1, src/gitops/controller/api.ts) and its event
 * stream, kept in signals so that a change redraws only what shows it. Types come from the server's own
 * modules (type-only imports: nothing of the server is bundled).
 */
import { batch, signal, type Signal } from '@preact/signals';
import type { ChartAnswer, ObjectRow } from '../src/gitops/controller/dashboard-views.js';
import type { StateSummary, TraitState } from '../src/gitops/store/state-summary.js';
import type { TraitView } from '../src/traits/api/runtime-trait.js';

export type { ChartAnswer, ObjectRow, StateSummary, TraitView };
export type TraitWithView = TraitState & { view?: TraitView };

export const key = (app: string, env: string) => `${app}/${env}`;

/** Every release by app/env, each in its own signal; the apps and the environments in promotion order. */
export const releases = new Map<string, Signal<StateSummary>>();
export const apps = signal<string[]>([]);
export const environments = signal<string[]>([]);
export const appEnvironments = signal<Record<string, string[]>>({});
export const connected = signal<'connecting' | 'live' | 'lost'>('connecting');
export const source = signal<{ repo: string; path: string; commit?: string; error?: string } | undefined>(undefined);
/** Bumped with every release event: pages that read more than summaries refresh on it. */
export const changes = signal(0);
export const lastChange = signal<StateSummary | undefined>(undefined);
/** Bumped when a release appears: a cell that had none reads it again. */
export const added = signal(0);
/** Per app, bumped with each of its release events: its page reads what it shows again. */
const appChanges = new Map<string, Signal<number>>();
export function changesOf(app: string): Signal<number> {
  let s = appChanges.get(app);
  if (!s) appChanges.set(app, (s = signal(0)));
  return s;
}

function put(s: StateSummary): boolean {
  const k = key(s.app, s.env);
  const cell = releases.get(k);
  if (cell) {
    cell.value = s;
    return false;
  }
  releases.set(k, signal(s));
  added.value++;
  return true;
}

function snapshot(data: { releases: StateSummary[]; environments: string[]; apps: Record<string, string[]> }) {
  performance.mark('ferry:snapshot');
  batch(() => {
    const seen = new Set(data.releases.map((s) => key(s.app, s.env)));
    for (const k of [...releases.keys()]) if (!seen.has(k)) releases.delete(k);
    for (const s of data.releases) put(s);
    apps.value = [...new Set(data.releases.map((s) => s.app))].sort();
    environments.value = data.environments;
    appEnvironments.value = data.apps;
  });
}

function release(s: StateSummary) {
  batch(() => {
    if (put(s)) {
      if (!apps.value.includes(s.app)) apps.value = [...apps.value, s.app].sort();
      if (!environments.value.includes(s.env)) environments.value = [...environments.value, s.env];
      const own = appEnvironments.value[s.app] ?? [];
      if (!own.includes(s.env)) appEnvironments.value = { ...appEnvironments.value, [s.app]: [...own, s.env] };
    }
    lastChange.value = s;
    changes.value++;
    changesOf(s.app).value++;
  });
}

/** Follows /api/v1/events: the snapshot, then each release's changes; reconnects by itself. */
export function connect(): EventSource {
  const es = new EventSource('/api/v1/events');
  es.addEventListener('open', () => (connected.value = 'live'));
  es.addEventListener('error', () => (connected.value = es.readyState === EventSource.CLOSED ? 'lost' : 'connecting'));
  es.addEventListener('snapshot', (e) => snapshot(JSON.parse((e as MessageEvent<string>).data)));
  // The source's commit and error: read now, and again a second after releases change (at most that often).
  let pending: ReturnType<typeof setTimeout> | undefined;
  const readSource = () => {
    pending = undefined;
    void getJson<{ sources: NonNullable<typeof source.value>[] }>('/api/v1/sources').then((r) => {
      source.value = r.sources[0];
    });
  };
  es.addEventListener('release', (e) => {
    release(JSON.parse((e as MessageEvent<string>).data));
    if (pending === undefined) pending = setTimeout(readSource, 1000);
  });
  readSource();
  return es;
}

export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await res.json();
  if (!res.ok) throw new Error((body as { error?: string }).error ?? `HTTP ${res.status}`);
  return body as T;
}

/** The admin token typed in (kept for this tab only), and whether the server takes actions at all. */
export const token = signal<string>(sessionStorage.getItem('ferry-token') ?? '');
export const actionsEnabled = signal<boolean | undefined>(undefined);

export function setToken(t: string) {
  token.value = t;
  if (t) sessionStorage.setItem('ferry-token', t);
  else sessionStorage.removeItem('ferry-token');
}

export async function loadSession() {
  actionsEnabled.value = (await getJson<{ actions: boolean }>('/api/v1/session')).actions;
}

export type Action = 'approve' | 'promote' | 'abort' | 'rollback' | 'resume';

export async function act(
  action: Action,
  body: { app: string; env: string; release?: string },
): Promise<{ ok: boolean; message: string }> {
  const res = await fetch(`/api/v1/actions/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token.value}` },
    body: JSON.stringify(body),
  });
  const r = (await res.json()) as { ok?: boolean; message?: string; error?: string };
  return { ok: res.ok && r.ok === true, message: r.message ?? r.error ?? `HTTP ${res.status}` };
}

/** The runtime trait delivering now (or last), and whether it still runs. */
export function activeTrait(s: StateSummary): TraitWithView | undefined {
  const traits = (s.traits ?? []) as TraitWithView[];
  const delivering = traits.filter((t) => t.view?.percent !== undefined && t.commit === (s.newest ?? s.commit));
  return delivering.find((t) => !t.outcome) ?? delivering.at(-1);
}
