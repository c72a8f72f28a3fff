/**
 * What the dashboard reads beyond a release's summary: its objects with their health (live, from the clusters
 * of the revision it runs), each runtime trait's view (the trait's own `view` of its progress), and the charts
 * its traits ask of the environment's metrics over time (Prometheus `query_range`).
 */
import { formatRef, type KubeObject, refOf } from '../../objects/objects.js';
import type { SampleSeries } from '../../ports/metrics.js';
import type { AnyRuntimeTrait, TraitQuery, TraitView } from '../../traits/api/runtime-trait.js';
import { computeHealth } from '../health/compute.js';
import { readHistory, type StateSummary, type TraitState } from '../store/release-store.js';
import type { ReleaseAccess } from './controller.js';

export interface ObjectRow {
  cluster: string;
  object: string;
  kind: string;
  namespace?: string;
  name: string;
  health: string;
  reason: string;
  message: string;
}

/** The objects of the revision a release runs (its newest with manifests), each with its live health. */
export async function objectsOf(
  a: ReleaseAccess,
): Promise<{ revision?: number; commit?: string; objects: ObjectRow[] }> {
  const history = await readHistory(a.records, a.scope);
  const running = history.find((r) => r.placements && r.outcome !== 'Failed' && r.outcome !== 'Removed');
  if (!running) return { objects: [] };
  const rows = await Promise.all(
    running.placements!.flatMap((p) =>
      p.objects.map(async (o): Promise<ObjectRow> => {
        const ref = refOf(o);
        let live: KubeObject | undefined;
        try {
          live = await a.cluster(p.cluster).get(ref);
        } catch (e) {
          return {
            cluster: p.cluster,
            object: formatRef(ref),
            kind: ref.kind,
            ...names(ref),
            health: 'Unknown',
            reason: 'ReadFailed',
            message: (e as Error).message,
          };
        }
        const h = computeHealth(live);
        return {
          cluster: p.cluster,
          object: formatRef(ref),
          kind: ref.kind,
          ...names(ref),
          health: h.status,
          reason: h.reason,
          message: h.message,
        };
      }),
    ),
  );
  return { revision: running.revision, commit: running.commit, objects: rows };
}

const names = (ref: { namespace?: string; name: string }) => ({
  ...(ref.namespace ? { namespace: ref.namespace } : {}),
  name: ref.name,
});

/** Each runtime trait's state with its view, where its trait has one. */
export function withViews(s: StateSummary, traits: readonly AnyRuntimeTrait[]): StateSummary {
  if (!s.traits?.length) return s;
  return { ...s, traits: s.traits.map((t) => withView(t, traits)) };
}

function withView(t: TraitState, traits: readonly AnyRuntimeTrait[]): TraitState & { view?: TraitView } {
  const trait = traits.find((x) => x.type === t.trait);
  const progress = trait?.view && t.progress !== undefined ? trait.progress.decode(t.progress) : undefined;
  if (!trait?.view || progress === undefined) return t;
  try {
    return { ...t, view: trait.view(progress) };
  } catch {
    return t;
  }
}

export interface ChartAnswer {
  component: string;
  trait: string;
  placement?: string;
  title: string;
  unit: string;
  thresholds: TraitQuery['thresholds'];
  /** Each line's points, [ms, value]; `error` when the metrics could not be read for it. */
  lines: { label: string; points: [number, number][]; error?: string }[];
}

/** About 120 points a chart, at least one every 5 s. */
const stepOf = (spanMs: number) => Math.max(5_000, Math.ceil(spanMs / 120 / 1000) * 1000);

/** The charts a release's traits ask of its metrics, each line read over its range (now: `now`). */
export async function chartsOf(
  a: ReleaseAccess,
  s: StateSummary,
  traits: readonly AnyRuntimeTrait[],
  now = Date.now(),
): Promise<ChartAnswer[]> {
  const out: ChartAnswer[] = [];
  for (const t of withViews(s, traits).traits ?? []) {
    const view = (t as TraitState & { view?: TraitView }).view;
    for (const q of view?.queries ?? []) {
      const metrics = a.metrics(t.placement ?? 'local');
      const endMs = Math.min(now, q.untilMs ?? now);
      const startMs = Math.min(q.sinceMs, endMs - 60_000);
      const range = { startMs, endMs, stepMs: stepOf(endMs - startMs) };
      const lines = await Promise.all(
        q.lines.map(async (l) => {
          if (!metrics?.history)
            return { label: l.label, points: [], error: 'no metrics source answers range queries' };
          const r = await metrics.history(q.metric, l.workload, {
            windowSeconds: q.windowSeconds,
            ...(q.quantile !== undefined ? { quantile: q.quantile } : {}),
            range,
          });
          if (r.kind === 'error') return { label: l.label, points: [], error: r.error.message };
          return { label: l.label, points: r.kind === 'samples' ? merged(r.series) : [] };
        }),
      );
      out.push({
        component: t.component,
        trait: t.trait,
        ...(t.placement ? { placement: t.placement } : {}),
        title: q.title,
        unit: q.unit,
        thresholds: q.thresholds,
        lines,
      });
    }
  }
  return out;
}

/** One line's points from its series (a sum query answers one; NaN points, a ratio of nothing, dropped). */
const merged = (series: readonly SampleSeries[]): [number, number][] =>
  series
    .flatMap((x) => x.points)
    .filter(([, v]) => Number.isFinite(v))
    .sort((x, y) => x[0] - y[0]);
