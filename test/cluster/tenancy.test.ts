/**
 * Tenant isolation by impersonation, on the real API server with RBAC: `ferry serve` runs as deploy/'s
 * ServiceAccount (a minted token), and ferry.yaml's environment names a tenant's ServiceAccount, which may
 * write only its own namespace. The tenant's app syncs there; an app that writes into another team's namespace,
 * or a ClusterRole, fails its dry-run naming the object, and nothing of it is written, though the controller's
 * own role could have written it; the controller's records stay in ferry-system, where the tenant may not even
 * read; an app removed from Git is pruned as the tenant.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeCluster } from '../../src/kube/kube-cluster.js';
import type { KubeObject } from '../../src/objects/objects.js';
import { ClusterError } from '../../src/ports/cluster.js';
import type { StateSummary } from '../../src/gitops/store/release-store.js';
import { ferryCli, Serve, TestRepo, webApp } from './gitops-support.js';
import { deployManifests, mintToken, tokenKubeconfig } from './install-support.js';
import { eventually } from './kube.js';

const s = randomBytes(3).toString('hex');
const teamA = `team-a-${s}`;
const teamB = `team-b-${s}`;
const app = { web: `web-${s}`, escape: `escape-${s}`, wide: `wide-${s}` };
const repo = new TestRepo();
const dir = mkdtempSync(join(tmpdir(), 'ferry-tenancy-'));
let admin: KubeCluster;
let serve: Serve;

const tenantObjects: KubeObject[] = [
  ...[teamA, teamB].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })),
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'deployer', namespace: teamA } },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'deployer', namespace: teamA },
    rules: [{ apiGroups: ['', 'apps', 'networking.k8s.io'], resources: ['*'], verbs: ['*'] }],
  } as KubeObject,
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'deployer', namespace: teamA },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deployer' },
    subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: teamA }],
  } as KubeObject,
];

const clusterRoleApp = `${webApp(app.wide, teamA, 'nginx:1.0')}    - name: access
      type: k8s-objects
      properties:
        objects:
          - apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata:
              name: ${app.wide}
            rules:
              - apiGroups: ["*"]
                resources: ["*"]
                verbs: ["*"]
`;

const states = async () => {
  const r = await ferryCli(inject('kubeconfig'), 'status', '-o', 'json', '--source', repo.url);
  return JSON.parse(r.stdout) as StateSummary[];
};
const waitState = (name: string, status: string) =>
  eventually(
    `${name} ${status}`,
    async () => {
      const st = (await states()).find((x) => x.app === name && x.env === 'team-a');
      return st?.status === status ? st : undefined;
    },
    180_000,
  );
const deployment = (namespace: string, name: string) =>
  admin.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name });

beforeAll(async () => {
  admin = KubeCluster.fromFile(inject('kubeconfig'));
  for (const o of [...deployManifests(), ...tenantObjects])
    await admin.apply(o, { force: true, dryRun: ['Deployment', 'Service', 'PodDisruptionBudget'].includes(o.kind) });
  await repo.start();
  repo.commit(
    {
      'ferry.yaml': `environments:\n  - {name: team-a, serviceAccount: ${teamA}/deployer}\n`,
      [`apps/${app.web}/app.yaml`]: webApp(app.web, teamA, 'nginx:1.0'),
      [`apps/${app.escape}/app.yaml`]: webApp(app.escape, teamB, 'nginx:1.0'),
      [`apps/${app.wide}/app.yaml`]: clusterRoleApp,
    },
    'tenant apps',
  );
  const kubeconfig = tokenKubeconfig(dir, await mintToken('ferry-system', 'ferry'), 'ferry');
  serve = await new Serve(
    ['--repo', repo.url, '--cache-dir', join(dir, 'cache'), '--interval', '2s', '--no-leader-elect', '--resync', '0'],
    { KUBECONFIG: kubeconfig },
  ).start();
}, 180_000);
afterAll(async () => {
  await serve?.stop('SIGKILL');
  for (const name of [teamA, teamB])
    await admin?.delete({ apiVersion: 'v1', kind: 'Namespace', name }).catch(() => undefined);
  await repo.stop();
  await admin?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('an environment with a serviceAccount (a tenant)', () => {
  it("syncs the tenant's app in its namespace; the controller's records stay out of the tenant's reach", async () => {
    await waitState(app.web, 'synced');
    expect(await deployment(teamA, app.web)).toBeDefined();
    const tenant = KubeCluster.fromFile(tokenKubeconfig(dir, await mintToken(teamA, 'deployer'), 'deployer'));
    const denied = await tenant.list('v1', 'ConfigMap', 'ferry-system', '').catch((e: unknown) => e);
    await tenant.close();
    expect(denied).toBeInstanceOf(ClusterError);
    expect((denied as ClusterError).status).toBe(403);
    const records = await admin.list(
      'v1',
      'ConfigMap',
      'ferry-system',
      `ferry.dev/kind=state,ferry.dev/app=${app.web}`,
    );
    expect(records).toHaveLength(1);
  });

  it("an app writing into another team's namespace fails, naming the object; nothing is written", async () => {
    const st = await waitState(app.escape, 'failed');
    expect(st.lastError).toContain(`Deployment/${teamB}/${app.escape}`);
    expect(st.lastError).toMatch(new RegExp(`is forbidden: User "system:serviceaccount:${teamA}:deployer" cannot`));
    // The controller's own role (ferry-applications) could have written it: only the tenant's identity refused it.
    expect(await deployment(teamB, app.escape)).toBeUndefined();
    expect(await admin.list('v1', 'Service', teamB, '')).toEqual([]);
  });

  it('an app with a ClusterRole fails naming it, and none of its objects is written', async () => {
    const st = await waitState(app.wide, 'failed');
    expect(st.lastError).toMatch(
      new RegExp(`ClusterRole/${app.wide}: clusterroles.rbac.authorization.k8s.io "${app.wide}" is forbidden`),
    );
    expect(await deployment(teamA, app.wide)).toBeUndefined();
    expect(
      await admin.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: app.wide }),
    ).toBeUndefined();
  });

  it('an app removed from Git is pruned as the tenant', async () => {
    repo.commit({ [`apps/${app.web}`]: null }, 'remove web');
    await eventually('web pruned', async () => ((await deployment(teamA, app.web)) ? undefined : true), 120_000);
    await eventually(
      'web forgotten',
      async () => ((await states()).some((x) => x.app === app.web) ? undefined : true),
      60_000,
    );
  });
});
