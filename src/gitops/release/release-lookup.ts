/**
 * Which Git source's records a command about one (app, environment) uses (`ferry history`,
 * `rollback`, `resume`): the one source that recorded it, or the one `--source` names (its id, a
 * prefix of it, or its repository URL or path). Two sources with an app of that name and no
 * `--source` is an error that names both; records written before the scoping by source are used
 * only when no source recorded the release.
 */
import type { ClusterPort } from '../../ports/cluster.js';
import { LABEL_KIND, LABEL_SOURCE, SYSTEM_NAMESPACE, type RecordScope } from '../store/record-names.js';
import { listSourceStatuses, sourceId, type SourceStatus } from '../store/release-store.js';

export interface KnownSource {
  id: string;
  repo?: string;
  path?: string;
}

export const describeSource = (s: KnownSource): string =>
  `${s.id}${s.repo ? ` (${s.repo}${s.path && s.path !== '.' ? `, path ${s.path}` : ''})` : ''}`;

/** Whether `selector` (an id, a prefix of at least 4 characters, a repository URL or path) names `s`. */
export function selects(selector: string, s: KnownSource): boolean {
  if (s.id === selector || (selector.length >= 4 && s.id.startsWith(selector))) return true;
  return s.repo !== undefined && s.repo.replace(/\/+$/, '') === selector.replace(/\/+$/, '');
}

export type SourceChoice = { ok: true; source?: string } | { ok: false; error: string };

/**
 * The source of (app, env), from the sources that recorded it (undefined: an unscoped record) and
 * `selectors` (the --source value and, for a path, its absolute form).
 */
export function chooseSource(
  scope: { app: string; env: string },
  recorded: (string | undefined)[],
  known: KnownSource[],
  selectors: string[],
): SourceChoice {
  const ids = [...new Set(recorded.filter((s): s is string => s !== undefined))].sort();
  const info = (id: string): KnownSource => known.find((k) => k.id === id) ?? { id };
  const list = (xs: string[]) => xs.map((id) => describeSource(info(id))).join('; ');
  const what = `${scope.app}/${scope.env}`;
  if (selectors.length > 0) {
    const chosen = ids.filter((id) => selectors.some((sel) => selects(sel, info(id))));
    if (chosen.length === 1) return { ok: true, source: chosen[0] };
    if (chosen.length > 1)
      return {
        ok: false,
        error:
          `--source ${selectors[0]} matches ${chosen.length} sources of ${what}: ` +
          `${list(chosen)}; give a source id`,
      };
    return {
      ok: false,
      error:
        ids.length > 0
          ? `${what} has no records of source ${selectors[0]}; it is recorded by ${list(ids)}`
          : `${what} has no records of source ${selectors[0]}`,
    };
  }
  if (ids.length > 1)
    return {
      ok: false,
      error: `${what} is recorded by ${ids.length} Git sources: ${list(ids)}; choose one with --source <id|repo>`,
    };
  return { ok: true, ...(ids[0] ? { source: ids[0] } : {}) };
}

/** The sources a controller has recorded on a cluster, with their repository and path. */
export async function knownSources(cluster: ClusterPort): Promise<KnownSource[]> {
  const statuses: SourceStatus[] = await listSourceStatuses(cluster).catch(() => []);
  return statuses.map((s) => ({ id: sourceId(s.repo, s.path), repo: s.repo, path: s.path }));
}

/** The records of (app, env) on a cluster, resolved to one scope (see chooseSource). */
export async function resolveScope(
  cluster: ClusterPort,
  scope: { app: string; env: string },
  selectors: string[],
): Promise<{ ok: true; scope: RecordScope } | { ok: false; error: string }> {
  const selector =
    `${LABEL_KIND} in (state,history,hold,promotion),` +
    `ferry.dev/app=${scope.app},ferry.dev/environment=${scope.env}`;
  const records = await cluster.list('v1', 'ConfigMap', SYSTEM_NAMESPACE, selector);
  const recorded = records.map((cm) => cm.metadata.labels?.[LABEL_SOURCE]);
  const choice = chooseSource(scope, recorded, await knownSources(cluster), selectors);
  if (!choice.ok) return choice;
  return { ok: true, scope: { app: scope.app, env: scope.env, ...(choice.source ? { source: choice.source } : {}) } };
}
