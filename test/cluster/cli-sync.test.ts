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

  it(
    'an unknown kind or a change to an immutable field is rejected, naming object and field, ' +
      'and nothing is written',
    async () => {
      const c = KubeCluster.fromFile(inject('kubeconfig'));
      const scope = { app: `immutable-${ns()}`, env: 'test' };
      const dep = (label: string): KubeObject => ({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'imm', namespace: ns() },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: label } },
          template: {
            metadata: { labels: { app: label } },
            spec: { containers: [{ name: 'm', image: 'nginx:1.27' }] },
          },
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
      expect(
        (await apps.readNamespacedDeployment({ name: 'imm', namespace: ns() })).spec?.selector.matchLabels,
      ).toEqual({
        app: 'a',
      });
    },
  );
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
