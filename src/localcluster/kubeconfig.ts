/** One kubeconfig with a context per local cluster (what `ferry serve` needs for topology clusters). */
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';

export interface ContextSource {
  /** The context name in the merged file (a topology policy's cluster name, e.g. "prod-eu"). */
  context: string;
  /** The kubeconfig text of one cluster; its current context is the one taken. */
  kubeconfig: string;
}

interface KubeconfigDoc {
  clusters?: { name: string; cluster?: Record<string, unknown> }[];
  users?: { name: string; user?: Record<string, unknown> }[];
  contexts?: { name: string; context?: { cluster?: string; user?: string; namespace?: string } }[];
  'current-context'?: string;
}

/**
 * Merges single-cluster kubeconfigs into one: each source's current context (with its cluster and
 * user) becomes context `context`, cluster `context` and user `<context>-admin`. Context names must be
 * distinct; `current` (default: the first) is the current context.
 */
export function mergeKubeconfigs(sources: ContextSource[], current = sources[0]?.context): string {
  if (sources.length === 0) throw new Error('no kubeconfig to merge');
  const names = sources.map((s) => s.context);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`context "${dup}" is given twice`);
  if (!current || !names.includes(current))
    throw new Error(`current context "${current}" is not among ${names.join(', ')}`);
  const clusters: unknown[] = [];
  const users: unknown[] = [];
  const contexts: unknown[] = [];
  for (const s of sources) {
    const doc = (parse(s.kubeconfig) ?? {}) as KubeconfigDoc;
    const ctxName = doc['current-context'];
    const ctx = doc.contexts?.find((c) => c.name === ctxName)?.context;
    if (!ctx) throw new Error(`the kubeconfig for "${s.context}" has no current context`);
    const cluster = doc.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
    const user = doc.users?.find((u) => u.name === ctx.user)?.user;
    if (!cluster) throw new Error(`the kubeconfig for "${s.context}" has no cluster "${ctx.cluster}"`);
    if (!user) throw new Error(`the kubeconfig for "${s.context}" has no user "${ctx.user}"`);
    const userName = `${s.context}-admin`;
    clusters.push({ name: s.context, cluster });
    users.push({ name: userName, user });
    contexts.push({
      name: s.context,
      context: { cluster: s.context, user: userName, ...(ctx.namespace ? { namespace: ctx.namespace } : {}) },
    });
  }
  return stringify(
    { apiVersion: 'v1', kind: 'Config', clusters, users, contexts, 'current-context': current },
    { lineWidth: 0 },
  );
}

/** Reads each cluster's kubeconfig file, writes the merged one (mode 600) and returns its path. */
export function writeMergedKubeconfig(
  path: string,
  sources: { context: string; file: string }[],
  current?: string,
): string {
  const text = mergeKubeconfigs(
    sources.map((s) => ({ context: s.context, kubeconfig: readFileSync(s.file, 'utf8') })),
    current,
  );
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}
