/**
 * What a release records when its machine comes to rest: a Synced or Failed revision with an Event and
 * metrics, the automatic rollback (re-apply the newest good revision and hold) when enabled, and a drift
 * check's verdict (heal, or report once per drift for apps that opted out).
 */
import type { ReconcileContext, PlanOutput } from './machine.js';
import { recordEvent } from './events.js';
import type { Logger } from './telemetry.js';
import { appCluster, type ReconcileOptions } from './options.js';
import { driftText } from '../sync/drift.js';
import { applyToPlacements } from '../release/placements.js';
import type { Release } from './release.js';
import { appendRevision, placeHold, readHistory, type Revision } from '../store/release-store.js';
import { tookCommit, verifiedOrStale } from '../release/waves.js';
import { placeAll, setPlacement } from './placement-states.js';

export interface RecordDeps {
  options: Pick<ReconcileOptions, 'clusterFor' | 'appClusterFor' | 'log' | 'metrics'>;
}

export async function recordSynced(d: RecordDeps, r: Release, ctx: ReconcileContext, log: Logger): Promise<void> {
  const cluster = d.options.clusterFor(r.config, 'local');
  const rendered = r.rendered;
  // What the runtime traits promoted for this commit (a canary's steps and analysis runs).
  const delivered = r.delivered;
  const promoted = delivered && delivered.commit === ctx.revision ? delivered.promoted : [];
  const message = r.healing
    ? 'drift corrected: synced and healthy'
    : promoted.length > 0
      ? `${promoted.join('; ')}: synced and healthy`
      : 'synced and healthy';
  r.healing = false;
  r.stable = undefined;
  if (rendered) await pruneDroppedClusters(d, r, rendered.placements, log);
  const rev = await appendRevision(cluster, r, {
    commit: ctx.revision!,
    specDigest: r.spec?.digest ?? '',
    ...(rendered ? { manifestDigest: rendered.manifestDigest, placements: rendered.placements } : {}),
    time: new Date().toISOString(),
    outcome: 'Synced',
    message,
  });
  if (r.startedAt)
    d.options.metrics.reconcileDuration.observe(
      { app: r.app, env: r.env, result: 'synced' },
      (Date.now() - r.startedAt) / 1000,
    );
  log.info({ revision: rev.revision }, 'synced');
  if (rendered)
    await recordEvent(cluster, {
      app: r.app,
      env: r.env,
      namespace: rendered.namespace,
      type: 'Normal',
      reason: 'Synced',
      message: `revision ${rev.revision} (commit ${ctx.revision!.slice(0, 12)}) ${message}`,
    }).catch((e) => log.warn({ err: (e as Error).message }, 'cannot record an Event'));
}

export async function recordFailed(d: RecordDeps, r: Release, ctx: ReconcileContext, log: Logger): Promise<void> {
  const cluster = d.options.clusterFor(r.config, 'local');
  const failure = ctx.failure!;
  r.healing = false;
  d.options.metrics.failures.inc({ app: r.app, env: r.env, reason: failure.reason });
  if (r.startedAt)
    d.options.metrics.reconcileDuration.observe(
      { app: r.app, env: r.env, result: 'failed' },
      (Date.now() - r.startedAt) / 1000,
    );
  const rev = await appendRevision(cluster, r, {
    commit: ctx.revision ?? '',
    specDigest: r.spec?.digest ?? '',
    ...(r.rendered?.commit === ctx.revision ? { manifestDigest: r.rendered!.manifestDigest } : {}),
    time: new Date().toISOString(),
    outcome: 'Failed',
    reason: failure.reason,
    message: failure.message,
  });
  log.error(
    { revision: rev.revision, reason: failure.reason, err: failure.message, attempts: ctx.attempts },
    'reconcile failed',
  );
  const namespace = r.namespace ?? r.config?.namespace ?? 'default';
  await recordEvent(cluster, {
    app: r.app,
    env: r.env,
    namespace,
    type: 'Warning',
    reason: failure.reason,
    message: failure.message,
  }).catch((e) => log.warn({ err: (e as Error).message }, 'cannot record an Event'));
  r.stable = undefined;
  const delivered = r.delivered;
  const aborted = delivered && delivered.commit === ctx.revision ? delivered.aborted : undefined;
  if (failure.reason === 'DeliveryFailed' && aborted?.hold && ctx.revision) {
    // A runtime trait aborted (a canary): the stable version never changed. Held on this commit, so it
    // is not retried until a newer commit touches the app (or ferry resume).
    const reason = `${aborted.trait} aborted at commit ${ctx.revision.slice(0, 12)}: ${aborted.reason}`;
    // The clusters of earlier waves verified the commit, or an older commit's wave left them mid-way: they go back.
    const verified = verifiedOrStale(r.placements ?? [], ctx.revision);
    if (verified.length > 0) await rollBack(d, r, ctx, verified, log);
    // Every cluster runs the last good commit now: those rolled back, the aborting one (its trait kept it), the rest.
    if (ctx.lastGood) placeAll(r, ctx.lastGood);
    else for (const p of r.placements ?? []) setPlacement(r, p.cluster, { rolling: undefined });
    await placeHold(cluster, r, {
      reason,
      since: new Date().toISOString(),
      specDigest: r.spec?.digest,
      ...(ctx.lastGood ? { commit: ctx.lastGood } : {}),
    });
    r.heldCommit = ctx.lastGood;
    r.actor?.send({ type: 'HOLD', reason });
    return;
  }
  if (!['ApplyFailed', 'DeliveryFailed', 'HealthCheckFailed'].includes(failure.reason) || !autoRollback(r)) return;
  // A release on several clusters: only those that took the commit go back (a wave stopped before the others).
  const good = await rollBack(d, r, ctx, r.placements ? tookCommit(r.placements, ctx.revision ?? '') : undefined, log);
  if (!good) return;
  await placeHold(cluster, r, {
    reason: `automatic rollback to revision ${good.revision} after ${failure.reason}`,
    since: new Date().toISOString(),
    specDigest: r.spec?.digest,
    revision: good.revision,
    commit: good.commit,
  });
  r.heldCommit = good.commit;
  await appendRevision(cluster, r, {
    commit: good.commit,
    specDigest: good.specDigest,
    ...(good.manifestDigest ? { manifestDigest: good.manifestDigest } : {}),
    placements: good.placements!,
    time: new Date().toISOString(),
    outcome: 'RolledBack',
    reason: 'AutoRollback',
    message: `rolled back to revision ${good.revision} after ${failure.reason}`,
  });
  log.warn({ to: good.revision }, 'rolled back automatically; held until a newer commit or ferry resume');
  r.actor?.send({ type: 'HOLD', reason: `automatic rollback to revision ${good.revision} after ${failure.reason}` });
}

