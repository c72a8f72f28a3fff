/**
 * Promotion across environments, as Ferry records it for each (app, environment) of a promotion chain:
 *   ferry-promotion.<source>.<app>.<env>  the release promoted into it, the soak of the release it runs (for
 *                                         the environments promoted from it), the releases that failed in it,
 *                                         the last decision and the promotions so far
 *   ferry-approval.<source>.<app>.<env>   what the command line asked: `ferry approve` (a release approved
 *                                         for this environment) and `ferry promote` (a release, maybe forced)
 * The controller writes the first, the command line the second.
 */
import type { ClusterPort } from '../../ports/cluster.js';
import { jsonEntries, putRecord, readJson, readRecord } from './codec.js';
import type { KubeObject } from '../../objects/objects.js';
import { type RecordScope, scopeOfLabels } from './record-names.js';

/** An immutable release: one app's spec (its folder's digest) at one commit. */
export interface ReleaseId {
  commit: string;
  digest: string;
}

export interface PromotionEntry extends ReleaseId {
  /** ISO 8601. */
  at: string;
  from: string;
  by: 'auto' | 'approval' | 'manual' | 'forced';
}

/** A release's soak in one environment, as recorded between the controller's looks (promotion/verification.ts). */
export interface Soak {
  commit: string;
  /** Time served verified, ms. */
  servedMs: number;
  /** When this commit was first looked at here (ms since the epoch): violations before it are another commit's. */
  since?: number;
  /** When it was last seen verified (ms since the epoch); none before the first time or after a failure. */
  seenAt?: number;
  failed?: string;
}

export interface PromotionRecord {
  /** The release promoted into this environment (none: it follows Git, or nothing was promoted yet). */
  current?: PromotionEntry;
  /** The soak of the release this environment runs: time served verified, ms (see promotion/verification.ts). */
  soak?: Soak;
  /** Commits that failed in this environment: never promoted into it again by themselves. */
  failed: string[];
  /** The last decision about the next release: what it waits for. */
  waiting?: { commit?: string; state: string; why: string; at: string };
  /** The promotions into this environment, newest first (at most HISTORY). */
  history: PromotionEntry[];
  /**
   * The policy the controller applies (ferry.yaml's, or the one the app's own workflow declares), for the
   * command line where ferry.yaml lists no environments.
   */
  policy?: RecordedPolicy;
}

/** A promotion policy as recorded: where releases come from and their gates (the window as written is not kept). */
export interface RecordedPolicy {
  from: string;
  auto: boolean;
  approval: boolean;
  soakMs: number;
}

export interface ApprovalRecord {
  /** Releases approved for this environment, newest first. */
  approved: { commit: string; at: string; by?: string }[];
  /** A `ferry promote` waiting to be carried out. */
  promote?: { commit: string; force: boolean; at: string; by?: string };
}

const HISTORY = 20;
const APPROVALS = 10;

export const emptyPromotion = (): PromotionRecord => ({ failed: [], history: [] });

export async function readPromotion(cluster: ClusterPort, s: RecordScope): Promise<PromotionRecord | undefined> {
  return readJson<PromotionRecord>(await readRecord(cluster, 'promotion', s), 'promotion.json');
}

export async function writePromotion(cluster: ClusterPort, s: RecordScope, r: PromotionRecord): Promise<void> {
  const trimmed = { ...r, history: r.history.slice(0, HISTORY), failed: r.failed.slice(-HISTORY) };
  await putRecord(cluster, 'promotion', s, jsonEntries({ 'promotion.json': trimmed }));
}

export async function readApprovals(cluster: ClusterPort, s: RecordScope): Promise<ApprovalRecord> {
  return readJson<ApprovalRecord>(await readRecord(cluster, 'approval', s), 'approval.json') ?? { approved: [] };
}

/** An approval record as a watch reads it (record-watch.ts): its release ("app/env") and what it holds. */
export function approvalOf(cm: KubeObject): { key: string; value: ApprovalRecord } | undefined {
  const s = scopeOfLabels(cm.metadata.labels);
  const value = readJson<ApprovalRecord>(cm, 'approval.json');
  return s && value ? { key: `${s.app}/${s.env}`, value } : undefined;
}

async function writeApprovals(cluster: ClusterPort, s: RecordScope, r: ApprovalRecord): Promise<void> {
  await putRecord(cluster, 'approval', s, jsonEntries({ 'approval.json': r }));
}

/** `ferry approve`: the release approved for the environment (kept with the newest others). */
export async function approve(cluster: ClusterPort, s: RecordScope, commit: string, by?: string): Promise<void> {
  const r = await readApprovals(cluster, s);
  const approved = [{ commit, at: new Date().toISOString(), ...(by ? { by } : {}) }, ...r.approved];
  await writeApprovals(cluster, s, {
    ...r,
    approved: approved.filter((a, i) => i === 0 || a.commit !== commit).slice(0, APPROVALS),
  });
}

/** `ferry promote`: a release to move into the environment, through the gates unless forced. */
export async function requestPromotion(
  cluster: ClusterPort,
  s: RecordScope,
  commit: string,
  force: boolean,
  by?: string,
): Promise<void> {
  const r = await readApprovals(cluster, s);
  await writeApprovals(cluster, s, {
    ...r,
    promote: { commit, force, at: new Date().toISOString(), ...(by ? { by } : {}) },
  });
}

/** The controller carried out (or refused) the `ferry promote` request made at `at`; a newer one stays. */
export async function clearPromotionRequest(cluster: ClusterPort, s: RecordScope, at: string): Promise<void> {
  const r = await readApprovals(cluster, s);
  if (r.promote?.at !== at) return;
  const { promote: _, ...rest } = r;
  await writeApprovals(cluster, s, rest);
}
