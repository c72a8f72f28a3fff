/** ferry diff / apply / status against the real cluster, and the fault cases. */
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeCluster } from '../../src/kube/kube-cluster.js';
import type { KubeObject } from '../../src/objects/objects.js';
import { syncApp } from '../../src/gitops/sync/sync.js';
import { killComponent, restartComponent, startCluster, stopCluster } from '../../src/localcluster/cluster.js';
import { ferry } from '../integration/helpers.js';
import { testKubeConfig, useNamespace } from './kube.js';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const ns = useNamespace('cli');
let dir = '';

const app = (components: string) => `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: store
  namespace: ${ns()}
spec:
  components:
${components}`;

const web = (image: string) => `    - name: web
      type: webservice
      properties:
        image: ${image}
        ports: [{port: 80, expose: true}]
      traits:
        - type: scaler
          properties: {replicas: 2}
`;
const worker = `    - name: worker
      type: worker
      properties:
        image: worker:1
`;

function write(text: string): string {
  writeFileSync(join(dir, 'app.yaml'), text);
  return join(dir, 'app.yaml');
}
const env = () => ['--env', 'test', '--config', join(dir, 'ferry.yaml'), '--definitions', join(dir, 'definitions')];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ferry-cli-'));
  writeFileSync(
    join(dir, 'ferry.yaml'),
    `environments:\n  - name: test\n    kubeconfig: ${inject('kubeconfig')}\n    namespace: ${ns()}\n`,
  );
  mkdirSync(join(dir, 'definitions'));
});

