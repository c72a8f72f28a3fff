/**
 * What a commit declares, as the controller takes it: the releases of one app folder (each app in it × its
 * environments), and what becomes of the releases it no longer declares — removed, unless the read may be
 * incomplete (a broken ferry.yaml, a commit without any app folder) or ferry.yaml says to leave them.
 */
import type { MetricsSourceConfig } from '../../config/metrics-source.js';
import type { Result } from '../../oam/errors.js';
import type { Application } from '../../oam/model/application.js';
import { deployStages } from '../../oam/policies/environment.js';
import type { PromotionPolicy } from '../source/promotion-policy.js';
import { environmentsOf } from '../release/release-render.js';
import type { Release } from '../reconcile/release.js';
import type { Removable } from '../reconcile/release-removal.js';
import type { Removals } from '../reconcile/removals.js';
import type { Logger } from '../reconcile/telemetry.js';
import type { EnvironmentConfig, FerryConfig } from '../source/environments.js';
import { selectsApp } from '../source/app-selection.js';
import type { AppFolder, LoadedAppFolder, RepoLayout } from '../source/repo-layout.js';

export interface ReleasePair {
  app: string;
  env: string;
  config?: EnvironmentConfig;
  metrics?: MetricsSourceConfig;
}

/**
 * The releases of one folder: each app in it × its environments (those of ferry.yaml that select the folder);
 * a broken folder (or ferry.yaml) keeps the ones it had, or is reported under the folder's name in every
 * environment that selects it.
 */
export function releasePairs(
  folder: AppFolder,
  result: Result<LoadedAppFolder>,
  known: readonly Release[],
  config: FerryConfig | undefined,
): ReleasePair[] {
  const envConfig = (env: string) => {
    const c = config?.environments.find((e) => e.name === env);
    const metrics = c?.metrics ?? config?.metrics;
    return { ...(c ? { config: c } : {}), ...(metrics ? { metrics } : {}) };
  };
  const selecting = (config?.environments ?? []).filter((e) => selectsApp(e, folder.name));
  // A broken ferry.yaml (config undefined) keeps the releases it had, with their settings (promotions go on).
  if (result.ok && (config || known.length === 0))
    return result.value.apps.flatMap((a) => {
      const own = config && config.environments.length === 0 ? appChain(a.app) : undefined;
      // Environments in ferry.yaml, none of which selects this folder: the app goes nowhere.
      const envs = config?.environments.length ? selecting.map((e) => e.name) : environmentsOf(a, []);
      return envs.map((env) => {
        const promotion = own?.get(env);
        return {
          app: a.app.metadata.name,
          env,
          ...envConfig(env),
          ...(promotion ? { config: { name: env, promotion, fromWorkflow: true as const } } : {}),
        };
      });
    });
  if (known.length > 0) return known.map((r) => ({ app: r.app, env: r.env, config: r.config, metrics: r.metrics }));
  return (config?.environments.length ? selecting.map((e) => e.name) : ['default']).map((env) => ({
    app: folder.name,
    env,
    ...envConfig(env),
  }));
}

/**
 * The promotion chain an app's own workflow declares (no environments in ferry.yaml): each deploy step after
 * the first is promoted from the one before it once that verified the revision, `auto: false` (or a `suspend`
 * step) waiting for `ferry approve`, as KubeVela's sequential deploy steps do.
 */
function appChain(app: Application): Map<string, PromotionPolicy> {
  return new Map(
    deployStages(app).flatMap((s) =>
      s.after === undefined
        ? []
        : [[s.env, { from: s.after, auto: !s.approval, approval: s.approval, soakMs: s.soakMs ?? 0 }]],
    ),
  );
}

/** Removes the releases a commit no longer declares, unless its read may be incomplete or ferry.yaml says not to. */
export function retireUndeclared(o: {
  gone: Release[];
  recorded: Removable[];
  config: FerryConfig | undefined;
  layout: RepoLayout;
  log: Logger;
  removals: Removals;
}): void {
  const { config, layout, log } = o;
  let { gone, recorded } = o;
  if (gone.length + recorded.length === 0) return;
  // An environment whose `apps` select no folder at all (a typo, a rename): its releases are kept, not pruned.
  const empty = new Set(
    (config?.environments ?? [])
      .filter((e) => e.apps && layout.apps.length > 0 && !layout.apps.some((f) => selectsApp(e, f.name)))
      .map((e) => e.name),
  );
  if (empty.size > 0) {
    const kept = [...gone, ...recorded].filter((r) => empty.has(r.env)).map((r) => `${r.app}/${r.env}`);
    if (kept.length > 0)
      log.error(
        { commit: layout.commit, environments: [...empty], releases: kept },
        "an environment's apps select no app folder: its releases are left as they are; nothing was pruned",
      );
    gone = gone.filter((r) => !empty.has(r.env));
    recorded = recorded.filter((r) => !empty.has(r.env));
    if (gone.length + recorded.length === 0) return;
  }
  const names = [...gone, ...recorded].map((r) => `${r.app}/${r.env}`);
  // Never prune on a read that may be incomplete: a broken ferry.yaml, or a commit with no app at all.
  if (!config)
    log.error(
      { commit: layout.commit, releases: names },
      'ferry.yaml is invalid: releases no longer declared are left as they are',
    );
  else if (layout.apps.length === 0)
    log.error(
      { commit: layout.commit, releases: names },
      'no app folder in this commit: refusing to remove every app at once; nothing was pruned',
    );
  else if (!config.defaults.pruneRemovedApps)
    log.warn(
      { commit: layout.commit, releases: names },
      'no longer declared; left in the cluster (defaults.pruneRemovedApps is false)',
    );
  else {
    for (const r of gone) o.removals.retire(r, layout.commit);
    for (const r of recorded) o.removals.remove(r, layout.commit);
  }
}