/**
 * The clusters the newest good revision placed the app on and this one no longer does (its topology dropped
 * them): the app's objects there are deleted (as for an app Git removed; not with `pruneRemovedApps: false`).
 */
async function pruneDroppedClusters(
  d: RecordDeps,
  r: Release,
  placements: readonly { cluster: string }[],
  log: Logger,
): Promise<void> {
  const cfg = r.spec?.layout.config;
  if (cfg?.ok && !cfg.value.defaults.pruneRemovedApps) return;
  const before = (await readHistory(d.options.clusterFor(r.config, 'local'), r)).find(
    (h) => h.outcome !== 'Failed' && h.placements,
  );
  const dropped = (before?.placements ?? []).filter((p) => !placements.some((q) => q.cluster === p.cluster));
  if (dropped.length === 0) return;
  const result = await applyToPlacements(
    r,
    dropped.map((p) => ({ cluster: p.cluster, objects: [] })),
    (c) => appCluster(d.options, r.config, c),
    { allowEmpty: true, recordsOf: (c) => d.options.clusterFor(r.config, c) },
  );
  const clusters = dropped.map((p) => p.cluster);
  if (result.ok) log.info({ clusters }, 'pruned the clusters the topology no longer places the app on');
  else log.error({ clusters, err: result.errors.join('; ') }, 'cannot prune the clusters the topology dropped');
}

/**
 * Re-applies the newest good revision (before `ctx.revision`) on the given clusters (all: undefined); returns
 * it, or nothing when there is none or it failed (logged).
 */
async function rollBack(
  d: RecordDeps,
  r: Release,
  ctx: ReconcileContext,
  clusters: string[] | undefined,
  log: Logger,
): Promise<Revision | undefined> {
  const good = (await readHistory(d.options.clusterFor(r.config, 'local'), r)).find(
    (h) => h.outcome !== 'Failed' && h.placements && h.commit !== ctx.revision,
  );
  if (!good) {
    log.warn({}, 'automatic rollback: no earlier good revision');
    return undefined;
  }
  const placements = good.placements!.filter((p) => clusters === undefined || clusters.includes(p.cluster));
  const result = await applyToPlacements(r, placements, (c) => appCluster(d.options, r.config, c), {
    recordsOf: (c) => d.options.clusterFor(r.config, c),
  });
  if (!result.ok) {
    log.error({ err: result.errors.join('; ') }, 'automatic rollback failed');
    return undefined;
  }
  for (const p of placements) setPlacement(r, p.cluster, { commit: good.commit, rolling: undefined });
  if (clusters) log.warn({ to: good.revision, clusters }, 'rolled back the clusters that took the commit');
  return good;
}

function autoRollback(r: Release): boolean {
  const ann = r.rendered?.app.app.metadata.annotations?.['ferry.dev/auto-rollback'];
  if (ann !== undefined) return ann === 'true';
  const cfg = r.spec?.layout.config;
  return cfg?.ok === true && cfg.value.defaults.autoRollback;
}

/** A drift check's verdict: heal (the default) or, for apps that opted out, report once per drift. */
export async function reportDrift(
  d: RecordDeps,
  r: Release,
  rendered: NonNullable<Release['rendered']>,
  drift: string[],
): Promise<PlanOutput> {
  if (drift.length === 0) {
    r.drift = undefined;
    return { changes: 0 };
  }
  const heal = rendered.app.app.metadata.annotations?.['ferry.dev/self-heal'] !== 'false';
  const text = driftText(drift);
  d.options.metrics.drift.inc({ app: r.app, env: r.env, healed: String(heal) });
  if (heal) {
    r.healing = true;
    d.options.log.warn(
      { app: r.app, env: r.env, commit: rendered.commit, drift },
      'drift detected; re-applying the synced revision',
    );
  } else if (r.drift !== text) {
    r.drift = text;
    d.options.log.warn(
      { app: r.app, env: r.env, commit: rendered.commit, drift },
      'drift detected; not corrected (ferry.dev/self-heal is "false")',
    );
    await recordEvent(d.options.clusterFor(r.config, 'local'), {
      app: r.app,
      env: r.env,
      namespace: rendered.namespace,
      type: 'Warning',
      reason: 'OutOfSync',
      message: `the cluster differs from revision ${rendered.commit.slice(0, 12)}: ${text}`,
    }).catch(() => undefined);
  }
  return { changes: drift.length, heal };
}
