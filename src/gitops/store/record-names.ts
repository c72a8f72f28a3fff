/**
 * Names and labels of what Ferry records in ferry-system. A controller's records are scoped by its
 * Git source (the short hash of repository + path), so two controllers of two repositories that
 * declare an app of the same name keep apart:
 *   ferry-<kind>.<source>.<app>.<env>   kind: state, history, hold, inventory, rollout, promotion, approval
 *                                       (label ferry.dev/source)
 *   ferry-controller.<source>           the leader Lease (unless --leader-election-id names another)
 *   ferry-source.<source>               what the controller last saw of its source
 * `ferry apply` from the command line is the source "cli" (src/cli/cli-scope.ts). Records without a
 * source (controllers before the scoping, `ferry apply` before "cli") keep the unscoped names
 * ferry-<kind>.<app>.<env>; a controller adopts its own at start, `ferry apply` its inventory.
 */
import type { ObjectRef } from '../../objects/objects.js';

export const SYSTEM_NAMESPACE = 'ferry-system';

export type RecordKind = 'state' | 'history' | 'hold' | 'inventory' | 'rollout' | 'promotion' | 'approval';

/** Ferry's labels of an (app, environment): on its records, the objects it applies and its Events. */
export const LABEL_APP = 'ferry.dev/app';
export const LABEL_ENV = 'ferry.dev/environment';
export const LABEL_KIND = 'ferry.dev/kind';
export const LABEL_SOURCE = 'ferry.dev/source';

/** An (app, environment), and the source whose controller owns it (absent: unscoped): the sync scope. */
export interface RecordScope {
  app: string;
  env: string;
  /** Whose records they are: a Git source's controller, or "cli" (`ferry apply`); absent: from before the scoping. */
  source?: string;
}

export const recordName = (kind: RecordKind, s: RecordScope): string =>
  s.source ? `ferry-${kind}.${s.source}.${s.app}.${s.env}` : `ferry-${kind}.${s.app}.${s.env}`;

export const recordRef = (kind: RecordKind, s: RecordScope): ObjectRef => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace: SYSTEM_NAMESPACE,
  name: recordName(kind, s),
});

export const recordLabels = (kind: RecordKind, s: RecordScope): Record<string, string> => ({
  [LABEL_APP]: s.app,
  [LABEL_ENV]: s.env,
  [LABEL_KIND]: kind,
  ...(s.source ? { [LABEL_SOURCE]: s.source } : {}),
});

/**
 * The label selector of a kind's records: of one source (a string), of every source and the
 * unscoped ones (undefined), or only the unscoped ones (null).
 */
export function recordSelector(
  kind: RecordKind | 'source' | 'poll',
  source?: string | null,
  extra: Record<string, string> = {},
): string {
  const parts = [`${LABEL_KIND}=${kind}`, ...Object.entries(extra).map(([k, v]) => `${k}=${v}`)];
  if (typeof source === 'string') parts.push(`${LABEL_SOURCE}=${source}`);
  if (source === null) parts.push(`!${LABEL_SOURCE}`);
  return parts.join(',');
}

/** "app/env" of a record, from its labels; undefined for a record without them. */
export function scopeOfLabels(labels: Record<string, string> | undefined): RecordScope | undefined {
  const app = labels?.[LABEL_APP];
  const env = labels?.[LABEL_ENV];
  if (!app || !env) return undefined;
  const source = labels[LABEL_SOURCE];
  return { app, env, ...(source ? { source } : {}) };
}

/** The leader Lease of a source's controllers (replicas of one source elect one leader). */
export const leaderLeaseName = (source: string): string => `ferry-controller.${source}`;

export const sourceStatusName = (source: string): string => `ferry-source.${source}`;
