/**
 * Promotion across environments from the command line: `ferry releases <app>` (each release × each
 * environment, in promotion order), `ferry approve <app> --env E` (the release waiting for approval there)
 * and `ferry promote <app> --to E` (the release its upstream runs, through the same gates unless --force).
 * The command line writes requests (ferry-approval records); the controller carries them out.
 */
import { userInfo } from 'node:os';
import type { EnvironmentConfig } from '../gitops/source/environments.js';
import { selectsApp } from '../gitops/source/app-selection.js';
import { promotionOrder } from '../gitops/source/promotion-policy.js';
import { verificationOf } from '../gitops/promotion/verification.js';
import {
  approve,
  emptyPromotion,
  type PromotionRecord,
  readPromotion,
  requestPromotion,
} from '../gitops/store/promotion-store.js';
import { listStates, readHistory, readState, type StateSummary } from '../gitops/store/release-store.js';
import { formatDurationMs } from '../util/duration.js';
import { EXIT_INVALID, EXIT_OK, formatTable, UsageError, type CliIO } from './io.js';
import { clusterOf, configOf, type ReleaseFlags, releaseOf } from './releases.js';

/** Who asked, as recorded with an approval or a promotion request. */
const who = (): string | undefined => {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
};

interface EnvView {
  env: string;
  from?: string;
  summary?: StateSummary;
  promotion: PromotionRecord;
  history: string[];
}

export interface ReleaseCell {
  state: string;
  detail?: string;
}

/**
 * The app's environments in promotion order: ferry.yaml's, or, where it lists none, those the controller
 * recorded for the app with the policies it applies (an app's own workflow: its deploy steps in order).
 */
async function environments(app: string, f: ReleaseFlags, io: CliIO): Promise<EnvironmentConfig[]> {
  const envs = configOf(f).environments;
  if (envs.length > 0) return promotionOrder(envs);
  const names = [
    ...new Set((await listStates(clusterOf(f, undefined))).filter((s) => s.app === app).map((s) => s.env)),
  ];
  if (names.length === 0)
    throw new UsageError(`no environments: ferry.yaml lists none (--config), and no release of ${app} is recorded`);
  const quiet: CliIO = { ...io, err: () => undefined };
  const recorded = await Promise.all(
    names.map(async (name): Promise<EnvironmentConfig> => {
      const found = await releaseOf(app, { ...f, env: name }, quiet).catch(() => undefined);
      const policy = found && (await readPromotion(found.cluster, found.scope))?.policy;
      return { name, ...(policy ? { promotion: policy } : {}) };
    }),
  );
  return promotionOrder(recorded);
}

async function viewOf(app: string, e: EnvironmentConfig, f: ReleaseFlags, io: CliIO): Promise<EnvView> {
  const quiet: CliIO = { ...io, err: () => undefined };
  const found = await releaseOf(app, { ...f, env: e.name }, quiet).catch(() => undefined);
  const base = { env: e.name, ...(e.promotion ? { from: e.promotion.from } : {}) };
  if (!found) return { ...base, promotion: emptyPromotion(), history: [] };
  const [state, promotion, history] = await Promise.all([
    readState(found.cluster, found.scope),
    readPromotion(found.cluster, found.scope),
    readHistory(found.cluster, found.scope),
  ]);
  return {
    ...base,
    ...(state?.summary ? { summary: state.summary } : {}),
    promotion: promotion ?? emptyPromotion(),
    history: history.map((r) => r.commit).filter((c): c is string => Boolean(c)),
  };
}

/** One environment's word on one release (the matrix's cell). */
export function cellOf(v: EnvView, commit: string, soakMs: number): ReleaseCell {
  const s = v.summary;
  const running = s && (s.newest ?? s.commit) === commit;
  if (running) {
    const ver = verificationOf(s, commit);
    if (ver.state === 'failed') return { state: 'failed', detail: ver.why };
    if (ver.state === 'deploying') {
      const rolling = s.status === 'applying' || s.status === 'delivering';
      return { state: 'deploying', detail: (rolling && wavesOf(s, commit)) || ver.why };
    }
    const soak = v.promotion.soak?.commit === commit ? v.promotion.soak : undefined;
    if (soak?.failed) return { state: 'failed', detail: soak.failed };
    if (soakMs > 0 && (soak?.servedMs ?? 0) < soakMs)
      return { state: 'soaking', detail: `${formatDurationMs(soak?.servedMs ?? 0)}/${formatDurationMs(soakMs)}` };
    return { state: 'verified' };
  }
  if (v.promotion.failed.includes(commit)) return { state: 'failed' };
  if (v.promotion.waiting?.commit === commit)
    return { state: v.promotion.waiting.state, detail: v.promotion.waiting.why };
  if (v.history.includes(commit) || v.promotion.history.some((h) => h.commit === commit))
    return { state: 'superseded' };
  return { state: '-' };
}

/** A release rolling out cluster by cluster: where each cluster is (`prod-eu verified, prod-us waiting`). */
function wavesOf(s: StateSummary, commit: string): string | undefined {
  if (!s.placements) return undefined;
  const at = (p: NonNullable<StateSummary['placements']>[number]) =>
    p.commit === commit ? 'verified' : p.rolling === commit ? 'rolling out' : 'waiting';
  return s.placements.map((p) => `${p.cluster} ${at(p)}`).join(', ');
}

