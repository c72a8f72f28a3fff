/**
 * For the install and tenancy suites: deploy/'s manifests, a token minted for a ServiceAccount through the
 * TokenRequest API, and a kubeconfig that holds only that token (as a pod's mounted token would be).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { parseAllDocuments, parse as parseYaml, stringify } from 'yaml';
import { ROOT } from '../../bench/browser.js';
import type { KubeObject } from '../../src/objects/objects.js';
import { testKubeConfig } from './kube.js';

const DEPLOY = join(ROOT, 'deploy');

/** Every object deploy/kustomization.yaml lists, in its order. */
export function deployManifests(): KubeObject[] {
  const k = parseYaml(readFileSync(join(DEPLOY, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  return k.resources.flatMap((file) =>
    parseAllDocuments(readFileSync(join(DEPLOY, file), 'utf8')).map((d) => d.toJS() as KubeObject),
  );
}

/** A token for the ServiceAccount, from the TokenRequest API (an hour). */
export async function mintToken(namespace: string, name: string): Promise<string> {
  const r = await testKubeConfig()
    .makeApiClient(CoreV1Api)
    .createNamespacedServiceAccountToken({
      name,
      namespace,
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { audiences: [], expirationSeconds: 3600 },
      },
    });
  const token = r.status?.token;
  if (!token) throw new Error(`no token for ${namespace}/${name}`);
  return token;
}

/** A kubeconfig for the test cluster whose only credential is `token`; returns its path. */
export function tokenKubeconfig(dir: string, token: string, user: string): string {
  const cluster = testKubeConfig().getCurrentCluster()!;
  const ca = cluster.caData ?? readFileSync(cluster.caFile!).toString('base64');
  const path = join(dir, `kubeconfig-${user}`);
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server: cluster.server, 'certificate-authority-data': ca } }],
      users: [{ name: user, user: { token } }],
      contexts: [{ name: 'test', context: { cluster: 'test', user } }],
      'current-context': 'test',
    }),
  );
  return path;
}
