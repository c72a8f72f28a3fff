/**
 * Tenant isolation by impersonation, on the real API server with RBAC: `ferry serve` runs as deploy/'s
 * ServiceAccount (a minted token), and each ferry.yaml environment names a tenant's ServiceAccount, which may
 * write only its own namespace. Two tenants share one repository, each environment taking its own apps (ferry.yaml
 * `apps`). Ferry may act only as the accounts of namespaces that bind ferry-tenants. An app that writes into
 * another team's namespace, or a ClusterRole, fails its dry-run naming the object, and nothing of it is written,
 * though the controller's own role could have written it. The controller's records stay in ferry-system, where
 * the tenant may not even read. The dashboard's rollback, and the prune of an app removed from Git, act as the
 * tenant: a right the tenant lacks stops them, though the controller has it.
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
/** A namespace no RoleBinding lets Ferry act in. */
const teamC = `team-c-${s}`;
const app = { web: `web-${s}`, escape: `escape-${s}`, wide: `wide-${s}`, bweb: `bweb-${s}`, bapi: `bapi-${s}` };
const repo = new TestRepo();
const dir = mkdtempSync(join(tmpdir(), 'ferry-tenancy-'));
let admin: KubeCluster;
let serve: Serve;
/** Ferry's own identity (deploy/'s ServiceAccount): a minted token. */
let kubeconfig: string;

const TOKEN = 'tenancy-test-token';
type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
const ALL: Rule[] = [{ apiGroups: ['', 'apps', 'networking.k8s.io'], resources: ['*'], verbs: ['*'] }];
/** The tenant's rights: its Role in its namespace (changed by the tests to take one right away). */
const tenantRole = (rules: Rule[], namespace = teamA) =>
  ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'deployer', namespace },
    rules,
  }) as KubeObject;
const allBut = (group: string, verbs: string[]): Rule[] => [
  { apiGroups: ['', 'apps', 'networking.k8s.io'].filter((g) => g !== group), resources: ['*'], verbs: ['*'] },
  { apiGroups: [group], resources: ['*'], verbs },
];
const READ_WRITE = ['get', 'list', 'watch', 'create', 'update', 'patch'];

/** Each team's namespace, its deployer account with all rights there, and Ferry's right to act as it. */
const tenantObjects: KubeObject[] = [teamA, teamB].flatMap((namespace) => [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'deployer', namespace } },
  tenantRole(ALL, namespace),
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'deployer', namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deployer' },
    subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace }],
  } as KubeObject,
  // deploy/rbac-tenants.yaml binds nothing by itself: the platform team binds it in each tenant's namespace.
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'ferry-tenant', namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'ferry-tenants' },
    subjects: [{ kind: 'ServiceAccount', name: 'ferry', namespace: 'ferry-system' }],
  } as KubeObject,
]);

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
const waitState = (name: string, status: string, env = 'team-a') =>
  eventually(
    `${name} ${status} in ${env}`,
    async () => {
      const st = (await states()).find((x) => x.app === name && x.env === env);
      return st?.status === status ? st : undefined;
    },
    180_000,
  );
const deployment = (namespace: string, name: string) =>
  admin.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name });
const imageOf = async (name: string) =>
  ((await deployment(teamA, name))?.spec as { template: { spec: { containers: { image: string }[] } } } | undefined)
    ?.template.spec.containers[0]?.image;