export async function runReleases(app: string, f: ReleaseFlags, io: CliIO): Promise<number> {
  const all = await environments(app, f, io);
  const seen = await Promise.all(all.map((e) => viewOf(app, e, f, io)));
  // An environment whose `apps` does not take the app (by its name, the usual folder name), and that has no
  // record of it either, is not one of its environments.
  const theirs = all.map((e, i) => selectsApp(e, app) || !!seen[i]!.summary || seen[i]!.history.length > 0);
  const envs = all.filter((_, i) => theirs[i]);
  const views = seen.filter((_, i) => theirs[i]);
  if (views.every((v) => !v.summary && v.history.length === 0 && !v.promotion.waiting)) {
    io.err(`error: no releases of ${app} recorded in ${(envs.length ? envs : all).map((e) => e.name).join(', ')}\n`);
    return EXIT_INVALID;
  }
  // Newest first: the order the first environment's history has them, then any other.
  const commits: string[] = [];
  const add = (c: string | undefined) => c && !commits.includes(c) && commits.push(c);
  for (const v of views) {
    add(v.summary?.newest ?? v.summary?.commit);
    add(v.promotion.waiting?.commit);
    for (const c of v.history) add(c);
  }
  // The soak a release must serve in an environment: the longest its downstream environments ask.
  const soakOf = (env: string) =>
    Math.max(0, ...envs.filter((e) => e.promotion?.from === env).map((e) => e.promotion!.soakMs));
  const rows = commits.slice(0, 10).map((commit) => ({
    commit,
    cells: Object.fromEntries(views.map((v) => [v.env, cellOf(v, commit, soakOf(v.env))])),
  }));
  if (f.output === 'json') {
    io.out(`${JSON.stringify({ app, environments: views.map((v) => v.env), releases: rows }, null, 2)}\n`);
    return EXIT_OK;
  }
  const cell = (c: ReleaseCell) => (c.detail && c.state !== 'failed' ? `${c.state} ${c.detail}` : c.state);
  io.out(
    formatTable([
      ['RELEASE', ...views.map((v) => v.env.toUpperCase())],
      ...rows.map((r) => [r.commit.slice(0, 12), ...views.map((v) => cell(r.cells[v.env]!))]),
    ]),
  );
  return EXIT_OK;
}

/** The commit `--release` names (a prefix) among those known, or the default; undefined: reported. */
function pick(known: (string | undefined)[], wanted: string | undefined, fallback: string | undefined, io: CliIO) {
  if (wanted === undefined) return fallback;
  const hits = [...new Set(known.filter((c): c is string => c?.startsWith(wanted) === true))];
  if (hits.length === 1) return hits[0];
  io.err(`error: --release ${wanted} ${hits.length === 0 ? 'names no release known here' : 'is ambiguous'}\n`);
  return undefined;
}

export async function runApprove(app: string, f: ReleaseFlags & { release?: string }, io: CliIO): Promise<number> {
  const policy = (await environments(app, f, io)).find((e) => e.name === f.env)?.promotion;
  if (!policy?.approval)
    throw new UsageError(
      `--env ${f.env}: its promotion policy does not require approval (ferry promote moves a release)`,
    );
  const found = await releaseOf(app, f, io);
  if (!found) return EXIT_INVALID;
  const { env, cluster, scope } = found;
  const rec = (await readPromotion(cluster, scope)) ?? emptyPromotion();
  const waiting = rec.waiting?.commit;
  // A release waiting, promoted before, or run upstream (approved ahead: a held environment decides nothing yet).
  const upstream = await viewOf(app, { name: policy.from }, f, io);
  const upstreamCommits = [upstream.summary?.commit, ...upstream.history];
  const commit = pick([waiting, ...rec.history.map((h) => h.commit), ...upstreamCommits], f.release, waiting, io);
  if (!commit) {
    if (f.release === undefined) io.err(`error: no release of ${app} waits in ${env} (ferry releases ${app})\n`);
    return EXIT_INVALID;
  }
  await approve(cluster, scope, commit, f.actor ?? who());
  io.out(`approved release ${commit.slice(0, 12)} of ${app} for ${env}; the controller promotes it\n`);
  return EXIT_OK;
}

export async function runPromote(
  app: string,
  f: ReleaseFlags & { to: string; release?: string; force?: boolean },
  io: CliIO,
): Promise<number> {
  const envs = await environments(app, f, io);
  const target = envs.find((e) => e.name === f.to);
  if (!target?.promotion) throw new UsageError(`--to ${f.to}: that environment has no promotion policy`);
  const upstream = await viewOf(app, { name: target.promotion.from }, f, io);
  const running = upstream.summary?.commit;
  // Forced, any release an environment of the chain has seen (one that failed there, too).
  const others = f.force ? await Promise.all(envs.map((e) => viewOf(app, e, f, io))) : [];
  const seen = others.flatMap((v) => [v.summary?.newest, v.summary?.commit, ...v.history]);
  const commit = pick([running, ...upstream.history, ...seen], f.release, running, io);
  if (!commit) {
    if (f.release === undefined) io.err(`error: ${target.promotion.from} runs no release of ${app} yet\n`);
    return EXIT_INVALID;
  }
  if (commit !== running && !f.force) {
    io.err(
      `error: ${target.promotion.from} does not run ${commit.slice(0, 12)} ` +
        `(it runs ${running?.slice(0, 12) ?? 'none'}): only what it runs passes the gates; ` +
        '--force promotes it anyway\n',
    );
    return EXIT_INVALID;
  }
  const found = await releaseOf(app, { ...f, env: f.to }, io);
  if (!found) return EXIT_INVALID;
  await requestPromotion(found.cluster, found.scope, commit, f.force === true, f.actor ?? who());
  io.out(
    `asked the controller to promote release ${commit.slice(0, 12)} of ${app} into ${f.to}` +
      `${f.force ? ' (forced: past its gates, recorded as forced)' : ' (through its gates)'}\n`,
  );
  return EXIT_OK;
}
