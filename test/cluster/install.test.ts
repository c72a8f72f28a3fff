/**
 * Ferry as deploy/ installs it, on the real API server with Node,RBAC authorization: the API server accepts every
 * manifest (the Namespace, ServiceAccount and RBAC applied, the Deployment, Service and PodDisruptionBudget dry-run:
 * no pod can run here), a token for the ServiceAccount is minted through the TokenRequest API, and `ferry serve`
 * runs on a kubeconfig holding only that token, with leader election: every example app syncs with those rights.
 * A rule taken out of the ferry-applications ClusterRole fails the app that needs it with a forbidden error that
 * names the object, the verb and the resource, and writes nothing; put back, the app syncs on its next retry.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeCluster } from '../../src/kube/kube-cluster.js';
import type { KubeObject } from '../../src/objects/objects.js';
import { ClusterError } from '../../src/ports/cluster.js';
import type { StateSummary } from '../../src/gitops/store/release-store.js';
import { appNamesOf, exampleFiles, namespacesOf } from './examples.js';
import { ferryCli, Serve, TestRepo } from './gitops-support.js';
import { deployManifests, mintToken, tokenKubeconfig } from './install-support.js';
import { eventually } from './kube.js';

const files = exampleFiles();
// search's three replicas spread across nodes: the test cluster has two.
files['apps/stateful/app.yaml'] = files['apps/stateful/app.yaml']!.replace('{replicas: 3}', '{replicas: 2}');
const appNames = appNamesOf(files);
const namespaces = namespacesOf(files);
const repo = new TestRepo();
const dir = mkdtempSync(join(tmpdir(), 'ferry-install-'));
const manifests = deployManifests();
const applications = manifests.find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'ferry-applications')!;
let admin: KubeCluster;
let serve: Serve;

/** The state of every example app as this repository's controller recorded it (ferry status, as an admin). */
const states = async () => {
  const r = await ferryCli(inject('kubeconfig'), 'status', '-o', 'json', '--source', repo.url);
  return (JSON.parse(r.stdout) as StateSummary[]).filter((s) => appNames.includes(s.app));
};
const stateOf = async (app: string) => (await states()).find((s) => s.app === app);
const imageOf = async (namespace: string, name: string) =>
  (
    (await admin.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name }))?.spec as
      | { template: { spec: { containers: { image: string }[] } } }
      | undefined
  )?.template.spec.containers[0]?.image;

beforeAll(async () => {
  admin = KubeCluster.fromFile(inject('kubeconfig'));
  // The examples' namespaces, which another suite may have just deleted, must be gone before they are made again.
  await eventually(
    "the examples' namespaces free",
    async () => {
      for (const name of namespaces) {
        const n = await admin.get({ apiVersion: 'v1', kind: 'Namespace', name });
        if (n?.metadata.deletionTimestamp) return undefined;
      }
      return true;
    },
    120_000,
  );
  for (const o of manifests) {
    const runs = ['Deployment', 'Service', 'PodDisruptionBudget'].includes(o.kind);
    await admin.apply(o, { force: true, dryRun: runs });
  }
  await repo.start();
}, 180_000);
afterAll(async () => {
  await serve?.stop('SIGKILL');
  await admin?.apply(applications, { force: true }).catch(() => undefined);
  for (const name of namespaces)
    await admin?.delete({ apiVersion: 'v1', kind: 'Namespace', name }).catch(() => undefined);
  await repo.stop();
  await admin?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("installed with deploy/'s RBAC", () => {
  it("ferry serve on the ServiceAccount's minted token syncs every example app, with leader election", async () => {
    const kubeconfig = tokenKubeconfig(dir, await mintToken('ferry-system', 'ferry'), 'ferry');
    // The token is the ServiceAccount's, and holds no more than its roles: it may not read RBAC itself.
    const limited = KubeCluster.fromFile(kubeconfig);
    const denied = await limited
      .list('rbac.authorization.k8s.io/v1', 'ClusterRole', undefined, '')
      .catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(ClusterError);
    expect((denied as ClusterError).status).toBe(403);
    expect((denied as ClusterError).message).toContain('system:serviceaccount:ferry-system:ferry');
    await limited.close();

    repo.commit(files, 'the examples');
    serve = await new Serve(
      [
        '--repo',
        repo.url,
        '--cache-dir',
        join(dir, 'cache'),
        '--interval',
        '2s',
        '--resync',
        '0',
        '--lease-duration',
        '5s',
        '--leader-election-id',
        `ferry-install-${repo.root.slice(-6).toLowerCase()}`,
        '--prometheus-url',
        inject('prometheusUrl'),
      ],
      { KUBECONFIG: kubeconfig },
    ).start();
    await eventually('the leader Lease', async () => serve.has('leading: starting the loop') || undefined, 60_000);
    const synced = await eventually(
      'every example app synced',
      async () => {
        const all = await states();
        const forbidden = all.find((s) => /forbidden/.test(s.lastError ?? ''));
        if (forbidden) throw new Error(`${forbidden.app}/${forbidden.env}: ${forbidden.lastError}`);
        const recorded = new Set(all.map((s) => s.app));
        // payments' prod waits for an approval (`ferry approve`): idle, as it should be.
        const done = (s: StateSummary) => s.status === 'synced' || (s.status === 'idle' && s.env === 'deploy-prod');
        return appNames.every((a) => recorded.has(a)) && all.every(done) ? all : undefined;
      },
      240_000,
    ).catch(async (e: unknown) => {
      throw new Error(`${(e as Error).message}\n${JSON.stringify(await states(), null, 1)}`);
    });
    expect(synced.length).toBeGreaterThanOrEqual(appNames.length);
    expect(await imageOf('shop', 'storefront')).toBe('ghcr.io/example/storefront:1.8.2');
  }, 400_000);

  it('a rule taken out fails the app needing it, naming object, verb and resource; put back, it syncs', async () => {
    const rules = (applications as KubeObject & { rules: { apiGroups: string[] }[] }).rules;
    await admin.apply({ ...applications, rules: rules.filter((r) => !r.apiGroups.includes('batch')) } as KubeObject, {
      force: true,
    });
    const shop = files['apps/shop/app.yaml']!;
    repo.commit(
      {
        'apps/shop/app.yaml': shop.replace('storefront:1.8.2', 'storefront:1.8.3').replace('15 2 * * *', '30 2 * * *'),
      },
      'shop 1.8.3',
    );
    const failed = await eventually(
      'shop failed',
      async () => {
        const s = await stateOf('shop');
        return s?.status === 'failed' ? s : undefined;
      },
      120_000,
    );
    expect(failed.lastError).toMatch(/CronJob\/shop\/\S+: cronjobs\.batch "\S+" is forbidden/);
    expect(failed.lastError).toMatch(
      /User "system:serviceaccount:ferry-system:ferry" cannot (get|patch) resource "cronjobs" in API group "batch"/,
    );
    // Nothing of that commit was written: the storefront still runs the image of the last good one.
    expect(await imageOf('shop', 'storefront')).toBe('ghcr.io/example/storefront:1.8.2');

    await admin.apply(applications, { force: true });
    await eventually(
      'shop synced again',
      async () => ((await stateOf('shop'))?.status === 'synced' ? true : undefined),
      120_000,
    );
    expect(await imageOf('shop', 'storefront')).toBe('ghcr.io/example/storefront:1.8.3');
  });
});
