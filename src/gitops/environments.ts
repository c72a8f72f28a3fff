/**
 * `ferry.yaml`: the environments, in promotion order (name → kubeconfig context and namespace), and
 * defaults for the apps. Without environments, an app's own deploy steps / topology policies are its
 * environments, and each of their clusters is the kubeconfig context of that name ("local" = the
 * controller's own cluster).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isMap, LineCounter, parseDocument } from 'yaml';
import { fail, formatProblem, ok, problem, type FerryProblem, type Result } from '../oam/errors.js';

export interface EnvironmentConfig {
  name: string;
  context?: string;
  kubeconfig?: string;
  namespace?: string;
}

export interface FerryConfig {
  environments: EnvironmentConfig[];
  defaults: {
    /** Re-apply the last good revision (and hold) when a sync or its verification fails. */
    autoRollback: boolean;
    /** How long verification waits for health. */
    verifyTimeout?: string;
    /** Delete the objects of an app (or app × environment) that Git no longer declares. */
    pruneRemovedApps: boolean;
  };
}

const EMPTY: FerryConfig = { environments: [], defaults: { autoRollback: false, pruneRemovedApps: true } };

export function parseFerryConfig(text: string, file: string): Result<FerryConfig> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (node: unknown) => {
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    const pos = range ? lines.linePos(range[0]) : { line: 1, col: 1 };
    return { file, line: pos.line, column: pos.col };
  };
  if (doc.errors.length > 0) return fail(doc.errors.map((e) => problem('InvalidApplication', e.message.split('\n')[0]!, { file, line: e.linePos?.[0].line ?? 1, column: e.linePos?.[0].col ?? 1 })));
  const raw = (doc.toJS() ?? {}) as { environments?: unknown; defaults?: Record<string, unknown> };
  const problems: FerryProblem[] = [];
  const envNode = isMap(doc.contents) ? doc.contents.get('environments', true) : undefined;
  const list = Array.isArray(raw.environments) ? raw.environments : [];
  const environments: EnvironmentConfig[] = [];
  const seen = new Set<string>();
  list.forEach((e, i) => {
    const env = (e ?? {}) as Record<string, unknown>;
    const node = (envNode as { items?: unknown[] } | undefined)?.items?.[i];
    if (typeof env.name !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(env.name)) return void problems.push(problem('PolicyInvalid', `environments[${i}] needs a name (lowercase letters, digits and "-")`, at(node)));
    if (seen.has(env.name)) return void problems.push(problem('PolicyInvalid', `environment "${env.name}" is listed twice`, at(node)));
    seen.add(env.name);
    environments.push({ name: env.name, ...(typeof env.context === 'string' ? { context: env.context } : {}), ...(typeof env.kubeconfig === 'string' ? { kubeconfig: env.kubeconfig } : {}), ...(typeof env.namespace === 'string' ? { namespace: env.namespace } : {}) });
  });
  const d = raw.defaults ?? {};
  const defaultsNode = isMap(doc.contents) ? doc.contents.get('defaults', true) : undefined;
  for (const key of ['autoRollback', 'pruneRemovedApps'] as const) {
    if (d[key] !== undefined && typeof d[key] !== 'boolean') problems.push(problem('PolicyInvalid', `defaults.${key} must be true or false, not ${JSON.stringify(d[key])}`, at(isMap(defaultsNode) ? defaultsNode.get(key, true) : defaultsNode)));
  }
  if (problems.length > 0) return fail(problems);
  return ok({ environments, defaults: { autoRollback: d.autoRollback === true, pruneRemovedApps: d.pruneRemovedApps !== false, ...(typeof d.verifyTimeout === 'string' ? { verifyTimeout: d.verifyTimeout } : {}) } });
}

export function loadFerryConfig(path: string | undefined): FerryConfig {
  const file = path ?? (existsSync('ferry.yaml') ? 'ferry.yaml' : undefined);
  if (!file) return EMPTY;
  const r = parseFerryConfig(readFileSync(file, 'utf8'), file);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.value;
}

export const emptyFerryConfig = (): FerryConfig => ({ environments: [], defaults: { autoRollback: false, pruneRemovedApps: true } });
