/**
 * Promotion across environments at work in the controller. An environment with a `promotion` policy
 * renders the release promoted into it (its commit's app folder), never Git HEAD; after each poll, every
 * environment of a chain advances the soak of the release it runs (verification.ts), and each promoted
 * environment decides whether the release its upstream runs moves in (decide.ts): the promotion is recorded
 * (ferry-promotion.<source>.<app>.<env>), an Event says so, and the release reconciles the new spec. The
 * command line's approvals and `ferry promote` requests are watched (ferry-approval records): one is decided
 * on at once (the controller polls), not at the next interval.
 */
import type { ClusterPort } from '../../ports/cluster.js';
import type { EnvironmentConfig } from '../source/environments.js';
import type { GitSource } from '../source/git-source.js';
import { DEFAULT_LIMITS, type ListingCache, loadAppFolder, readLayout } from '../source/repo-layout.js';
import { type PromotionPolicy, promotionOrder } from '../source/promotion-policy.js';
import { decidePromotion, type PromotionDecision } from '../promotion/decide.js';
import { advanceSoak, verificationOf } from '../promotion/verification.js';
import {
  clearPromotionRequest,
  emptyPromotion,
  type PromotionRecord,
  type ApprovalRecord,
  type Soak,
  readPromotion,
  writePromotion,
} from '../store/promotion-store.js';
import { recordEvent } from '../reconcile/events.js';
import type { SourceRecords } from '../store/record-watch.js';
import type { ReleaseLifecycle } from '../reconcile/lifecycle.js';
import { type Release, releaseKey, type Spec, currentSummary, specLayout } from '../reconcile/release.js';
import type { Logger } from '../reconcile/telemetry.js';