describe('ferry diff / apply / status', () => {
  it('diff shows changes (exit 1), apply syncs, a re-apply writes nothing, diff is then clean (exit 0)', async () => {
    const file = write(app(web('nginx:1.27') + worker));
    const d = await ferry('diff', file, ...env());
    expect(d.code).toBe(1);
    expect(d.stdout).toContain(`+++ desired/Deployment/${ns()}/web`);
    expect(d.stdout).toContain('+  replicas: 2');
    const a = await ferry('apply', file, ...env(), '--wait', '--timeout', '2m');
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    expect(a.stdout).toContain(`created    Deployment/${ns()}/web`);
    const again = await ferry('apply', file, ...env());
    expect(again.stdout).toMatch(/synced: store\/test, 0 write requests/);
    expect((await ferry('diff', file, ...env())).code).toBe(0);
  });

  it("status shows sync state and health per object, with the definition's custom status", async () => {
    const s = await ferry('status', write(app(web('nginx:1.27') + worker)), ...env(), '-o', 'json');
    expect(s.code).toBe(0);
    const objects = (
      JSON.parse(s.stdout) as { objects: { object: string; sync: string; health: string; message: string }[] }
    ).objects;
    expect(objects.find((o) => o.object === `Deployment/${ns()}/web`)).toMatchObject({
      sync: 'Synced',
      health: 'Healthy',
      message: 'Ready:2/2',
    });
    expect(objects.find((o) => o.object === `Service/${ns()}/web`)).toMatchObject({
      sync: 'Synced',
      health: 'Healthy',
    });
  });

  it("evaluates a custom definition's healthPolicy against the live object", async () => {
    writeFileSync(
      join(dir, 'definitions', 'flag.cue'),
      `flag: {
	type: "component"
	attributes: {
		workload: definition: {apiVersion: "v1", kind: "ConfigMap"}
		status: {
			healthPolicy: "isHealth: context.output.data.state == \\"ready\\""
			customStatus: "message: \\"state is \\\\(context.output.data.state)\\""
		}
	}
}
template: {
	output: {apiVersion: "v1", kind: "ConfigMap", data: state: parameter.state}
	parameter: state: string
}
`,
    );
    const flag = (state: string) => `    - name: flag\n      type: flag\n      properties: {state: ${state}}\n`;
    await ferry('apply', write(app(flag('starting'))), ...env());
    let s = JSON.parse((await ferry('status', join(dir, 'app.yaml'), ...env(), '-o', 'json')).stdout) as {
      objects: { object: string; health: string; message: string }[];
    };
    expect(s.objects.find((o) => o.object === `ConfigMap/${ns()}/flag`)).toMatchObject({
      health: 'Progressing',
      message: 'state is starting',
    });
    await ferry('apply', write(app(flag('ready'))), ...env());
    s = JSON.parse((await ferry('status', join(dir, 'app.yaml'), ...env(), '-o', 'json')).stdout);
    expect(s.objects.find((o) => o.object === `ConfigMap/${ns()}/flag`)).toMatchObject({
      health: 'Healthy',
      message: 'state is ready',
    });
  });

  it('a commit that fails to render prunes nothing', async () => {
    await ferry('apply', write(app(web('nginx:1.27') + worker)), ...env());
    const broken = write(app(web('nginx:1.27').replace('image: nginx:1.27', 'image: 42')));
    const r = await ferry('apply', broken, ...env(), '--prune');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/app\.yaml:\d+:\d+: component "web": invalid value for parameter "image"/);
    await apps.readNamespacedDeployment({ name: 'worker', namespace: ns() });
    await apps.readNamespacedDeployment({ name: 'web', namespace: ns() });
  });

  it('apply prints the render warnings on stderr and syncs; with --strict it refuses and writes nothing', async () => {
    const daemon = `    - name: agent
      type: daemon
      properties: {image: "fluentd:1.16"}
      traits:
        - type: expose
          properties: {port: [24224]}
`;
    const file = write(app(daemon).replace('name: store', 'name: warned'));
    const strict = await ferry('apply', file, ...env(), '--strict');
    expect(strict.code).toBe(1);
    expect(strict.stdout).toBe('');
    expect(strict.stderr).toMatch(/app\.yaml:\d+:\d+: component "agent", trait "expose": trait "expose" applies to/);
    await expect(apps.readNamespacedDaemonSet({ name: 'agent', namespace: ns() })).rejects.toThrow();
    const r = await ferry('apply', file, ...env());
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^warning: \S+app\.yaml:\d+:\d+: component "agent", trait "expose": .*\(--strict makes this an error\)\n$/,
    );
    expect(r.stdout).toContain(`created    DaemonSet/${ns()}/agent`);
  });

  it('apply keeps its inventory as ferry-inventory.cli.<app>.<env>, moving one an older apply left', async () => {
    const c = KubeCluster.fromFile(inject('kubeconfig'));
    const cm = (name: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: ns() },
      data: { a: '1' },
    });
    // What `ferry apply` did before the cli scope: objects and an inventory under the unscoped name.
    const before = await syncApp({
      scope: { app: 'legacy', env: 'test' },
      objects: [cm('legacy-a'), cm('legacy-b')],
      cluster: c,
    });
    expect(before.ok).toBe(true);
    const records = async () =>
      (await c.list('v1', 'ConfigMap', 'ferry-system', 'ferry.dev/app=legacy')).map((o) => o.metadata.name).sort();
    expect(await records()).toEqual(['ferry-inventory.legacy.test']);
    const file = write(`apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: legacy
spec:
  components:
    - name: objects
      type: k8s-objects
      properties:
        objects:
          - {apiVersion: v1, kind: ConfigMap, metadata: {name: legacy-a, namespace: ${ns()}}, data: {a: "1"}}
`);
    // diff reads the old inventory where it is (it writes nothing): legacy-b would be pruned.
    const d = await ferry('diff', file, ...env(), '--prune', '-o', 'json');
    expect(
      (JSON.parse(d.stdout) as { object: string; action: string }[]).map((x) => `${x.action} ${x.object}`),
    ).toContain(`delete ConfigMap/${ns()}/legacy-b`);
    expect(await records()).toEqual(['ferry-inventory.legacy.test']);
    // apply moves it to the cli name, and prunes by it.
    const r = await ferry('apply', file, ...env(), '--prune');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`deleted    ConfigMap/${ns()}/legacy-b`);
    expect(await records()).toEqual(['ferry-inventory.cli.legacy.test']);
    expect(
      await c.get({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        namespace: 'ferry-system',
        name: 'ferry-sync.legacy.test',
      }),
    ).toBeUndefined();
    const again = await ferry('apply', file, ...env(), '--prune');
    expect(again.stdout).toMatch(/synced: legacy\/test, 0 write requests/);
  });

  it('an unknown kind or a change to an immutable field is rejected, naming object and field; no write', async () => {
    const c = KubeCluster.fromFile(inject('kubeconfig'));
    const scope = { app: `immutable-${ns()}`, env: 'test' };
    const dep = (label: string): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'imm', namespace: ns() },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: label } },
        template: { metadata: { labels: { app: label } }, spec: { containers: [{ name: 'm', image: 'nginx:1.27' }] } },
      },
    });
    const cm = (v: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'imm-cm', namespace: ns() },
      data: { v },
    });
    expect((await syncApp({ scope, objects: [dep('a'), cm('1')], cluster: c })).ok).toBe(true);
    const immutable = await syncApp({ scope, objects: [dep('b'), cm('2')], cluster: c });
    expect(immutable.ok).toBe(false);
    expect(immutable.errors.join('\n')).toMatch(
      new RegExp(`Deployment/${ns()}/imm: .*field is immutable.*\\(field spec\\.selector\\)`),
    );
    const unknown = await syncApp({
      scope,
      objects: [
        dep('a'),
        cm('3'),
        { apiVersion: 'nope.ferry.dev/v1', kind: 'Nothing', metadata: { name: 'x', namespace: ns() } },
      ],
      cluster: c,
    });
    expect(unknown.ok).toBe(false);
    expect(unknown.errors.join('\n')).toMatch(/Nothing\/.*\/x: /);
    expect((await core.readNamespacedConfigMap({ name: 'imm-cm', namespace: ns() })).data).toEqual({ v: '1' });
    expect((await apps.readNamespacedDeployment({ name: 'imm', namespace: ns() })).spec?.selector.matchLabels).toEqual({
      app: 'a',
    });
  });
});

