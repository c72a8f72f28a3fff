/**
 * Opening a cluster from a kubeconfig, with located problems instead of exceptions: a missing or
 * garbled kubeconfig and an unknown context are invalid input (exit 1, naming the file), a server that
 * does not answer is "unreachable" (exit 3, naming its address). Checked before the first write.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeCluster } from '../kube/kube-cluster.js';
import { fail, ok, problem, type FerryProblem, type Result } from '../oam/errors.js';
import { ClusterError } from '../ports/cluster.js';

const defaultKubeconfig = () => process.env.KUBECONFIG ?? join(homedir(), '.kube', 'config');

export function openCluster(path: string | undefined, context: string | undefined): Result<KubeCluster> {
  const file = path ?? defaultKubeconfig();
  const where = { file };
  if (!file.includes(':') && !existsSync(file))
    return fail([problem('IO', `no kubeconfig here${path ? '' : ' (set --kubeconfig or $KUBECONFIG)'}`, where)]);
  const kc = new KubeConfig();
  try {
    if (path) kc.loadFromFile(path);
    else kc.loadFromDefault();
  } catch (e) {
    return fail([problem('IO', `not a valid kubeconfig: ${(e as Error).message.split('\n')[0]}`, where)]);
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
    return ok(new KubeCluster(kc, { attempts: 2 }));
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
    return [
      problem(
        'Unreachable',
        `${why.startsWith('cannot reach') ? why.replace('cannot reach the API server', `cannot reach the API server at ${server}`) : `cannot reach the API server at ${server}: ${why}`}`,
        { file: label },
      ),
    ];
  }
}