export interface PromotionDeps {
  source: GitSource;
  path: string;
  listingCache: ListingCache;
  clusterFor: (env: EnvironmentConfig | undefined, placementCluster: string) => ClusterPort;
  log: Logger;
  releases: Map<string, Release>;
  lifecycle: ReleaseLifecycle;
  /** The approval records (`ferry approve`, `ferry promote`), watched per cluster. */
  approvals: SourceRecords<ApprovalRecord>;
  /** The longest gap between two looks that still counts as soak time served (the controller was there). */
  maxSoakStepMs: number;
  now?: () => number;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export class Promotions {
  private readonly records = new Map<string, PromotionRecord>();
  private readonly specs = new Map<string, Promise<Spec | undefined>>();
  /** The releases that had a promotion policy at the last tick. */
  private promoted = new Set<string>();
  /** Per release, the `ferry promote` request answered last (by its time). */
  private readonly cleared = new Map<string, string>();
  /** The soak last written per release (the in-memory one runs ahead between writes). */
  private readonly written = new Map<string, Soak | undefined>();
  /** Promotion writes under way, with their app. */
  private readonly writing = new Map<Promise<unknown>, string>();

  constructor(private readonly d: PromotionDeps) {}

  /**
   * The spec a promoted environment renders: its promoted release's (none before the first promotion, or when
   * its record cannot be read now: it waits, and the next poll asks again).
   */
  async specFor(r: Release): Promise<Spec | undefined> {
    try {
      const current = (await this.recordOf(r)).current;
      return current ? await this.specAt(current.commit, r.folder) : undefined;
    } catch (e) {
      this.d.log.warn({ app: r.app, env: r.env, err: (e as Error).message }, 'promotion: cannot read its record');
      return undefined;
    }
  }

  /** Forgets what is cached of some apps' releases (their shard moved to another replica, or back here). */
  forget(apps: (app: string) => boolean): void {
    for (const cache of [this.records, this.written, this.cleared, this.promoted])
      for (const key of cache.keys()) if (apps(key.slice(0, key.indexOf('/')))) cache.delete(key);
  }

  /** Forgets everything cached (the controller stopped: a later start reads the records back). */
  reset(): void {
    this.records.clear();
    this.written.clear();
    this.specs.clear();
    this.promoted.clear();
    this.cleared.clear();
  }

  /**
   * One round over every app of a promotion chain (its environments' policies: ferry.yaml's, or the chain its
   * own workflow declares): soaks advanced, promotions decided, in promotion order.
   */
  async tick(): Promise<void> {
    await this.forgetPolicies();
    const byApp = new Map<string, Release[]>();
    for (const r of this.d.releases.values()) byApp.set(r.app, [...(byApp.get(r.app) ?? []), r]);
    for (const [app, releases] of byApp) {
      const envs = releases.map((r): EnvironmentConfig => r.config ?? { name: r.env });
      // The environments of a chain: those with a policy, and those they are promoted from.
      const chain = new Set(envs.flatMap((e) => (e.promotion ? [e.name, e.promotion.from] : [])));
      if (chain.size === 0) continue;
      for (const { name: env, promotion } of promotionOrder(envs).filter((e) => chain.has(e.name))) {
        const r = this.d.releases.get(`${app}/${env}`);
        if (!r) continue;
        try {
          await this.advance(r);
          if (promotion) await this.decide(r, promotion);
        } catch (e) {
          this.d.log.warn({ app, env, err: (e as Error).message }, 'promotion: cannot read or write its records');
        }
      }
    }
  }

  /**
   * A release promoted before and no longer (its policy removed, its app's chain changed): the policy recorded for
   * the command line goes, so `ferry releases|approve|promote` do not offer a chain the controller ignores.
   */
  private async forgetPolicies(): Promise<void> {
    const now = new Set([...this.d.releases.values()].filter((r) => r.config?.promotion).map((r) => releaseKey(r)));
    for (const key of this.promoted) {
      const r = this.d.releases.get(key);
      if (now.has(key) || !r) continue;
      try {
        const { policy: _, ...rest } = await this.recordOf(r);
        await this.save(r, rest);
      } catch (e) {
        this.d.log.warn({ app: r.app, env: r.env, err: (e as Error).message }, 'promotion: cannot write its record');
        now.add(key);
      }
    }
    this.promoted = now;
  }

  /** The release's approvals and `ferry promote` request, as the watch of its cluster's approval records sees them. */
  private async approvalsOf(r: Release): Promise<ApprovalRecord> {
    const cluster = this.cluster(r);
    this.d.approvals.watch(cluster);
    return (await this.d.approvals.on(cluster)).get(`${r.app}/${r.env}`) ?? { approved: [] };
  }

  private cluster(r: Release): ClusterPort {
    return this.d.clusterFor(r.config, 'local');
  }

  private async recordOf(r: Release): Promise<PromotionRecord> {
    const key = `${r.app}/${r.env}`;
    let rec = this.records.get(key);
    if (!rec) {
      rec = (await readPromotion(this.cluster(r), r)) ?? emptyPromotion();
      // Read back (a start): the time since the last look written was not watched, so it is not served.
      if (rec.soak?.seenAt !== undefined) {
        const { seenAt: _, ...soak } = rec.soak;
        rec = { ...rec, soak };
      }
      // A release retired meanwhile (its shard moved away) leaves nothing cached: its records are the new owner's.
      if (r.retired) return rec;
      this.records.set(key, rec);
      this.written.set(key, rec.soak);
    }
    return rec;
  }

  /** Writes the record (when it changed), then keeps it: a failed write is tried again at the next tick. */
  private async save(r: Release, next: PromotionRecord): Promise<boolean> {
    if (r.retired) return false;
    const before = this.records.get(`${r.app}/${r.env}`);
    if (!same(before, next) && !(await this.write(r, () => writePromotion(this.cluster(r), r, next)))) return false;
    this.records.set(`${r.app}/${r.env}`, next);
    return true;
  }

  /**
   * A write about a release, kept among those under way (a shard's drop waits for its own); false, and nothing
   * written, once the release is retired (its shard moved away: its records are the new owner's).
   */
  private async write(r: Release, fn: () => Promise<unknown>): Promise<boolean> {
    if (r.retired) return false;
    const work = fn();
    this.writing.set(work, r.app);
    try {
      await work;
    } finally {
      this.writing.delete(work);
    }
    return true;
  }

  /** Resolves once the writes under way about the apps `apps` picks (a shard's) have ended. */
  async settled(apps: (app: string) => boolean): Promise<void> {
    await Promise.allSettled([...this.writing].filter(([, app]) => apps(app)).map(([work]) => work));
  }

  private specAt(commit: string, folderPath: string): Promise<Spec | undefined> {
    const key = `${commit}:${folderPath}`;
    let spec = this.specs.get(key);
    if (!spec) {
      spec = (async () => {
        // A release older than a fresh cache's shallow clone: its history is fetched first.
        if (!(await this.d.source.ensure(commit))) return undefined;
        const layout = await readLayout(this.d.source, commit, this.d.path, DEFAULT_LIMITS, this.d.listingCache);
        const folder = layout.apps.find((f) => f.path === folderPath);
        return (
          folder && {
            commit,
            digest: folder.digest,
            folder,
            layout: specLayout(layout),
            loaded: loadAppFolder(this.d.source, folder),
          }
        );
      })();
      this.specs.set(key, spec);
      // Not found, or not read (the Git server unreachable): asked again next time.
      const forget = () => this.specs.get(key) === spec && this.specs.delete(key);
      spec.then((x) => x === undefined && forget(), forget);
    }
    return spec;
  }

  /** The soak of what the environment runs; a release that failed here is remembered. */
  private async advance(r: Release): Promise<void> {
    const summary = currentSummary(r);
    const commit = summary?.newest ?? summary?.commit;
    if (!summary || !commit) return;
    const rec = await this.recordOf(r);
    const now = (this.d.now ?? Date.now)();
    // An objective's violation counts from the first look at this commit on (an older one is another commit's).
    const since = rec.soak?.commit === commit ? (rec.soak.since ?? now) : now;
    const v = verificationOf(summary, commit, since);
    const soak = advanceSoak(rec.soak, commit, v, now, this.d.maxSoakStepMs);
    // Served time is written at most every 15 s (and on every change of state): a restart loses less.
    const written = this.written.get(`${r.app}/${r.env}`) ?? rec.soak;
    const worth =
      written?.commit !== soak.commit ||
      Boolean(written.failed) !== Boolean(soak.failed) ||
      (written.seenAt === undefined) !== (soak.seenAt === undefined) ||
      soak.servedMs - written.servedMs >= 15_000;
    const failed = soak.failed && !rec.failed.includes(commit) ? [...rec.failed, commit] : rec.failed;
    if (worth || failed !== rec.failed) {
      if (await this.save(r, { ...rec, soak, failed })) this.written.set(`${r.app}/${r.env}`, soak);
    } else if (!r.retired) this.records.set(`${r.app}/${r.env}`, { ...rec, soak });
  }

  private async decide(r: Release, policy: PromotionPolicy): Promise<void> {
    const from = policy.from;
    const recorded = { from, auto: policy.auto, approval: policy.approval, soakMs: policy.soakMs };
    const before = await this.recordOf(r);
    if (!same(before.policy, recorded)) await this.save(r, { ...before, policy: recorded });
    const up = this.d.releases.get(`${r.app}/${from}`);
    const upSummary = up && currentSummary(up);
    const upCommit = upSummary?.commit;
    const upRec = up && (await this.recordOf(up));
    const rec = await this.recordOf(r);
    // A copy: the watch's cache is not changed here.
    const approvals = { ...(await this.approvalsOf(r)) };
    // A request this controller answered already (the watch may not have seen it cleared yet) is not one.
    if (approvals.promote && this.cleared.get(releaseKey(r)) === approvals.promote.at) delete approvals.promote;
    const hereState = r.actor?.getSnapshot().value;
    const decision = decidePromotion({
      policy,
      ...(upCommit && upSummary?.specDigest
        ? {
            upstream: {
              release: { commit: upCommit, digest: upSummary.specDigest },
              soak: upRec?.soak,
              held: upSummary.status === 'held',
            },
          }
        : {}),
      here: { ...(rec.current ? { current: rec.current } : {}), held: hereState === 'held', failed: rec.failed },
      approved: approvals.approved.map((a) => a.commit),
      now: new Date((this.d.now ?? Date.now)()),
      ...(approvals.promote
        ? {
            manual: {
              release: {
                commit: approvals.promote.commit,
                digest: approvals.promote.commit === upCommit ? (upSummary?.specDigest ?? '') : '',
              },
              force: approvals.promote.force,
            },
          }
        : {}),
    });
    await this.carryOut(r, from, rec, decision, approvals.promote);
  }

  private async carryOut(
    r: Release,
    from: string,
    rec: PromotionRecord,
    decision: PromotionDecision,
    request: { at: string; commit: string; force: boolean } | undefined,
  ): Promise<void> {
    const now = (this.d.now ?? Date.now)();
    const at = new Date(now).toISOString();
    const clear = async () => {
      if (!request || !(await this.write(r, () => clearPromotionRequest(this.cluster(r), r, request.at)))) return;
      this.cleared.set(releaseKey(r), request.at);
    };
    if (decision.kind === 'current') {
      const { waiting: _, ...rest } = rec;
      if (rec.waiting) await this.save(r, rest);
      await clear();
      // The release runs what was promoted (a failed write or a restart may have left it behind).
      if (rec.current && r.spec?.digest !== rec.current.digest) await this.take(r, rec.current.commit);
      return;
    }
    if (decision.kind === 'wait') {
      // A `ferry promote` its gates refuse for good (not run upstream, failed) is answered, not kept.
      const refused = request && (decision.state === 'manual' || decision.state === 'failed');
      const why = refused ? `ferry promote of ${request.commit.slice(0, 12)} refused: ${decision.why}` : decision.why;
      const waiting = { ...(decision.release ? { commit: decision.release.commit } : {}), state: decision.state, why };
      const before = rec.waiting;
      const moved = before?.commit !== waiting.commit || before?.state !== waiting.state;
      // What it waits for is written when it changes, its wording (soaking 4m/10m) at most every 15 s.
      if (moved || (before?.why !== why && now - Date.parse(before?.at ?? '') >= 15_000))
        await this.save(r, { ...rec, waiting: { ...waiting, at } });
      if (refused) await clear();
      return;
    }
    const spec = await this.specAt(decision.release.commit, r.folder);
    if (!spec) {
      const why = 'the app is not in that commit (or the commit is not fetched)';
      await this.save(r, { ...rec, waiting: { commit: decision.release.commit, state: 'failed', why, at } });
      await clear();
      return;
    }
    const entry = { commit: spec.commit, digest: spec.digest, at, from, by: decision.by };
    const { waiting: _, ...rest } = rec;
    if (!(await this.save(r, { ...rest, current: entry, history: [entry, ...rec.history] }))) return;
    if (this.d.lifecycle.want(r, spec, r.config, r.metrics)) this.d.lifecycle.nudge(r, true);
    await clear();
    const how = { auto: 'automatically', approval: 'as approved', manual: 'by ferry promote', forced: 'forced' }[
      decision.by
    ];
    this.d.log.info({ app: r.app, env: r.env, commit: spec.commit, from, by: decision.by }, 'promoted');
    await this.write(r, () =>
      recordEvent(this.cluster(r), {
        app: r.app,
        env: r.env,
        namespace: r.namespace ?? r.config?.namespace ?? 'ferry-system',
        type: decision.by === 'forced' ? 'Warning' : 'Normal',
        reason: 'Promoted',
        message: `release ${spec.commit.slice(0, 12)} promoted from ${from} ${how}`,
      }),
    ).catch((e) => this.d.log.warn({ app: r.app, env: r.env, err: (e as Error).message }, 'cannot record an Event'));
  }

  /** The release reconciles the spec of `commit` (when it is a new one). */
  private async take(r: Release, commit: string): Promise<void> {
    const spec = await this.specAt(commit, r.folder);
    if (spec && this.d.lifecycle.want(r, spec, r.config, r.metrics)) this.d.lifecycle.nudge(r, true);
  }
}