/** A dashboard action through `ferry serve`'s API, with the admin token. */
const act = async (action: string, body: Record<string, unknown>) => {
  const r = await serve.http(`/api/v1/actions/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
  return { status: r.status, ...(JSON.parse(r.text) as { ok: boolean; message: string }) };
};
const forbiddenTo = (verb: string) =>
  new RegExp(`is forbidden: User "system:serviceaccount:${teamA}:deployer" cannot ${verb}`);

beforeAll(async () => {
  admin = KubeCluster.fromFile(inject('kubeconfig'));
  for (const o of [...deployManifests(), ...tenantObjects])
    await admin.apply(o, { force: true, dryRun: ['Deployment', 'Service', 'PodDisruptionBudget'].includes(o.kind) });
  await repo.start();
  repo.commit(
    {
      'ferry.yaml': [
        'environments:',
        `  - {name: team-a, serviceAccount: ${teamA}/deployer, apps: ["web-*", "escape-*", "wide-*"]}`,
        `  - {name: team-b, namespace: ${teamB}, serviceAccount: deployer, apps: ["bweb-*"]}`,
        '',
      ].join('\n'),
      [`apps/${app.bweb}/app.yaml`]: webApp(app.bweb, teamB, 'nginx:1.0'),
      [`apps/${app.web}/app.yaml`]: webApp(app.web, teamA, 'nginx:1.0'),
      [`apps/${app.escape}/app.yaml`]: webApp(app.escape, teamB, 'nginx:1.0'),
      [`apps/${app.wide}/app.yaml`]: clusterRoleApp,
    },
    'tenant apps',
  );
  kubeconfig = tokenKubeconfig(dir, await mintToken('ferry-system', 'ferry'), 'ferry');
  serve = await new Serve(
    ['--repo', repo.url, '--cache-dir', join(dir, 'cache'), '--interval', '2s', '--no-leader-elect', '--resync', '0'],
    { KUBECONFIG: kubeconfig, FERRY_UI_TOKEN: TOKEN },
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

  it('Ferry may impersonate the accounts of the namespaces that bind ferry-tenants, and no others', async () => {
    const ferry = KubeCluster.fromFile(kubeconfig);
    const [asA, asC] = [teamA, teamC].map((ns) => ferry.impersonating(`system:serviceaccount:${ns}:deployer`));
    try {
      const refused = await asC!.list('v1', 'ConfigMap', teamC, '').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ClusterError);
      expect((refused as ClusterError).message).toMatch(/cannot impersonate resource "serviceaccounts"/);
      // As team A's account: no impersonation error (its Role lets it read its ConfigMaps).
      expect(await asA!.list('v1', 'ConfigMap', teamA, '')).toBeInstanceOf(Array);
    } finally {
      for (const c of [ferry, asA!, asC!]) await c.close();
    }
  });

  it('two tenants in one repository: each environment takes its own apps, written as its own account', async () => {
    await waitState(app.bweb, 'synced', 'team-b');
    expect(await deployment(teamB, app.bweb)).toBeDefined();
    await waitState(app.web, 'synced');
    const pairs = (await states()).map((x) => `${x.app}/${x.env}`);
    expect(pairs).not.toContain(`${app.web}/team-b`);
    expect(pairs).not.toContain(`${app.bweb}/team-a`);
    expect(pairs.filter((p) => p.endsWith('/team-b'))).toEqual([`${app.bweb}/team-b`]);
    // The dashboard's releases matrix shows the environments that take the app, not every one of ferry.yaml.
    const matrix = JSON.parse((await serve.http(`/api/v1/apps/${app.bweb}/releases`)).text) as {
      environments: string[];
    };
    expect(matrix.environments).toEqual(['team-b']);
  });

  it('an environment no longer taking an app removes it there; patterns matching nothing prune nothing', async () => {
    const ferryYaml = (teamBApps: string) =>
      [
        'environments:',
        `  - {name: team-a, serviceAccount: ${teamA}/deployer, apps: ["web-*", "escape-*", "wide-*"]}`,
        `  - {name: team-b, namespace: ${teamB}, serviceAccount: deployer, apps: [${teamBApps}]}`,
        '',
      ].join('\n');
    // A typo selects no folder: team-b's releases stay as they are, and the controller says why.
    repo.commit({ 'ferry.yaml': ferryYaml('"bwbe-*"') }, 'team-b: a typo');
    await eventually('the typo reported', async () =>
      serve.logs.find((l) => (/apps select no app folder/.test(String(l.msg)) ? l : undefined)),
    );
    expect(await deployment(teamB, app.bweb)).toBeDefined();
    // Narrowed to another app: bweb is removed from team-b (pruned as team-b's account), bapi is delivered.
    repo.commit(
      { 'ferry.yaml': ferryYaml('"bapi-*"'), [`apps/${app.bapi}/app.yaml`]: webApp(app.bapi, teamB, 'nginx:1.0') },
      'team-b takes bapi only',
    );
    await waitState(app.bapi, 'synced', 'team-b');
    await eventually('bweb pruned', async () => ((await deployment(teamB, app.bweb)) ? undefined : true), 120_000);
    await eventually('bweb forgotten', async () =>
      (await states()).some((x) => x.app === app.bweb) ? undefined : true,
    );
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

  it("the dashboard's rollback writes as the tenant", async () => {
    repo.commit({ [`apps/${app.web}/app.yaml`]: webApp(app.web, teamA, 'nginx:1.1') }, 'web 1.1');
    await eventually('web at 1.1', async () => ((await imageOf(app.web)) === 'nginx:1.1' ? true : undefined), 120_000);
    await waitState(app.web, 'synced');
    // Without the tenant's right to change Deployments the rollback fails, though the controller could write it.
    await admin.apply(tenantRole(allBut('apps', ['get', 'list', 'watch'])), { force: true });
    const refused = await act('rollback', { app: app.web, env: 'team-a' });
    expect(refused).toMatchObject({ status: 409, ok: false });
    expect(refused.message).toMatch(forbiddenTo('patch'));
    expect(refused.message).toContain(`Deployment/${teamA}/${app.web}`);
    expect(await imageOf(app.web)).toBe('nginx:1.1');
    // With the right back it goes through, and the app is held at the revision rolled back to.
    await admin.apply(tenantRole(ALL), { force: true });
    const done = await act('rollback', { app: app.web, env: 'team-a' });
    expect(done).toMatchObject({ status: 200, ok: true });
    expect(await imageOf(app.web)).toBe('nginx:1.0');
    expect((await waitState(app.web, 'held')).commit).toBeDefined();
    expect(await act('resume', { app: app.web, env: 'team-a' })).toMatchObject({ ok: true });
    await eventually('web at 1.1 again', async () => ((await imageOf(app.web)) === 'nginx:1.1' ? true : undefined));
  });

  it('an app removed from Git is pruned as the tenant', async () => {
    // The tenant may not delete Deployments (the controller may): the Deployment stays, and the removal says why.
    await admin.apply(tenantRole(allBut('apps', READ_WRITE)), { force: true });
    repo.commit({ [`apps/${app.web}`]: null }, 'remove web');
    const failed = await eventually('the removal refused', async () =>
      serve.logs.find((l) => l.app === app.web && /no longer in Git failed/.test(String(l.msg))),
    );
    expect(String(failed.err)).toMatch(forbiddenTo('delete'));
    expect(String(failed.err)).toContain(`deployments.apps "${app.web}"`);
    expect(await deployment(teamA, app.web)).toBeDefined();
    await admin.apply(tenantRole(ALL), { force: true });
    await eventually('web pruned', async () => ((await deployment(teamA, app.web)) ? undefined : true), 120_000);
    await eventually(
      'web forgotten',
      async () => ((await states()).some((x) => x.app === app.web) ? undefined : true),
      60_000,
    );
  });
});
