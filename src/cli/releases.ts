/**
 * `ferry status` (all apps), `ferry history`, `ferry rollback`, `ferry resume`: the records in the
 * cluster. Records are scoped by Git source; an app that two sources declare needs `--source`.
 */
import { isAbsolute, resolve } from 'node:path';
import { type FerryConfig, loadFerryConfig } from '../gitops/source/environments.js';
import type { KubeCluster } from '../kube/kube-cluster.js';
import type { ClusterPort } from '../ports/cluster.js';
import type { RecordScope } from '../gitops/store/record-names.js';
import { knownSources, resolveScope, selects } from '../gitops/release/release-lookup.js';
import {
  appendRevision,
  listSourceStatuses,
  listStates,
  placeHold,
  readHistory,
  readHold,
  readState,
  releaseHold,
  writeState,
  type Revision,
  type StateSummary,
} from '../gitops/store/release-store.js';
import { applyToPlacements } from '../gitops/release/placements.js';
import { EXIT_INVALID, EXIT_OK, formatTable, ProblemsError, UsageError, type CliIO } from './io.js';
import { openCluster } from './cluster-access.js';

export interface ReleaseFlags {
  env?: string;
  config?: string;
  kubeconfig?: string;
  context?: string;
  output?: string;
  /** A Git source: its id (or a prefix), or its repository URL or path. */
  source?: string;
  /** ferry.yaml as already read (`ferry serve`'s, at the commit it reconciles), instead of --config. */
  ferryConfig?: FerryConfig;
  /** Who asks, as the records keep it (default: the user's name); `ferry serve`'s dashboard says "dashboard". */
  actor?: string;
  /**
   * The cluster of an environment (and of one of its placements), as the caller opens it: `ferry serve`'s
   * dashboard uses the controller's own (in-cluster credentials, the same contexts); default: the flags'.
   */
  cluster?: (env: string | undefined, placement?: string) => KubeCluster;
  /**
   * The cluster an environment's app objects are written on, when not `cluster`: `ferry serve`'s dashboard acts
   * as the environment's tenant (ferry.yaml `serviceAccount`, impersonated), as the controller itself does.
   */
  appCluster?: (env: string | undefined, placement?: string) => KubeCluster;
}

/** ferry.yaml: as given, or read from --config (the working directory's by default). */
export const configOf = (f: ReleaseFlags): FerryConfig => f.ferryConfig ?? loadFerryConfig(f.config);