describe('API server stopped in the middle of an apply', () => {
  const name = `ferry-fault-${process.pid}`;
  let kubeconfig = '';
  beforeAll(async () => {
    kubeconfig = (await startCluster({ name, nodes: 1, timeoutSeconds: 300 })).kubeconfig;
  });
  afterAll(async () => {
    await stopCluster(name);
  });

  it('fails cleanly, and after a restart a re-run converges with nothing lost or duplicated', async () => {
    const scope = { app: 'fault', env: 'test' };
    const objects: KubeObject[] = Array.from({ length: 30 }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `cm-${i}`, namespace: 'default' },
      data: { i: String(i) },
    }));
    const real = KubeCluster.fromFile(kubeconfig);
    real.kubeconfig.getCurrentCluster();
    // The real cluster, with the API server killed just before the 10th object is applied.
    let applied = 0;
    const faulty = Object.create(real) as KubeCluster;
    faulty.apply = async (obj, opts) => {
      if (!opts?.dryRun && ++applied === 10) await killComponent(name, 'kube-apiserver');
      return real.apply(obj, opts);
    };
    const broken = await syncApp({ scope, objects, cluster: faulty });
    expect(broken.ok).toBe(false);
    expect(broken.errors.join('\n')).toMatch(/cannot reach the API server \((ECONNREFUSED|ECONNRESET)\)/);

    await restartComponent(name, 'kube-apiserver');
    const fresh = KubeCluster.fromFile(kubeconfig);
    const healed = await syncApp({ scope, objects, cluster: fresh, prune: true });
    expect(healed.errors).toEqual([]);
    const live = await fresh.list('v1', 'ConfigMap', 'default', 'ferry.dev/app=fault');
    expect(live.map((o) => o.metadata.name).sort()).toEqual(objects.map((o) => o.metadata.name).sort());
    const again = await syncApp({ scope, objects, cluster: KubeCluster.fromFile(kubeconfig) });
    expect(again.writes).toBe(0);
  });
});
