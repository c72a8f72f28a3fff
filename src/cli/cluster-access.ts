/**
 * Opening a cluster from a kubeconfig, with located problems instead of exceptions: a missing or
 * garbled kubeconfig and an unknown context are invalid input (exit 1, naming the file), a server that
 * does not answer is "unreachable" (exit 3, naming its address). Checked before the first write.
 */
import { existsSync } from 'node:fs';
import { delimiter } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ferryEnvironment } from '../config/environment.js';
import { KubeCluster } from '../kube/kube-cluster.js';
import { fail, ok, problem, type FerryProblem, type Result } from '../oam/errors.js';
import { ClusterError } from '../ports/cluster.js';
import type { RetryOptions } from '../util/retry.js';

/** A pod's service-account token: `ferry serve` in a cluster uses it when it is given no kubeconfig. */
const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** The kubeconfig a command uses: --kubeconfig, else $KUBECONFIG, else ~/.kube/config (as it names it in messages). */
export function kubeconfigLabel(path: string | undefined): string {
  const env = ferryEnvironment();
  return path ?? env.kubeconfig ?? env.defaultKubeconfig;
}

export interface OpenOptions {
  /** Without --kubeconfig, $KUBECONFIG or ~/.kube/config, use the pod's service account (`ferry serve`). */
  inCluster?: boolean;
  /** Retries of transient API errors (default 2 attempts: a one-shot command reports an unreachable server soon). */
  retry?: RetryOptions;
}

export function openCluster(
  path: string | undefined,
  context: string | undefined,
  opts: OpenOptions = {},
): Result<KubeCluster> {
  const env = ferryEnvironment();
  const given = path ?? env.kubeconfig;
  const file = kubeconfigLabel(path);
  const where = { file };
  const kc = new KubeConfig();
  if (given === undefined && !existsSync(file) && opts.inCluster && existsSync(SERVICE_ACCOUNT_TOKEN)) {
    kc.loadFromCluster();
  } else {
    // $KUBECONFIG may list several files (joined with ':'), merged in order as kubectl does.
    const files = path !== undefined ? [path] : file.split(delimiter).filter((f) => f !== '');
    const missing = files.filter((f) => !existsSync(f));
    if (missing.length === files.length || (path !== undefined && missing.length > 0))
      return fail([
        problem('IO', `no kubeconfig here${path ? '' : ' (set --kubeconfig or $KUBECONFIG)'}`, {
          file: missing.length === 1 ? missing[0]! : file,
        }),
      ]);
    let first = true;
    for (const f of files.filter((f) => existsSync(f))) {
      try {
        if (first) kc.loadFromFile(f);
        else {
          const more = new KubeConfig();
          more.loadFromFile(f);
          kc.mergeConfig(more, Boolean(kc.currentContext)); // the first current-context wins, as in kubectl
        }
        first = false;
      } catch (e) {
        return fail([problem('IO', `not a valid kubeconfig: ${(e as Error).message.split('\n')[0]}`, { file: f })]);
      }
    }
  }
  if (context) {
    if (!kc.getContextObject(context)) {
      const known = kc.getContexts().map((c) => `"${c.name}"`);
      return fail([
        problem(
          'IO',
          `kubeconfig has no context "${context}"${known.length > 0 ? ` (it has ${known.join(', ')})` : ''}`,
          where,
        ),
      ]);
    }
    kc.setCurrentContext(context);
  }
  const server = kc.getCurrentCluster()?.server;
  if (!server)
    return fail([
      problem('IO', `kubeconfig has no cluster for ${context ? `context "${context}"` : 'its current context'}`, where),
    ]);
  try {
    return ok(new KubeCluster(kc, opts.retry ?? { attempts: 2 }));
  } catch (e) {
    return fail([problem('IO', `cannot use this kubeconfig: ${(e as Error).message.split('\n')[0]}`, where)]);
  }
}

/** One read; a server that does not answer is an `Unreachable` problem naming its address. */
export async function probeCluster(kube: KubeCluster, label: string): Promise<FerryProblem[]> {
  try {
    await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' });
    return [];
  } catch (e) {
    const server = kube.kubeconfig.getCurrentCluster()?.server ?? '(no server)';
    const why = e instanceof ClusterError ? e.message.replace(/^Namespace\/default: /, '') : (e as Error).message;
    if (e instanceof ClusterError && e.status !== 0)
      return [problem('IO', `the API server at ${server} refused Ferry's first request: ${why}`, { file: label })];
    const message = why.startsWith('cannot reach')
      ? why.replace('cannot reach the API server', `cannot reach the API server at ${server}`)
      : `cannot reach the API server at ${server}: ${why}`;
    return [problem('Unreachable', message, { file: label })];
  }
}