/** The --source value, and its absolute form when it is a relative path (as `ferry serve --repo` records it). */
const selectorsOf = (f: ReleaseFlags): string[] =>
  f.source === undefined
    ? []
    : [f.source, ...(/^[a-z]+:\/\//.test(f.source) || isAbsolute(f.source) ? [] : [resolve(f.source)])];

/** The records of app/env: of the one source that has them, or of --source. */
async function scopeOf(
  cluster: KubeCluster,
  app: string,
  env: string,
  f: ReleaseFlags,
  io: CliIO,
): Promise<RecordScope | undefined> {
  const r = await resolveScope(cluster, { app, env }, selectorsOf(f));
  if (r.ok) return r.scope;
  io.err(`error: ${r.error}\n`);
  return undefined;
}

/**
 * The cluster of an environment (or of the flags); a missing or broken kubeconfig is a located problem, not a crash.
 */
export function clusterOf(f: ReleaseFlags, env: string | undefined): KubeCluster {
  if (f.cluster) return f.cluster(env);
  const configured = env ? configOf(f).environments.find((e) => e.name === env) : undefined;
  const opened = openCluster(configured?.kubeconfig ?? f.kubeconfig, configured?.context ?? f.context);
  if (!opened.ok) throw new ProblemsError(opened.problems);
  return opened.value;
}

export function age(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 120
    ? `${s}s`
    : s < 7200
      ? `${Math.round(s / 60)}m`
      : s < 172800
        ? `${Math.round(s / 3600)}h`
        : `${Math.round(s / 86400)}d`;
}

/** Every app × environment the controller records: commit, state, health, hold, last error, age. */
export async function runStatusAll(f: ReleaseFlags, io: CliIO): Promise<number> {
  const envs = configOf(f).environments;
  const clusters =
    envs.length > 0
      ? [...new Map(envs.map((e) => [`${e.kubeconfig ?? ''}|${e.context ?? ''}`, clusterOf(f, e.name)])).values()]
      : [clusterOf(f, undefined)];
  let states = (await Promise.all(clusters.map((c) => listStates(c)))).flat().filter((s) => !f.env || s.env === f.env);
  if (f.source !== undefined) {
    const known = (await Promise.all(clusters.map((c) => knownSources(c)))).flat();
    const selectors = selectorsOf(f);
    states = states.filter(
      (s) =>
        s.source !== undefined &&
        selectors.some((sel) => selects(sel, known.find((k) => k.id === s.source) ?? { id: s.source! })),
    );
  }
  states.sort(
    (a, b) =>
      a.app.localeCompare(b.app) || a.env.localeCompare(b.env) || (a.source ?? '').localeCompare(b.source ?? ''),
  );
  if (f.output === 'json') {
    io.out(`${JSON.stringify(states, null, 2)}\n`);
    return EXIT_OK;
  }
  // The Git sources the controllers follow: a failing one explains why nothing moves.
  const sources = (await Promise.all(clusters.map((c) => listSourceStatuses(c).catch(() => [])))).flat();
  for (const src of sources) {
    const where = `${src.repo}${src.path && src.path !== '.' ? ` (${src.path})` : ''}`;
    io.out(
      src.error
        ? `source ${where}: FAILING for ${age(src.since)}, the cluster keeps the last synced state: ` +
            `${src.error.split('\n')[0]!.slice(0, 200)}\n`
        : `source ${where}: at ${src.commit?.slice(0, 12) ?? '-'} (seen ${age(src.since)} ago)\n`,
    );
  }
  if (sources.length > 0) io.out('\n');
  if (states.length === 0) {
    io.out('no apps recorded yet (is `ferry serve` running against this cluster?)\n');
    return EXIT_OK;
  }
  io.out(formatTable(statusTable(states)));
  return EXIT_OK;
}

/** The rows of `ferry status`; a SOURCE column when the apps come from more than one Git source. */
export function statusTable(states: StateSummary[], now = Date.now()): string[][] {
  const oneLine = (s: string | undefined) => (s ? s.split('\n')[0]!.slice(0, 100) : '');
  const bySource = new Set(states.map((s) => s.source ?? '-')).size > 1;
  const commit = (s: StateSummary) => {
    const waiting = s.status === 'held' && s.newest && s.newest !== s.commit;
    return `${s.commit?.slice(0, 12) ?? '-'}${waiting ? ` (held; newest ${s.newest!.slice(0, 12)})` : ''}`;
  };
  const state = (s: StateSummary) =>
    s.status === 'delivering' && deliveryLine(s)
      ? deliveryLine(s)!
      : s.status === 'failed' && s.waitingFor
        ? `failed (waiting for ${s.waitingFor})`
        : s.status === 'synced' && standingLines(s).length > 0
          ? `synced (${standingLines(s).join('; ')})`
          : s.status;
  const head = [
    'APP',
    'ENV',
    'COMMIT',
    'STATE',
    'HEALTH',
    'HOLD',
    'AGE',
    ...(bySource ? ['SOURCE'] : []),
    'LAST ERROR',
  ];
  // A release on several clusters: a row per cluster under it, with the commit that cluster runs.
  const placementRows = (s: StateSummary) =>
    (s.placements ?? []).map((p) => [
      '',
      `└ ${p.cluster}`,
      p.commit?.slice(0, 12) ?? '-',
      p.rolling ? `rolling out ${p.rolling.slice(0, 12)}` : 'running',
      ...head.slice(4).map(() => ''),
    ]);
  return [
    head,
    ...states.flatMap((s) => [
      [
        s.app,
        s.env,
        commit(s),
        state(s),
        s.health ?? '-',
        s.hold ? 'yes' : '-',
        age(s.updatedAt, now),
        ...(bySource ? [s.source ?? '-'] : []),
        s.status === 'synced' ? '' : oneLine(lastErrorText(s)),
      ],
      ...placementRows(s),
    ]),
  ];
}

/**
 * The LAST ERROR cell: the error of the commit the release is at (its records drop an earlier commit's), with
 * that commit when the COMMIT column shows another one (a held release's running commit).
 */
function lastErrorText(s: StateSummary): string | undefined {
  if (!s.lastError) return undefined;
  const other = s.lastErrorCommit !== undefined && s.lastErrorCommit !== s.commit;
  return `${other ? `at ${s.lastErrorCommit!.slice(0, 12)}: ` : ''}${s.lastError}`;
}

const needEnv = (f: ReleaseFlags): string => {
  if (!f.env) throw new UsageError('--env is required');
  return f.env;
};

/** The release an app × --env names, on the cluster of its environment (undefined: reported). */
export async function releaseOf(app: string, f: ReleaseFlags, io: CliIO) {
  const env = needEnv(f);
  const cluster = clusterOf(f, env);
  const scope = await scopeOf(cluster, app, env, f, io);
  return scope ? { env, cluster, scope } : undefined;
}

export async function runHistory(app: string, f: ReleaseFlags, io: CliIO): Promise<number> {
  const found = await releaseOf(app, f, io);
  if (!found) return EXIT_INVALID;
  const { env, cluster, scope } = found;
  const history = await readHistory(cluster, scope);
  if (f.output === 'json') {
    io.out(
      `${JSON.stringify(
        history.map(({ placements, ...r }) => ({
          ...r,
          objects: placements?.reduce((n, p) => n + p.objects.length, 0) ?? 0,
        })),
        null,
        2,
      )}\n`,
    );
    return EXIT_OK;
  }
  if (history.length === 0) {
    io.err(`no history for ${app} in ${env}\n`);
    return EXIT_INVALID;
  }
  io.out(
    formatTable([
      ['REVISION', 'COMMIT', 'OUTCOME', 'ATTEMPTS', 'TIME', 'SPEC', 'MANIFESTS', 'MESSAGE'],
      ...history.map((r) => [
        String(r.revision),
        r.commit.slice(0, 12),
        `${r.outcome}${r.reason ? ` (${r.reason})` : ''}`,
        String(r.attempts),
        r.time,
        r.specDigest.slice(0, 12),
        r.manifestDigest?.slice(0, 12) ?? '-',
        r.message.split('\n')[0]!.slice(0, 100),
      ]),
    ]),
  );
  return EXIT_OK;
}

/** The revision to go back to: --to, or the newest good one before what is deployed now. */
export function rollbackTarget(history: Revision[], to: number | undefined): Revision | string {
  const good = history.filter((r) => r.outcome !== 'Failed' && r.placements);
  if (to !== undefined) {
    const r = history.find((h) => h.revision === to);
    if (!r) return `revision ${to} is not in the history (${history.map((h) => h.revision).join(', ')})`;
    if (!good.includes(r))
      return `revision ${to} did not sync (${r.outcome}); only good revisions keep their manifests`;
    return r;
  }
  const target = history[0] && good[0] === history[0] ? good[1] : good[0];
  return target ?? 'no earlier good revision to roll back to';
}

export async function runRollback(app: string, f: ReleaseFlags & { to?: string }, io: CliIO): Promise<number> {
  const env = needEnv(f);
  const cluster = clusterOf(f, env);
  const to = f.to === undefined ? undefined : Number(f.to);
  if (to !== undefined && !Number.isInteger(to)) throw new UsageError(`--to must be a revision number, not "${f.to}"`);
  const scope = await scopeOf(cluster, app, env, f, io);
  if (!scope) return EXIT_INVALID;
  const target = rollbackTarget(await readHistory(cluster, scope), to);
  if (typeof target === 'string') {
    io.err(`error: ${app}/${env}: ${target}\n`);
    return EXIT_INVALID;
  }
  // Every placement's cluster opens before anything is written (a bad kubeconfig is a located error).
  const configured = configOf(f).environments.find((e) => e.name === env);
  const others = new Map<string, ClusterPort>();
  const apps = new Map<string, ClusterPort>();
  for (const p of target.placements!) {
    if (f.appCluster && !apps.has(p.cluster)) apps.set(p.cluster, f.appCluster(env, p.cluster));
    if (p.cluster === 'local' || others.has(p.cluster)) continue;
    if (f.cluster) {
      others.set(p.cluster, f.cluster(env, p.cluster));
      continue;
    }
    const opened = openCluster(configured?.kubeconfig ?? f.kubeconfig, p.cluster);
    if (!opened.ok) throw new ProblemsError(opened.problems);
    others.set(p.cluster, opened.value);
  }
  const state = await readState(cluster, scope);
  const reason =
    `rollback to revision ${target.revision} (commit ${target.commit.slice(0, 12)}) by ferry rollback` +
    `${f.actor ? ` (${f.actor})` : ''}`;
  // The hold first, so the controller does not re-apply the newer commit while this runs.
  await placeHold(cluster, scope, {
    reason,
    since: new Date().toISOString(),
    ...(state.summary?.specDigest ? { specDigest: state.summary.specDigest } : {}),
    revision: target.revision,
    commit: target.commit,
  });
  const recordsOf = (c: string) => others.get(c) ?? cluster;
  const applied = await applyToPlacements(scope, target.placements!, (c) => apps.get(c) ?? recordsOf(c), {
    recordsOf,
  });
  for (const { cluster: c, result: r } of applied.results) {
    const requests = `${r.writes} write request${r.writes === 1 ? '' : 's'}`;
    io.out(`${c === 'local' ? '' : `[${c}] `}${r.ok ? 'applied' : 'failed'}: ${requests}\n`);
  }
  for (const e of applied.errors) io.err(`error: ${e}\n`);
  if (!applied.ok) return EXIT_INVALID;
  const rev = await appendRevision(cluster, scope, {
    commit: target.commit,
    specDigest: target.specDigest,
    ...(target.manifestDigest ? { manifestDigest: target.manifestDigest } : {}),
    placements: target.placements!,
    time: new Date().toISOString(),
    outcome: 'RolledBack',
    reason: 'Rollback',
    message: reason,
  });
  if (state.summary) {
    // The commit running is the one rolled back to; the machine's commit waits for the hold to end.
    const newest = state.summary.newest ?? state.summary.commit;
    await writeState(cluster, scope, state.snapshot, {
      ...state.summary,
      waitingFor: undefined,
      status: 'held',
      hold: reason,
      commit: target.commit,
      ...(newest && newest !== target.commit ? { newest } : {}),
      // Every cluster of the release runs the revision rolled back to.
      ...(state.summary.placements
        ? { placements: state.summary.placements.map((p) => ({ cluster: p.cluster, commit: target.commit })) }
        : {}),
      updatedAt: new Date().toISOString(),
    });
  }
  io.out(
    `rolled back ${app}/${env} to revision ${target.revision} (recorded as revision ${rev.revision}); ` +
      `held until a newer commit changes the app or \`ferry resume ${app} --env ${env}\`\n`,
  );
  return EXIT_OK;
}

export async function runResume(app: string, f: ReleaseFlags, io: CliIO): Promise<number> {
  const found = await releaseOf(app, f, io);
  if (!found) return EXIT_INVALID;
  const { env, cluster, scope } = found;
  const hold = await readHold(cluster, scope);
  if (!(await releaseHold(cluster, scope))) {
    io.err(`${app}/${env} is not held\n`);
    return EXIT_INVALID;
  }
  io.out(
    `resumed ${app}/${env} (was held: ${hold?.reason ?? 'unknown'}); the controller syncs it to the newest commit\n`,
  );
  return EXIT_OK;
}

/** What a synced release's standing traits say (an slo: `slo p99 ≤ 200 ms met (143 ms), 9 replicas`). */
function standingLines(s: StateSummary): string[] {
  return (s.traits ?? []).filter((t) => t.standing && t.status).map((t) => t.status!);
}

/**
 * What a delivering release's runtime trait says (`progressing 2/4 (weight 50)`): the one still running, with its
 * cluster on a release that has several.
 */
function deliveryLine(s: StateSummary): string | undefined {
  const running = (s.traits ?? []).filter((t) => t.commit === s.commit && t.status);
  const t = running.find((t) => !t.outcome) ?? running.at(-1);
  return t && (t.placement ? `[${t.placement}] ${t.status}` : t.status);
}
