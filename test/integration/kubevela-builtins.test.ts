/**
 * KubeVela's own builtin definition files (../shared/conformance/kubevela/builtin-defs, byte-for-byte
 * from kubevela/kubevela vela-templates/definitions/internal), read unchanged at test time, rendered
 * through Ferry's CLI. Every expectation is worked out from the definition's CUE and KubeVela's
 * documented behaviour (the apps marked "KubeVela docs" are the definitions' documented examples,
 * references/docgen/def-doc/**.eg.md in kubevela/kubevela); none is taken from Ferry's own output.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceDir, ferry } from './helpers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
interface K8s {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Json;
  [field: string]: Json;
}

const builtinDefs = join(conformanceDir(), 'builtin-defs');
const defsOf = (kind: 'component' | 'trait' | 'policy' | 'workflowstep') => join(builtinDefs, kind);
const RENDER_DEFS = (['component', 'trait', 'policy'] as const).flatMap((k) => ['--definitions', defsOf(k)]);

let tmp = '';
let counter = 0;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ferry-kubevela-builtins-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

// ------------------------------------------------------------------ helpers

function application(name: string, components: unknown[], extra: Record<string, unknown> = {}, namespace = 'default') {
  return {
    apiVersion: 'core.oam.dev/v1beta1',
    kind: 'Application',
    metadata: { name, namespace },
    spec: { components, ...extra },
  };
}

/** A webservice component `web` (image nginx:1.25) with the given traits and extra properties. */
function web(traits: unknown[] = [], properties: Record<string, unknown> = {}) {
  return { name: 'web', type: 'webservice', properties: { image: 'nginx:1.25', ...properties }, traits };
}

function writeApp(app: unknown): { file: string; name: string } {
  const doc = (typeof app === 'string' ? parse(app) : app) as { metadata: { name: string } };
  const file = join(tmp, `app-${++counter}.yaml`);
  writeFileSync(file, typeof app === 'string' ? app : stringify(app));
  return { file, name: doc.metadata.name.trim() };
}

async function renderRaw(app: unknown, extraArgs: string[] = []) {
  const { file, name } = writeApp(app);
  return { ...(await ferry('render', file, ...RENDER_DEFS, ...extraArgs, '-o', 'json')), appName: name, file };
}

/**
 * Renders an app (object or YAML text) with KubeVela's builtin definitions; asserts success and well-formed objects.
 */
async function render(app: unknown, extraArgs: string[] = []): Promise<K8s[]> {
  const r = await renderRaw(app, extraArgs);
  expect(r.code, `render failed:\n${r.stderr}`).toBe(0);
  const objs = JSON.parse(r.stdout) as K8s[];
  expectWellFormed(objs, r.appName);
  return objs;
}

/** Every rendered object is a Kubernetes object: apiVersion, kind, a name, and the app's ownership label. */
function expectWellFormed(objs: K8s[], appName: string): void {
  expect(Array.isArray(objs)).toBe(true);
  expect(objs.length).toBeGreaterThan(0);
  for (const o of objs) {
    const what = JSON.stringify(o).slice(0, 300);
    expect(typeof o.apiVersion, `apiVersion of ${what}`).toBe('string');
    expect(o.apiVersion, `apiVersion of ${what}`).toMatch(/^[a-z0-9.-]+(\/[a-z0-9]+)?$|^v1$/);
    expect(typeof o.kind, `kind of ${what}`).toBe('string');
    expect(o.kind, `kind of ${what}`).toMatch(/^[A-Z][A-Za-z0-9]*$/);
    expect(o.metadata?.name, `metadata.name of ${what}`).toMatch(/\S/);
    expect(o.metadata?.labels?.['app.oam.dev/name'], `app.oam.dev/name label of ${what}`).toBe(appName);
    expect(o.metadata?.labels?.['app.oam.dev/component'], `app.oam.dev/component label of ${what}`).toMatch(/\S/);
  }
}

const ids = (objs: K8s[]) => objs.map((o) => `${o.apiVersion}/${o.kind}/${o.metadata?.name}`).join(', ');

/** The one object of this kind (and name). */
function one(objs: K8s[], kind: string, name?: string): K8s {
  const found = objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  expect(found.length, `exactly one ${kind}${name ? `/${name}` : ''} among: ${ids(objs)}`).toBe(1);
  return found[0]!;
}

function kinds(objs: K8s[]): string[] {
  return objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
}

const podSpec = (o: K8s): Json => o.spec?.template?.spec;
const containers = (o: K8s): Json[] => podSpec(o)?.containers ?? [];
function container(o: K8s, name: string): Json {
  const c = containers(o).find((x: Json) => x.name === name);
  expect(c, `container ${name} in ${JSON.stringify(containers(o).map((x: Json) => x.name))}`).toBeDefined();
  return c;
}

const workloadLabels = (appName: string, component: string, type: string) => ({
  'app.oam.dev/name': appName,
  'app.oam.dev/component': component,
  'workload.oam.dev/type': type,
  'app.oam.dev/resourceType': 'WORKLOAD',
});
const traitLabels = (appName: string, component: string, type: string, resource: string) => ({
  'app.oam.dev/name': appName,
  'app.oam.dev/component': component,
  'trait.oam.dev/type': type,
  'trait.oam.dev/resource': resource,
  'app.oam.dev/resourceType': 'TRAIT',
});
/** node-exporter's mount-point filter in KubeVela's docs example (a command trait argument). */
const IGNORED_MOUNT_POINTS = '^/(dev|proc|sys|var/lib/docker/.+|var/lib/kubelet/pods/.+)($|/)';
const podLabels = (appName: string, component: string) => ({
  'app.oam.dev/name': appName,
  'app.oam.dev/component': component,
});

/** The top-level definition name and its `type:` in a definition file. */
function declared(file: string): { name: string; type: string } {
  const src = readFileSync(file, 'utf8');
  const names = [...src.matchAll(/^"?([A-Za-z0-9][\w.-]*)"?\s*:\s*\{/gm)]
    .map((m) => m[1]!)
    .filter((n) => n !== 'template');
  const type = src.match(/^\s*type:\s*"(component|trait|policy|workflow-step)"/m)?.[1];
  expect(names[0], `definition name in ${file}`).toBeDefined();
  expect(type, `type in ${file}`).toBeDefined();
  return { name: names[0]!, type: type! };
}

// ------------------------------------------------------------------ the data itself

describe('the builtin definition files', () => {
  it('are all 78 of them, in their upstream folders', () => {
    const count = (['component', 'trait', 'policy', 'workflowstep'] as const).map(
      (k) => readdirSync(defsOf(k)).filter((f) => f.endsWith('.cue')).length,
    );
    expect(count).toEqual([9, 29, 9, 31]);
  });
});

// ------------------------------------------------------------------ loading: ferry def list

describe('every definition file loads (ferry def list --definitions <dir>)', () => {
  it.each(['component', 'trait', 'policy', 'workflowstep'] as const)('%s', async (kind) => {
    const dir = defsOf(kind);
    const r = await ferry('def', 'list', '--definitions', dir);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout
      .split('\n')
      .slice(1)
      .filter((l) => l.trim() !== '')
      .map((l) => l.trim().split(/\s+/))
      .map(([name, type, origin]) => ({ name, type, origin }));
    const files = readdirSync(dir).filter((f) => f.endsWith('.cue'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const d = declared(join(dir, f));
      expect(d.name, `${f} declares the definition named like the file`).toBe(basename(f, '.cue'));
      expect(rows, `${f} listed as a user definition`).toContainEqual({ name: d.name, type: d.type, origin: 'user' });
    }
  });
});

describe('policy and workflow-step files in a render', () => {
  it('topology + override policies through a deploy step: namespace, overridden image and trait', async () => {
    const objs = await render(
      application(
        'payments',
        [
          {
            name: 'api',
            type: 'webservice',
            properties: { image: 'example/api:1.0' },
            traits: [{ type: 'scaler', properties: { replicas: 1 } }],
          },
        ],
        {
          policies: [
            { name: 'prod', type: 'topology', properties: { clusters: ['local'], namespace: 'payments-prod' } },
            {
              name: 'prod-overrides',
              type: 'override',
              properties: {
                components: [
                  {
                    name: 'api',
                    properties: { image: 'example/api:1.1' },
                    traits: [{ type: 'scaler', properties: { replicas: 3 } }],
                  },
                ],
              },
            },
          ],
          workflow: {
            steps: [{ name: 'deploy-prod', type: 'deploy', properties: { policies: ['prod', 'prod-overrides'] } }],
          },
        },
        'payments',
      ),
      ['--definitions', defsOf('workflowstep'), '--env', 'deploy-prod'],
    );
    expect(kinds(objs)).toEqual(['Deployment/api']);
    const d = one(objs, 'Deployment', 'api');
    expect(d.metadata.namespace).toBe('payments-prod');
    expect(d.metadata.labels).toMatchObject({
      'app.oam.dev/namespace': 'payments',
      ...workloadLabels('payments', 'api', 'webservice'),
    });
    expect(d.spec.replicas).toBe(3);
    expect(containers(d)).toEqual([{ name: 'api', image: 'example/api:1.1' }]);
  });
});

// ------------------------------------------------------------------ components

describe('component definitions', () => {
  it('webservice: Deployment (container, ports, env, resources, probe, pod labels), a Service', async () => {
    const objs = await render(
      application('shop', [
        {
          name: 'web',
          type: 'webservice',
          properties: {
            image: 'nginx:1.25',
            cmd: ['nginx', '-g', 'daemon off;'],
            ports: [
              { port: 80, expose: true },
              { port: 9090, name: 'metrics' },
            ],
            env: [{ name: 'MODE', value: 'prod' }],
            cpu: '0.5',
            memory: '256Mi',
            labels: { tier: 'frontend' },
            readinessProbe: { httpGet: { path: '/healthz', port: 80 } },
          },
        },
      ]),
    );
    expect(kinds(objs)).toEqual(['Deployment/web', 'Service/web']);
    const d = one(objs, 'Deployment', 'web');
    expect(d.apiVersion).toBe('apps/v1');
    expect(d.metadata).toMatchObject({
      name: 'web',
      namespace: 'default',
      labels: workloadLabels('shop', 'web', 'webservice'),
    });
    expect(d.spec.selector).toEqual({ matchLabels: { 'app.oam.dev/component': 'web' } });
    expect(d.spec.replicas).toBeUndefined(); // webservice leaves replicas to the cluster (or the scaler trait)
    expect(d.spec.template.metadata.labels).toEqual({ tier: 'frontend', ...podLabels('shop', 'web') });
    expect(containers(d)).toEqual([
      {
        name: 'web',
        image: 'nginx:1.25',
        command: ['nginx', '-g', 'daemon off;'],
        ports: [
          { containerPort: 80, protocol: 'TCP', name: 'port-80' },
          { containerPort: 9090, protocol: 'TCP', name: 'metrics' },
        ],
        env: [{ name: 'MODE', value: 'prod' }],
        resources: { limits: { cpu: '0.5', memory: '256Mi' }, requests: { cpu: '0.5', memory: '256Mi' } },
        readinessProbe: {
          httpGet: { path: '/healthz', port: 80 },
          initialDelaySeconds: 0,
          periodSeconds: 10,
          timeoutSeconds: 1,
          successThreshold: 1,
          failureThreshold: 3,
        },
      },
    ]);
    const s = one(objs, 'Service', 'web');
    expect(s.apiVersion).toBe('v1');
    expect(s.metadata.labels).toMatchObject({
      'app.oam.dev/name': 'shop',
      'app.oam.dev/component': 'web',
      'trait.oam.dev/resource': 'webserviceExpose',
    });
    expect(s.spec).toEqual({
      selector: { 'app.oam.dev/component': 'web' },
      ports: [{ port: 80, targetPort: 80, name: 'port-80', protocol: 'TCP' }],
      type: 'ClusterIP',
    });
  });

  it('webservice (KubeVela docs): frontend with cmd, exposed 8080, cpu and two env entries', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: website
spec:
  components:
    - name: frontend
      type: webservice
      properties:
        image: oamdev/testapp:v1
        cmd: ["node", "server.js"]
        ports:
          - port: 8080
            expose: true
        cpu: "0.1"
        env:
          - name: FOO
            value: bar
          - name: FOO
            valueFrom:
              secretKeyRef:
                name: bar
                key: bar
`);
    const d = one(objs, 'Deployment', 'frontend');
    expect(container(d, 'frontend')).toEqual({
      name: 'frontend',
      image: 'oamdev/testapp:v1',
      command: ['node', 'server.js'],
      ports: [{ containerPort: 8080, protocol: 'TCP', name: 'port-8080' }],
      env: [
        { name: 'FOO', value: 'bar' },
        { name: 'FOO', valueFrom: { secretKeyRef: { name: 'bar', key: 'bar' } } },
      ],
      resources: { limits: { cpu: '0.1' }, requests: { cpu: '0.1' } },
    });
    expect(one(objs, 'Service', 'frontend').spec.ports).toEqual([
      { port: 8080, targetPort: 8080, name: 'port-8080', protocol: 'TCP' },
    ]);
  });

  it('worker (KubeVela docs): a Deployment with the command, and no Service', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: app-worker
spec:
  components:
    - name: myworker
      type: worker
      properties:
        image: "busybox"
        cmd:
          - sleep
          - "1000"
`);
    expect(kinds(objs)).toEqual(['Deployment/myworker']);
    const d = one(objs, 'Deployment', 'myworker');
    expect(d.apiVersion).toBe('apps/v1');
    expect(d.metadata.labels).toMatchObject(workloadLabels('app-worker', 'myworker', 'worker'));
    expect(d.spec.selector).toEqual({ matchLabels: { 'app.oam.dev/component': 'myworker' } });
    expect(d.spec.template.metadata.labels).toEqual(podLabels('app-worker', 'myworker'));
    expect(containers(d)).toEqual([{ name: 'myworker', image: 'busybox', command: ['sleep', '1000'] }]);
  });

  it('worker: env, imagePullSecrets and emptyDir volumeMounts', async () => {
    const objs = await render(
      application('queue', [
        {
          name: 'consumer',
          type: 'worker',
          properties: {
            image: 'ghcr.io/example/consumer:1.0',
            imagePullPolicy: 'IfNotPresent',
            imagePullSecrets: ['regcred'],
            env: [{ name: 'QUEUE', value: 'orders' }],
            volumeMounts: { emptyDir: [{ name: 'scratch', mountPath: '/scratch' }] },
          },
        },
      ]),
    );
    const d = one(objs, 'Deployment', 'consumer');
    expect(podSpec(d).imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(podSpec(d).volumes).toEqual([{ name: 'scratch', emptyDir: { medium: '' } }]);
    expect(container(d, 'consumer')).toEqual({
      name: 'consumer',
      image: 'ghcr.io/example/consumer:1.0',
      imagePullPolicy: 'IfNotPresent',
      env: [{ name: 'QUEUE', value: 'orders' }],
      volumeMounts: [{ mountPath: '/scratch', name: 'scratch' }],
    });
  });

  it('daemon: DaemonSet with ports, env and hostPath mounts; a Service for exposed ports', async () => {
    const objs = await render(
      application('nodes', [
        {
          name: 'agent',
          type: 'daemon',
          properties: {
            image: 'fluent/fluent-bit:2.2',
            ports: [{ port: 2020, expose: true }],
            env: [{ name: 'LOG_LEVEL', value: 'info' }],
            volumeMounts: { hostPath: [{ name: 'varlog', mountPath: '/var/log', path: '/var/log' }] },
          },
        },
      ]),
    );
    expect(kinds(objs)).toEqual(['DaemonSet/agent', 'Service/agent']);
    const ds = one(objs, 'DaemonSet', 'agent');
    expect(ds.apiVersion).toBe('apps/v1');
    expect(ds.metadata.labels).toMatchObject(workloadLabels('nodes', 'agent', 'daemon'));
    expect(ds.spec.selector).toEqual({ matchLabels: { 'app.oam.dev/component': 'agent' } });
    expect(ds.spec.template.metadata.labels).toEqual(podLabels('nodes', 'agent'));
    expect(containers(ds)).toEqual([
      {
        name: 'agent',
        image: 'fluent/fluent-bit:2.2',
        ports: [{ containerPort: 2020, protocol: 'TCP', name: 'port-2020' }],
        env: [{ name: 'LOG_LEVEL', value: 'info' }],
        volumeMounts: [{ mountPath: '/var/log', name: 'varlog' }],
      },
    ]);
    expect(podSpec(ds).volumes).toEqual([{ name: 'varlog', hostPath: { path: '/var/log' } }]);
    const s = one(objs, 'Service', 'agent');
    expect(s.apiVersion).toBe('v1');
    expect(s.spec).toEqual({
      selector: { 'app.oam.dev/component': 'agent' },
      ports: [{ port: 2020, targetPort: 2020, name: 'port-2020' }],
      type: 'ClusterIP',
    });
  });

  it('statefulset: StatefulSet with ports and cpu; a Service for exposed ports', async () => {
    const objs = await render(
      application('db', [
        {
          name: 'redis',
          type: 'statefulset',
          properties: { image: 'redis:7', ports: [{ port: 6379, expose: true }], cpu: '0.5' },
        },
      ]),
    );
    expect(kinds(objs)).toEqual(['Service/redis', 'StatefulSet/redis']);
    const st = one(objs, 'StatefulSet', 'redis');
    expect(st.apiVersion).toBe('apps/v1');
    expect(st.metadata.labels).toMatchObject(workloadLabels('db', 'redis', 'statefulset'));
    expect(st.spec.selector).toEqual({ matchLabels: { 'app.oam.dev/component': 'redis' } });
    expect(st.spec.template.metadata.labels).toEqual(podLabels('db', 'redis'));
    expect(containers(st)).toEqual([
      {
        name: 'redis',
        image: 'redis:7',
        ports: [{ containerPort: 6379, protocol: 'TCP', name: 'port-6379' }],
        resources: { limits: { cpu: '0.5' }, requests: { cpu: '0.5' } },
      },
    ]);
    expect(one(objs, 'Service', 'redis').spec).toEqual({
      selector: { 'app.oam.dev/component': 'redis' },
      ports: [{ port: 6379, targetPort: 6379, name: 'port-6379', protocol: 'TCP' }],
      type: 'ClusterIP',
    });
    expect(one(objs, 'Service', 'redis').metadata.labels).toMatchObject({
      'trait.oam.dev/resource': 'statefulsetsExpose',
    });
  });

  it('workload.oam.dev/type on the workload, not on auxiliary outputs (webservice, statefulset, …)', async () => {
    // KubeVela labels a component's other outputs as auxiliary workloads (trait.oam.dev/type: AuxiliaryWorkload)
    // and names the component type on the workload alone.
    const objs = await render(
      application('labels', [
        web([], { ports: [{ port: 80, expose: true }] }),
        { name: 'db', type: 'statefulset', properties: { image: 'redis:7', ports: [{ port: 6379, expose: true }] } },
        {
          name: 'raw',
          type: 'k8s-objects',
          properties: {
            objects: [
              { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'first' } },
              { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'second' } },
            ],
          },
        },
      ]),
    );
    const auxiliary = (component: string, resource: string) => ({
      'app.oam.dev/name': 'labels',
      'app.oam.dev/component': component,
      'trait.oam.dev/type': 'AuxiliaryWorkload',
      'trait.oam.dev/resource': resource,
      'app.oam.dev/resourceType': 'TRAIT',
    });
    const cases: [K8s, Record<string, string>, boolean][] = [
      [one(objs, 'Deployment', 'web'), workloadLabels('labels', 'web', 'webservice'), true],
      [one(objs, 'Service', 'web'), auxiliary('web', 'webserviceExpose'), false],
      [one(objs, 'StatefulSet', 'db'), workloadLabels('labels', 'db', 'statefulset'), true],
      [one(objs, 'Service', 'db'), auxiliary('db', 'statefulsetsExpose'), false],
      [one(objs, 'ConfigMap', 'first'), workloadLabels('labels', 'raw', 'k8s-objects'), true],
      [one(objs, 'ConfigMap', 'second'), auxiliary('raw', 'objects-1'), false],
    ];
    for (const [o, labels, isWorkload] of cases) {
      const what = `${o.kind}/${o.metadata.name}`;
      expect(o.metadata.labels, what).toMatchObject(labels);
      expect(o.metadata.labels?.['workload.oam.dev/type'], what).toBe(
        isWorkload ? labels['workload.oam.dev/type'] : undefined,
      );
    }
  });

  it('statefulset (KubeVela docs): postgres with scaler and a storage pvc', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: postgres
spec:
  components:
    - name: postgres
      type: statefulset
      properties:
        cpu: "1"
        exposeType: ClusterIP
        image: docker.io/library/postgres:16.4
        memory: 2Gi
        ports:
          - expose: true
            port: 5432
            protocol: TCP
        env:
        - name: POSTGRES_DB
          value: mydb
        - name: POSTGRES_USER
          value: postgres
        - name: POSTGRES_PASSWORD
          value: kvsecretpwd123
      traits:
        - type: scaler
          properties:
            replicas: 1
        - type: storage
          properties:
            pvc:
              - name: "postgresdb-pvc"
                storageClassName: local-path
                resources:
                  requests:
                    storage: "2Gi"
                mountPath: "/var/lib/postgresql/data"
`);
    expect(kinds(objs)).toEqual(['PersistentVolumeClaim/postgresdb-pvc', 'Service/postgres', 'StatefulSet/postgres']);
    const st = one(objs, 'StatefulSet', 'postgres');
    expect(st.apiVersion).toBe('apps/v1');
    expect(st.spec.replicas).toBe(1);
    const c = container(st, 'postgres');
    expect(c).toMatchObject({
      image: 'docker.io/library/postgres:16.4',
      ports: [{ containerPort: 5432, protocol: 'TCP', name: 'port-5432' }],
      env: [
        { name: 'POSTGRES_DB', value: 'mydb' },
        { name: 'POSTGRES_USER', value: 'postgres' },
        { name: 'POSTGRES_PASSWORD', value: 'kvsecretpwd123' },
      ],
      resources: { limits: { cpu: '1', memory: '2Gi' }, requests: { cpu: '1', memory: '2Gi' } },
    });
    expect(c.volumeMounts).toEqual([{ name: 'pvc-postgresdb-pvc', mountPath: '/var/lib/postgresql/data' }]);
    expect(podSpec(st).volumes).toEqual([
      { name: 'pvc-postgresdb-pvc', persistentVolumeClaim: { claimName: 'postgresdb-pvc' } },
    ]);
    const pvc = one(objs, 'PersistentVolumeClaim', 'postgresdb-pvc');
    expect(pvc.apiVersion).toBe('v1');
    expect(pvc.metadata.labels).toMatchObject(traitLabels('postgres', 'postgres', 'storage', 'pvc-postgresdb-pvc'));
    expect(pvc.spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      volumeMode: 'Filesystem',
      storageClassName: 'local-path',
      resources: { requests: { storage: '2Gi' } },
    });
    expect(one(objs, 'Service', 'postgres').spec.ports).toEqual([
      { port: 5432, targetPort: 5432, name: 'port-5432', protocol: 'TCP' },
    ]);
  });

  it('task: a batch/v1 Job named <app>-<component> with count, restart policy and command', async () => {
    const objs = await render(
      application('batch', [
        {
          name: 'migrate',
          type: 'task',
          properties: { image: 'busybox', cmd: ['sh', '-c', 'echo done'], count: 2, restart: 'OnFailure' },
        },
      ]),
    );
    expect(kinds(objs)).toEqual(['Job/batch-migrate']);
    const j = one(objs, 'Job', 'batch-migrate');
    expect(j.apiVersion).toBe('batch/v1');
    expect(j.metadata.labels).toMatchObject(workloadLabels('batch', 'migrate', 'task'));
    expect(j.spec).toEqual({
      parallelism: 2,
      completions: 2,
      template: {
        metadata: { labels: podLabels('batch', 'migrate') },
        spec: {
          restartPolicy: 'OnFailure',
          containers: [{ name: 'migrate', image: 'busybox', command: ['sh', '-c', 'echo done'] }],
        },
      },
    });
  });

  it('cron-task: a batch/v1 CronJob (cluster >= 1.25) with schedule, history limits and the job template', async () => {
    const objs = await render(
      application('reports', [
        {
          name: 'nightly',
          type: 'cron-task',
          properties: {
            schedule: '0 2 * * *',
            image: 'busybox',
            cmd: ['sh', '-c', 'date'],
            ttlSecondsAfterFinished: 600,
          },
        },
      ]),
    );
    expect(kinds(objs)).toEqual(['CronJob/nightly']);
    const cj = one(objs, 'CronJob', 'nightly');
    expect(cj.apiVersion).toBe('batch/v1');
    expect(cj.metadata.labels).toMatchObject(workloadLabels('reports', 'nightly', 'cron-task'));
    expect(cj.spec).toEqual({
      schedule: '0 2 * * *',
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: {
        metadata: { labels: podLabels('reports', 'nightly') },
        spec: {
          parallelism: 1,
          completions: 1,
          ttlSecondsAfterFinished: 600,
          backoffLimit: 6,
          template: {
            metadata: { labels: podLabels('reports', 'nightly') },
            spec: {
              restartPolicy: 'Never',
              containers: [{ name: 'nightly', image: 'busybox', command: ['sh', '-c', 'date'] }],
            },
          },
        },
      },
    });
  });

  it('k8s-objects (KubeVela docs, plus a second object): the first is the workload, the others outputs', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: app-raw
spec:
  components:
    - name: myjob
      type: k8s-objects
      properties:
        objects:
        - apiVersion: batch/v1
          kind: Job
          metadata:
            name: pi
          spec:
            template:
              spec:
                containers:
                - name: pi
                  image: perl
                  command: ["perl",  "-Mbignum=bpi", "-wle", "print bpi(2000)"]
                restartPolicy: Never
            backoffLimit: 4
        - apiVersion: v1
          kind: ConfigMap
          metadata:
            name: pi-config
          data:
            digits: "2000"
`);
    expect(kinds(objs)).toEqual(['ConfigMap/pi-config', 'Job/pi']);
    const j = one(objs, 'Job', 'pi');
    expect(j.apiVersion).toBe('batch/v1');
    expect(j.metadata.labels).toMatchObject(workloadLabels('app-raw', 'myjob', 'k8s-objects'));
    expect(j.spec).toEqual({
      template: {
        spec: {
          containers: [{ name: 'pi', image: 'perl', command: ['perl', '-Mbignum=bpi', '-wle', 'print bpi(2000)'] }],
          restartPolicy: 'Never',
        },
      },
      backoffLimit: 4,
    });
    const cm = one(objs, 'ConfigMap', 'pi-config');
    expect(cm.apiVersion).toBe('v1');
    expect(cm.data).toEqual({ digits: '2000' });
    expect(cm.metadata.labels).toMatchObject({
      'app.oam.dev/component': 'myjob',
      'trait.oam.dev/resource': 'objects-1',
    });
  });

  it('helmchart (KubeVela docs): needs the vela/helm provider, a located not-supported error offline', async () => {
    const r = await renderRaw(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: app-helmchart
spec:
  components:
    - name: my-chart
      type: helmchart
      properties:
        chart:
          source: podinfo
          repoURL: https://stefanprodan.github.io/podinfo
          version: "6.11.1"
        release:
          name: podinfo
          namespace: default
        values:
          replicaCount: 2
          resources:
            limits:
              memory: 256Mi
              cpu: 100m
        options:
          createNamespace: true
          includeCRDs: true
          skipTests: true
`);
    // The chart is fetched by KubeVela's helm provider (vela/helm), which only its controller has: a located
    // "not supported" error naming the package, no partial output (README: definitions that cannot render offline).
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /:9:13: component "my-chart": not supported by Ferry: component "helmchart" imports KubeVela's runtime package /,
    );
    expect(r.stderr).toMatch(/runtime package "vela\/helm"/);
    expect(r.stderr).toMatch(/helmchart\.cue:\d+:\d+\)/);
  });

  it('ref-objects (KubeVela docs): reads live objects, a located not-supported error offline', async () => {
    const r = await renderRaw(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: ref-objects-example
  namespace: examples
spec:
  components:
    - name: image-pull-secrets
      type: ref-objects
      properties:
        objects:
          - resource: secret
            name: image-credential-to-copy
`);
    // KubeVela reads secret/image-credential-to-copy from the live cluster and dispatches a copy; a render
    // cannot, and must never print the selector ({resource, name}) as if it were an object.
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /:10:13: component "image-pull-secrets": not supported by Ferry: component type "ref-objects" reads the objects /,
    );
    expect(r.stderr).toMatch(/component type "ref-objects" reads the objects it references from the live cluster/);
  });
});

// ------------------------------------------------------------------ traits

describe('trait definitions', () => {
  it('affinity (KubeVela docs): preferred podAffinity with the labelSelector operator default', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: busybox
spec:
  components:
    - name: busybox
      type: webservice
      properties:
        image: busybox
        cmd: ["sleep", "86400"]
        labels:
          label-key: label-value
          to-delete-label-key: to-delete-label-value
      traits:
        - type: affinity
          properties:
            podAffinity:
              preferred:
                - weight: 1
                  podAffinityTerm:
                    labelSelector:
                      matchExpressions:
                        - key: "secrity"
                          values: ["S1"]
                    namespaces: ["default"]
                    topologyKey: "kubernetes.io/hostname"
`);
    const d = one(objs, 'Deployment', 'busybox');
    expect(d.spec.template.metadata.labels).toEqual({
      'label-key': 'label-value',
      'to-delete-label-key': 'to-delete-label-value',
      ...podLabels('busybox', 'busybox'),
    });
    expect(podSpec(d).affinity).toEqual({
      podAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 1,
            podAffinityTerm: {
              labelSelector: { matchExpressions: [{ key: 'secrity', operator: 'In', values: ['S1'] }] },
              namespaces: ['default'],
              topologyKey: 'kubernetes.io/hostname',
            },
          },
        ],
      },
    });
  });

  it('affinity: required node affinity, pod anti-affinity and tolerations', async () => {
    const objs = await render(
      application('sched', [
        web([
          {
            type: 'affinity',
            properties: {
              nodeAffinity: {
                required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disktype', values: ['ssd'] }] }] },
              },
              podAntiAffinity: {
                required: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }],
              },
              tolerations: [
                { key: 'dedicated', value: 'web', effect: 'NoSchedule' },
                { operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
              ],
            },
          },
        ]),
      ]),
    );
    const spec = podSpec(one(objs, 'Deployment', 'web'));
    expect(spec.affinity).toEqual({
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'disktype', operator: 'In', values: ['ssd'] }] }],
        },
      },
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' },
        ],
      },
    });
    expect(spec.tolerations).toEqual([
      { key: 'dedicated', value: 'web', effect: 'NoSchedule', operator: 'Equal' },
      { operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
    ]);
  });

  it('labels + annotations (KubeVela docs): on the workload and its pod template, KubeVela labels kept', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: myapp
spec:
  components:
    - name: express-server
      type: webservice
      properties:
        image: crccheck/hello-world
        port: 8000
      traits:
        - type: labels
          properties:
            "release": "stable"
        - type: annotations
          properties:
            "description": "web application"
`);
    expect(kinds(objs)).toEqual(['Deployment/express-server']);
    const d = one(objs, 'Deployment', 'express-server');
    expect(d.apiVersion).toBe('apps/v1');
    expect(d.metadata.labels).toMatchObject({
      release: 'stable',
      ...workloadLabels('myapp', 'express-server', 'webservice'),
    });
    expect(d.metadata.annotations).toMatchObject({ description: 'web application' });
    expect(d.spec.template.metadata.labels).toEqual({ release: 'stable', ...podLabels('myapp', 'express-server') });
    expect(d.spec.template.metadata.annotations).toEqual({ description: 'web application' });
    expect(container(d, 'express-server').ports).toEqual([{ containerPort: 8000 }]);
  });

  it('labels + annotations on a cron-task: annotations reach the job template and its pod template', async () => {
    const objs = await render(
      application('reports', [
        {
          name: 'nightly',
          type: 'cron-task',
          properties: { schedule: '0 2 * * *', image: 'busybox' },
          traits: [
            { type: 'labels', properties: { team: 'data' } },
            { type: 'annotations', properties: { 'owner.example.com/email': 'data@example.com' } },
          ],
        },
      ]),
    );
    const cj = one(objs, 'CronJob', 'nightly');
    expect(cj.apiVersion).toBe('batch/v1');
    expect(cj.metadata.labels).toMatchObject({ team: 'data', ...workloadLabels('reports', 'nightly', 'cron-task') });
    expect(cj.metadata.annotations).toMatchObject({ 'owner.example.com/email': 'data@example.com' });
    expect(cj.spec.template).toBeUndefined(); // a CronJob has no spec.template: the labels trait adds none
    expect(cj.spec.jobTemplate.metadata.annotations).toEqual({ 'owner.example.com/email': 'data@example.com' });
    expect(cj.spec.jobTemplate.spec.template.metadata.annotations).toEqual({
      'owner.example.com/email': 'data@example.com',
    });
  });

  it('command (KubeVela docs): per-container command and args, next to a sidecar', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: busybox
spec:
  components:
    - name: busybox
      type: webservice
      properties:
        image: busybox
        cmd: ["sleep", "86400"]
      traits:
        - type: sidecar
          properties:
            name: sidecar-nginx
            image: nginx
        - type: command
          properties:
            containers:
              - containerName: busybox
                command: ["sleep", "8640000"]
              - containerName: sidecar-nginx
                args: ["-q"]
`);
    const d = one(objs, 'Deployment', 'busybox');
    expect(containers(d).map((c: Json) => c.name)).toEqual(['busybox', 'sidecar-nginx']);
    const main = container(d, 'busybox');
    expect(main.command).toEqual(['sleep', '8640000']);
    expect(main.args ?? []).toEqual([]);
    const side = container(d, 'sidecar-nginx');
    expect(side).toMatchObject({ image: 'nginx', args: ['-q'] });
    expect(side.command).toBeUndefined();
  });

  it('command: addArgs / delArgs edit the existing args', async () => {
    const objs = await render(
      application('cli', [
        web([{ type: 'command', properties: { addArgs: ['--c'], delArgs: ['--a'] } }], { args: ['--a', '--b'] }),
      ]),
    );
    const c = container(one(objs, 'Deployment', 'web'), 'web');
    expect(c.args).toEqual(['--b', '--c']);
    expect(c.command).toBeUndefined();
  });

  it('container-image: sets image and pull policy of the component container', async () => {
    const objs = await render(
      application('img', [
        web([{ type: 'container-image', properties: { image: 'nginx:1.26', imagePullPolicy: 'Always' } }], {
          image: 'nginx:1.24',
        }),
      ]),
    );
    expect(container(one(objs, 'Deployment', 'web'), 'web')).toEqual({
      name: 'web',
      image: 'nginx:1.26',
      imagePullPolicy: 'Always',
    });
  });

  it('container-image (KubeVela docs): several containers', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: busybox
spec:
  components:
    - name: busybox
      type: webservice
      properties:
        image: busybox
        cmd: ["sleep", "86400"]
      traits:
        - type: sidecar
          properties:
            name: sidecar-nginx
            image: nginx
        - type: container-image
          properties:
            containers:
              - containerName: busybox
                image: busybox-1.34.0
                imagePullPolicy: IfNotPresent
              - containerName: sidecar-nginx
                image: nginx-1.20
`);
    const d = one(objs, 'Deployment', 'busybox');
    expect(container(d, 'busybox')).toEqual({
      name: 'busybox',
      image: 'busybox-1.34.0',
      imagePullPolicy: 'IfNotPresent',
      command: ['sleep', '86400'],
    });
    expect(container(d, 'sidecar-nginx')).toEqual({ name: 'sidecar-nginx', image: 'nginx-1.20' });
  });

  it('container-ports (KubeVela docs): hostPort on a matching port, other ports kept', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: busybox
spec:
  components:
    - name: busybox
      type: webservice
      properties:
        cpu: "0.5"
        exposeType: ClusterIP
        image: busybox
        memory: 1024Mi
        ports:
          - expose: false
            port: 80
            protocol: TCP
          - expose: false
            port: 801
            protocol: TCP
      traits:
        - type: container-ports
          properties:
            containers:
              - containerName: busybox
                ports:
                  - containerPort: 80
                    protocol: TCP
                    hostPort: 8080
`);
    expect(kinds(objs)).toEqual(['Deployment/busybox']); // no port is exposed: no Service
    const c = container(one(objs, 'Deployment', 'busybox'), 'busybox');
    expect(c.ports).toEqual([
      { containerPort: 80, protocol: 'TCP', name: 'port-80', hostPort: 8080 },
      { containerPort: 801, protocol: 'TCP', name: 'port-801' },
    ]);
    expect(c.resources).toEqual({
      limits: { cpu: '0.5', memory: '1024Mi' },
      requests: { cpu: '0.5', memory: '1024Mi' },
    });
  });

  it('container-ports: adds ports to a container that has none', async () => {
    const objs = await render(
      application('ports', [
        web([
          {
            type: 'container-ports',
            properties: { ports: [{ containerPort: 53, protocol: 'UDP', hostPort: 5353, hostIP: '127.0.0.1' }] },
          },
        ]),
      ]),
    );
    expect(container(one(objs, 'Deployment', 'web'), 'web').ports).toEqual([
      { containerPort: 53, protocol: 'UDP', hostPort: 5353, hostIP: '127.0.0.1' },
    ]);
  });

  it('cpuscaler: an autoscaling/v1 HorizontalPodAutoscaler targeting the Deployment', async () => {
    const objs = await render(
      application('scale', [web([{ type: 'cpuscaler', properties: { min: 2, max: 5, cpuUtil: 70 } }])]),
    );
    expect(kinds(objs)).toEqual(['Deployment/web', 'HorizontalPodAutoscaler/web']);
    const hpa = one(objs, 'HorizontalPodAutoscaler', 'web');
    expect(hpa.apiVersion).toBe('autoscaling/v1');
    expect(hpa.metadata.labels).toMatchObject(traitLabels('scale', 'web', 'cpuscaler', 'cpuscaler'));
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 2,
      maxReplicas: 5,
      targetCPUUtilizationPercentage: 70,
    });
  });

  it('cpuscaler (KubeVela docs): an unknown property (cpuPercent) is ignored, defaults apply', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: website
spec:
  components:
    - name: frontend
      type: webservice
      properties:
        image: nginx
      traits:
        - type: cpuscaler
          properties:
            min: 1
            max: 10
            cpuPercent: 60
`);
    expect(one(objs, 'HorizontalPodAutoscaler', 'frontend').spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'frontend' },
      minReplicas: 1,
      maxReplicas: 10,
      targetCPUUtilizationPercentage: 50,
    });
  });

  it('env: merges into existing env (overrides by name, appends new keys sorted)', async () => {
    const objs = await render(
      application('envs', [
        web([{ type: 'env', properties: { env: { ZED: 'z', MODE: 'debug', ALPHA: 'a' } } }], {
          env: [
            { name: 'MODE', value: 'prod' },
            { name: 'KEEP', value: 'k' },
          ],
        }),
      ]),
    );
    expect(container(one(objs, 'Deployment', 'web'), 'web').env).toEqual([
      { name: 'MODE', value: 'debug' },
      { name: 'KEEP', value: 'k' },
      { name: 'ALPHA', value: 'a' },
      { name: 'ZED', value: 'z' },
    ]);
  });

  it('env: unset removes variables; replace drops the others', async () => {
    const base = {
      env: [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ],
    };
    const unset = await render(
      application('envs', [web([{ type: 'env', properties: { unset: ['A'], env: { C: '3' } } }], base)]),
    );
    expect(container(one(unset, 'Deployment', 'web'), 'web').env).toEqual([
      { name: 'B', value: '2' },
      { name: 'C', value: '3' },
    ]);
    const replace = await render(
      application('envs', [web([{ type: 'env', properties: { replace: true, env: { B: 'x', D: '4' } } }], base)]),
    );
    expect(container(one(replace, 'Deployment', 'web'), 'web').env).toEqual([
      { name: 'B', value: 'x' },
      { name: 'D', value: '4' },
    ]);
  });

  it('env (KubeVela docs): env for several containers', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: busybox
spec:
  components:
    - name: busybox
      type: webservice
      properties:
        image: busybox
        cmd: ["sleep", "86400"]
      traits:
        - type: sidecar
          properties:
            name: sidecar-nginx
            image: nginx
        - type: env
          properties:
            containers:
              - containerName: busybox
                env:
                  key_for_busybox_first: value_first
                  key_for_busybox_second: value_second
              - containerName: sidecar-nginx
                env:
                  key_for_nginx_first: value_first
                  key_for_nginx_second: value_second
`);
    const d = one(objs, 'Deployment', 'busybox');
    expect(container(d, 'busybox').env).toEqual([
      { name: 'key_for_busybox_first', value: 'value_first' },
      { name: 'key_for_busybox_second', value: 'value_second' },
    ]);
    expect(container(d, 'sidecar-nginx').env).toEqual([
      { name: 'key_for_nginx_first', value: 'value_first' },
      { name: 'key_for_nginx_second', value: 'value_second' },
    ]);
  });

  it('expose (KubeVela docs): a ClusterIP Service for the listed ports', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: test-app
spec:
  components:
    - name: hello-world
      type: webservice
      properties:
        image: crccheck/hello-world
      traits:
        - type: expose
          properties:
            port: [8000]
`);
    expect(kinds(objs)).toEqual(['Deployment/hello-world', 'Service/hello-world']);
    const s = one(objs, 'Service', 'hello-world');
    expect(s.apiVersion).toBe('v1');
    expect(s.metadata.labels).toMatchObject(traitLabels('test-app', 'hello-world', 'expose', 'service'));
    expect(s.spec).toEqual({
      selector: { 'app.oam.dev/component': 'hello-world' },
      ports: [{ name: 'port-8000', port: 8000, targetPort: 8000 }],
      type: 'ClusterIP',
    });
  });

  it('expose: ports with protocols, NodePort, annotations and matchLabels', async () => {
    const objs = await render(
      application('edge', [
        web([
          {
            type: 'expose',
            properties: {
              ports: [{ port: 80 }, { port: 53, protocol: 'UDP', nodePort: 30053 }],
              type: 'NodePort',
              annotations: { 'service.example.com/lb': 'internal' },
              matchLabels: { app: 'edge' },
            },
          },
        ]),
      ]),
    );
    const s = one(objs, 'Service', 'web');
    expect(s.metadata.annotations).toMatchObject({ 'service.example.com/lb': 'internal' });
    expect(s.spec).toEqual({
      selector: { app: 'edge' },
      ports: [
        { port: 80, targetPort: 80, name: 'port-80', protocol: 'TCP' },
        { port: 53, targetPort: 53, name: 'port-53-udp', nodePort: 30053, protocol: 'UDP' },
      ],
      type: 'NodePort',
    });
  });

  it('gateway (KubeVela docs): a Service and a networking.k8s.io/v1 Ingress', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: first-vela-app
spec:
  components:
    - name: express-server
      type: webservice
      properties:
        image: oamdev/hello-world
        port: 8000
      traits:
        - type: gateway
          properties:
            domain: testsvc.example.com
            http:
              "/": 8000
`);
    expect(kinds(objs)).toEqual(['Deployment/express-server', 'Ingress/express-server', 'Service/express-server']);
    const s = one(objs, 'Service', 'express-server');
    expect(s.metadata.labels).toMatchObject(traitLabels('first-vela-app', 'express-server', 'gateway', 'service'));
    expect(s.spec).toEqual({
      selector: { 'app.oam.dev/component': 'express-server' },
      ports: [{ name: 'port-8000', port: 8000, targetPort: 8000 }],
    });
    const ing = one(objs, 'Ingress', 'express-server');
    expect(ing.apiVersion).toBe('networking.k8s.io/v1');
    expect(ing.metadata.labels).toMatchObject(traitLabels('first-vela-app', 'express-server', 'gateway', 'ingress'));
    expect(ing.metadata.annotations).toEqual({ 'kubernetes.io/ingress.class': 'nginx' });
    expect(ing.spec).toEqual({
      rules: [
        {
          host: 'testsvc.example.com',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'ImplementationSpecific',
                backend: { service: { name: 'express-server', port: { number: 8000 } } },
              },
            ],
          },
        },
      ],
    });
  });

  it('gateway: named, class in spec, TLS', async () => {
    const objs = await render(
      application('api', [
        web(
          [
            {
              type: 'gateway',
              properties: {
                name: 'public',
                domain: 'api.example.com',
                http: { '/api': 8080 },
                classInSpec: true,
                class: 'traefik',
                secretName: 'api-tls',
                pathType: 'Prefix',
              },
            },
          ],
          {
            ports: [{ port: 8080 }],
          },
        ),
      ]),
    );
    expect(kinds(objs)).toEqual(['Deployment/web', 'Ingress/web-public', 'Service/web-public']);
    expect(one(objs, 'Service', 'web-public').metadata.labels).toMatchObject({
      'trait.oam.dev/resource': 'service-public',
    });
    const ing = one(objs, 'Ingress', 'web-public');
    expect(ing.metadata.labels).toMatchObject({ 'trait.oam.dev/resource': 'ingress-public' });
    expect(ing.metadata.annotations?.['kubernetes.io/ingress.class']).toBeUndefined();
    expect(ing.spec).toEqual({
      ingressClassName: 'traefik',
      tls: [{ hosts: ['api.example.com'], secretName: 'api-tls' }],
      rules: [
        {
          host: 'api.example.com',
          http: {
            paths: [
              {
                path: '/api',
                pathType: 'Prefix',
                backend: { service: { name: 'web-public', port: { number: 8080 } } },
              },
            ],
          },
        },
      ],
    });
  });

  it('hostalias (KubeVela docs): hostAliases on a worker pod', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: application-with-hostalias
spec:
  components:
    - name: busybox-runner
      type: worker
      properties:
        image: busybox
        cmd:
          - sleep
          - '1000'
      traits:
        - type: hostalias
          properties:
            hostAliases:
              - ip: 127.0.0.1
                hostnames:
                  - localname
                  - locals
`);
    expect(podSpec(one(objs, 'Deployment', 'busybox-runner')).hostAliases).toEqual([
      { ip: '127.0.0.1', hostnames: ['localname', 'locals'] },
    ]);
  });

  it('hpa (KubeVela docs): autoscaling/v2 with cpu, memory and pod metrics, beside scaler and apply-once', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: helloworld
spec:
  components:
    - name: helloworld
      type: webservice
      properties:
        cpu: "0.5"
        exposeType: ClusterIP
        image: oamdev/hello-world
        memory: 1024Mi
        ports:
          - expose: true
            port: 80
            protocol: TCP
      traits:
        - type: scaler
          properties:
            replicas: 1
        - type: hpa
          properties:
            targetAPIVersion: apps/v1
            targetKind: Deployment
            max: 10
            min: 1
            cpu:
              type: Utilization
              value: 80
            mem:
              type: AverageValue
              value: 90
            podCustomMetrics:
              - name: pod_net_received_rate
                value: "77"
              - name: pod_net_transmitted_rate
                value: "88"
              - name: pod_net_received_packets_rate
                value: "95"
              - name: pod_net_transmitted_packets_rate
                value: "99"
  policies:
    - name: apply-once
      type: apply-once
      properties:
        enable: true
        rules:
          - strategy:
              path: ["spec.replicas"]
            selector:
              resourceTypes: ["Deployment","StatefulSet"]
`);
    expect(kinds(objs)).toEqual(['Deployment/helloworld', 'HorizontalPodAutoscaler/helloworld', 'Service/helloworld']);
    expect(one(objs, 'Deployment', 'helloworld').spec.replicas).toBe(1);
    const hpa = one(objs, 'HorizontalPodAutoscaler', 'helloworld');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.metadata.labels).toMatchObject(traitLabels('helloworld', 'helloworld', 'hpa', 'hpa'));
    const pods = (name: string, value: string) => ({
      type: 'Pods',
      pods: { metric: { name }, target: { type: 'AverageValue', averageValue: value } },
    });
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'helloworld' },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: 90 } } },
        pods('pod_net_received_rate', '77'),
        pods('pod_net_transmitted_rate', '88'),
        pods('pod_net_received_packets_rate', '95'),
        pods('pod_net_transmitted_packets_rate', '99'),
      ],
    });
  });

  it('hpa: defaults give one cpu Utilization 50 metric', async () => {
    const objs = await render(application('auto', [web([{ type: 'hpa', properties: { max: 5 } }])]));
    const hpa = one(objs, 'HorizontalPodAutoscaler', 'web');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 1,
      maxReplicas: 5,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
      ],
    });
  });

  it('init-container (KubeVela docs): an init container sharing an emptyDir with the app container', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: busybox
spec:
  components:
    - name: busybox
      type: webservice
      properties:
        image: busybox
        cmd: ["sleep", "86400"]
      traits:
        - type: init-container
          properties:
            name: init-busybox
            image: busybox
            cmd: ["echo", "hello"]
            initMountPath: /data
            appMountPath: /data-initialized
`);
    const d = one(objs, 'Deployment', 'busybox');
    expect(podSpec(d).initContainers).toEqual([
      {
        name: 'init-busybox',
        image: 'busybox',
        imagePullPolicy: 'IfNotPresent',
        command: ['echo', 'hello'],
        volumeMounts: [{ name: 'workdir', mountPath: '/data' }],
      },
    ]);
    expect(container(d, 'busybox').volumeMounts).toEqual([{ name: 'workdir', mountPath: '/data-initialized' }]);
    expect(podSpec(d).volumes).toEqual([{ name: 'workdir', emptyDir: {} }]);
  });

  it('json-merge-patch (KubeVela docs): RFC 7396 add, replace, delete (null) and list replacement', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: busybox
spec:
  components:
    - name: busybox
      type: webservice
      properties:
        image: busybox
        cmd: ["sleep", "86400"]
        labels:
          pod-label-key: pod-label-value
          to-delete-label-key: to-delete-label-value
      traits:
        - type: json-merge-patch
          properties:
            metadata:
              labels:
                deploy-label-key: deploy-label-added-value
            spec:
              replicas: 3
              template:
                metadata:
                  labels:
                    pod-label-key: pod-label-modified-value
                    to-delete-label-key: null
                spec:
                  containers:
                    - name: busybox-new
                      image: busybox:1.34
                      command: ["sleep", "864000"]
`);
    const d = one(objs, 'Deployment', 'busybox');
    expect(d.apiVersion).toBe('apps/v1');
    expect(d.metadata.labels).toMatchObject({
      'deploy-label-key': 'deploy-label-added-value',
      ...workloadLabels('busybox', 'busybox', 'webservice'),
    });
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.template.metadata.labels).toEqual({
      'pod-label-key': 'pod-label-modified-value',
      ...podLabels('busybox', 'busybox'),
    });
    expect(containers(d)).toEqual([{ name: 'busybox-new', image: 'busybox:1.34', command: ['sleep', '864000'] }]);
  });

  it('json-patch (KubeVela docs): RFC 6902 add, replace, remove and add into a list', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: busybox
spec:
  components:
    - name: busybox
      type: webservice
      properties:
        image: busybox
        cmd: ["sleep", "86400"]
        labels:
          pod-label-key: pod-label-value
          to-delete-label-key: to-delete-label-value
      traits:
        - type: json-patch
          properties:
            operations:
              - op: add
                path: "/spec/replicas"
                value: 3
              - op: replace
                path: "/spec/template/metadata/labels/pod-label-key"
                value: pod-label-modified-value
              - op: remove
                path: "/spec/template/metadata/labels/to-delete-label-key"
              - op: add
                path: "/spec/template/spec/containers/1"
                value:
                  name: busybox-sidecar
                  image: busybox:1.34
                  command: ["sleep", "864000"]
`);
    const d = one(objs, 'Deployment', 'busybox');
    expect(d.apiVersion).toBe('apps/v1');
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.template.metadata.labels).toEqual({
      'pod-label-key': 'pod-label-modified-value',
      ...podLabels('busybox', 'busybox'),
    });
    expect(containers(d)).toEqual([
      { name: 'busybox', image: 'busybox', command: ['sleep', '86400'] },
      { name: 'busybox-sidecar', image: 'busybox:1.34', command: ['sleep', '864000'] },
    ]);
  });

  it('k8s-update-strategy (KubeVela docs): RollingUpdate strategy on a scaled Deployment', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: application-with-update-strategy
spec:
  components:
    - name: helloworld
      type: webservice
      properties:
        cpu: "0.5"
        exposeType: ClusterIP
        image: oamdev/hello-world:latest
        memory: 1024Mi
        ports:
          - expose: true
            port: 80
            protocol: TCP
      traits:
        - type: scaler
          properties:
            replicas: 5
        - type: k8s-update-strategy
          properties:
            targetAPIVersion: apps/v1
            targetKind: Deployment
            strategy:
              type: RollingUpdate
              rollingStrategy:
                maxSurge: 20%
                maxUnavailable: 30%
`);
    const d = one(objs, 'Deployment', 'helloworld');
    expect(d.spec.replicas).toBe(5);
    expect(d.spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: '20%', maxUnavailable: '30%' },
    });
  });

  it('k8s-update-strategy + command + expose + resource on a daemon (KubeVela docs: node-exporter)', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: application-node-exporter
spec:
  components:
    - name: node-exporter
      type: daemon
      properties:
        image: prom/node-exporter
        imagePullPolicy: IfNotPresent
        volumeMounts:
          hostPath:
            - mountPath: /host/sys
              mountPropagation: HostToContainer
              name: sys
              path: /sys
              readOnly: true
            - mountPath: /host/root
              mountPropagation: HostToContainer
              name: root
              path: /
              readOnly: true
      traits:
        - properties:
            args:
              - --path.sysfs=/host/sys
              - --path.rootfs=/host/root
              - --no-collector.wifi
              - --no-collector.hwmon
              - --collector.filesystem.ignored-mount-points=${IGNORED_MOUNT_POINTS}
              - --collector.netclass.ignored-devices=^(veth.*)$
          type: command
        - properties:
            annotations:
              prometheus.io/path: /metrics
              prometheus.io/port: "8080"
              prometheus.io/scrape: "true"
            port:
              - 9100
          type: expose
        - properties:
            cpu: 0.1
            memory: 250Mi
          type: resource
        - type: k8s-update-strategy
          properties:
            targetAPIVersion: apps/v1
            targetKind: DaemonSet
            strategy:
              type: RollingUpdate
              rollingStrategy:
                maxSurge: 20%
                maxUnavailable: 30%
`);
    // expose declares appliesToWorkloads deployments/statefulsets, yet KubeVela's own addon example puts it
    // on a daemon: appliesToWorkloads is a UI hint, the controller renders the trait.
    expect(kinds(objs)).toEqual(['DaemonSet/node-exporter', 'Service/node-exporter']);
    const ds = one(objs, 'DaemonSet', 'node-exporter');
    expect(ds.apiVersion).toBe('apps/v1');
    expect(ds.spec.updateStrategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: '20%', maxUnavailable: '30%' },
    });
    expect(containers(ds)).toEqual([
      {
        name: 'node-exporter',
        image: 'prom/node-exporter',
        imagePullPolicy: 'IfNotPresent',
        volumeMounts: [
          { mountPath: '/host/sys', name: 'sys' },
          { mountPath: '/host/root', name: 'root' },
        ],
        args: [
          '--path.sysfs=/host/sys',
          '--path.rootfs=/host/root',
          '--no-collector.wifi',
          '--no-collector.hwmon',
          `--collector.filesystem.ignored-mount-points=${IGNORED_MOUNT_POINTS}`,
          '--collector.netclass.ignored-devices=^(veth.*)$',
        ],
        resources: { requests: { cpu: 0.1, memory: '250Mi' }, limits: { cpu: 0.1, memory: '250Mi' } },
      },
    ]);
    expect(podSpec(ds).volumes).toEqual([
      { name: 'sys', hostPath: { path: '/sys' } },
      { name: 'root', hostPath: { path: '/' } },
    ]);
    const s = one(objs, 'Service', 'node-exporter');
    expect(s.metadata.labels).toMatchObject(
      traitLabels('application-node-exporter', 'node-exporter', 'expose', 'service'),
    );
    expect(s.metadata.annotations).toMatchObject({
      'prometheus.io/path': '/metrics',
      'prometheus.io/port': '8080',
      'prometheus.io/scrape': 'true',
    });
    expect(s.spec).toEqual({
      selector: { 'app.oam.dev/component': 'node-exporter' },
      ports: [{ name: 'port-9100', port: 9100, targetPort: 9100 }],
      type: 'ClusterIP',
    });
  });

  it('k8s-update-strategy: StatefulSet partition', async () => {
    const objs = await render(
      application('db', [
        {
          name: 'redis',
          type: 'statefulset',
          properties: { image: 'redis:7' },
          traits: [
            {
              type: 'k8s-update-strategy',
              properties: {
                targetKind: 'StatefulSet',
                strategy: { type: 'RollingUpdate', rollingStrategy: { partition: 2 } },
              },
            },
          ],
        },
      ]),
    );
    expect(one(objs, 'StatefulSet', 'redis').spec.updateStrategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { partition: 2 },
    });
  });

  it('lifecycle (KubeVela docs): postStart exec and preStop httpGet on a worker', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: application-with-lifecycle
spec:
  components:
    - name: busybox-runner
      type: worker
      properties:
        image: busybox
        cmd:
          - sleep
          - '1000'
      traits:
        - type: lifecycle
          properties:
            postStart:
              exec:
                command:
                  - echo
                  - 'hello world'
            preStop:
              httpGet:
                host: "www.aliyun.com"
                scheme: "HTTPS"
                port: 443
`);
    expect(container(one(objs, 'Deployment', 'busybox-runner'), 'busybox-runner').lifecycle).toEqual({
      postStart: { exec: { command: ['echo', 'hello world'] } },
      preStop: { httpGet: { host: 'www.aliyun.com', scheme: 'HTTPS', port: 443 } },
    });
  });

  it('lifecycle: every container gets the hooks (sidecar added first)', async () => {
    const objs = await render(
      application('hooks', [
        web([
          { type: 'sidecar', properties: { name: 'proxy', image: 'envoyproxy/envoy:v1.30' } },
          { type: 'lifecycle', properties: { preStop: { exec: { command: ['sleep', '5'] } } } },
        ]),
      ]),
    );
    const d = one(objs, 'Deployment', 'web');
    expect(containers(d).map((c: Json) => c.name)).toEqual(['web', 'proxy']);
    for (const c of containers(d))
      expect(c.lifecycle, c.name).toEqual({ preStop: { exec: { command: ['sleep', '5'] } } });
  });

  it('nocalhost (KubeVela docs): a Service and the dev.nocalhost annotations (JSON config)', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: bookinfo
spec:
  components:
    - name: productpage
      type: webservice
      properties:
        image: nocalhost-docker.pkg.coding.net/nocalhost/bookinfo/productpage:latest
        port: 9080
      traits:
        - type: nocalhost
          properties:
            port: 9080
            gitUrl: https://github.com/nocalhost/bookinfo-productpage.git
            image: nocalhost-docker.pkg.coding.net/nocalhost/dev-images/python:3.7.7-slim-productpage-with-pydevd
            shell: "bash"
            workDir: "/opt/work"
            resources:
              limits:
                memory: 1Gi
                cpu: "1"
              requests:
                memory: 512Mi
                cpu: "0.5"
            debug:
              remoteDebugPort: 9009
            hotReload: true
            sync:
              type: send
              filePattern:
                - ./
              ignoreFilePattern:
                - .git
                - .idea
            command:
              run:
                - sh
                - run.sh
              debug:
                - sh
                - debug.sh
            env:
              - name: "foo"
                value: "bar"
            portForward:
              - 39080:9080
`);
    expect(kinds(objs)).toEqual(['Deployment/productpage', 'Service/productpage']);
    const s = one(objs, 'Service', 'productpage');
    expect(s.metadata.labels).toMatchObject(traitLabels('bookinfo', 'productpage', 'nocalhost', 'nocalhostService'));
    expect(s.spec).toEqual({
      selector: { 'app.oam.dev/component': 'productpage' },
      ports: [{ port: 9080, targetPort: 9080 }],
      type: 'ClusterIP',
    });
    const ann = one(objs, 'Deployment', 'productpage').metadata.annotations ?? {};
    expect(ann).toMatchObject({
      'dev.nocalhost/application-name': 'bookinfo',
      'dev.nocalhost/application-namespace': 'default',
    });
    expect(JSON.parse(ann['dev.nocalhost'] ?? 'null')).toEqual({
      name: 'productpage',
      serviceType: 'deployment',
      containers: [
        {
          name: 'productpage',
          dev: {
            gitUrl: 'https://github.com/nocalhost/bookinfo-productpage.git',
            image: 'nocalhost-docker.pkg.coding.net/nocalhost/dev-images/python:3.7.7-slim-productpage-with-pydevd',
            shell: 'bash',
            workDir: '/opt/work',
            resources: { limits: { memory: '1Gi', cpu: '1' }, requests: { memory: '512Mi', cpu: '0.5' } },
            command: { run: ['sh', 'run.sh'], debug: ['sh', 'debug.sh'] },
            debug: { remoteDebugPort: 9009 },
            hotReload: true,
            sync: { type: 'send', filePattern: ['./'], ignoreFilePattern: ['.git', '.idea'] },
            env: [{ name: 'foo', value: 'bar' }],
            portForward: ['39080:9080'],
          },
        },
      ],
    });
  });

  it('podsecuritycontext (KubeVela docs): pod securityContext', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: podtato-head
spec:
  components:
    - name: podtato-head-frontend
      type: webservice
      properties:
        image: ghcr.io/podtato-head/podtato-server:v0.3.1
        ports:
          - port: 8080
            expose: true
        cpu: "0.1"
        memory: "32Mi"
      traits:
        - type: podsecuritycontext
          properties:
            runAsNonRoot: true
            runAsUser: 65532
`);
    expect(podSpec(one(objs, 'Deployment', 'podtato-head-frontend')).securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
    });
  });

  it('pure-ingress: a networking.k8s.io/v1beta1 Ingress with the legacy backend, no Service', async () => {
    const objs = await render(
      application('legacy', [
        web([{ type: 'pure-ingress', properties: { domain: 'legacy.example.com', http: { '/': 80 } } }]),
      ]),
    );
    expect(kinds(objs)).toEqual(['Deployment/web', 'Ingress/web']);
    const ing = one(objs, 'Ingress', 'web');
    expect(ing.apiVersion).toBe('networking.k8s.io/v1beta1');
    expect(ing.metadata.labels).toMatchObject(traitLabels('legacy', 'web', 'pure-ingress', 'ingress'));
    expect(ing.spec).toEqual({
      rules: [
        {
          host: 'legacy.example.com',
          http: { paths: [{ path: '/', backend: { serviceName: 'web', servicePort: 80 } }] },
        },
      ],
    });
  });

  it('resource (KubeVela docs): explicit requests and limits win over cpu/memory', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: resource-app
spec:
  components:
    - name: express-server
      type: webservice
      properties:
        image: crccheck/hello-world
        ports:
          - port: 8000
      traits:
        - type: resource
          properties:
            cpu: 2
            memory: 2Gi
            requests:
              cpu: 2
              memory: 2Gi
            limits:
              cpu: 4
              memory: 4Gi
`);
    expect(container(one(objs, 'Deployment', 'express-server'), 'express-server').resources).toEqual({
      requests: { cpu: 2, memory: '2Gi' },
      limits: { cpu: 4, memory: '4Gi' },
    });
  });

  it('resource: cpu/memory replace the component resources (retainKeys); on a cron-task they reach pods', async () => {
    const objs = await render(
      application('res', [
        web([{ type: 'resource', properties: { cpu: '1', memory: '1Gi' } }], { cpu: '0.5' }),
        {
          name: 'cron',
          type: 'cron-task',
          properties: { schedule: '*/5 * * * *', image: 'busybox' },
          traits: [{ type: 'resource', properties: { cpu: '250m', memory: '64Mi' } }],
        },
      ]),
    );
    expect(container(one(objs, 'Deployment', 'web'), 'web').resources).toEqual({
      requests: { cpu: '1', memory: '1Gi' },
      limits: { cpu: '1', memory: '1Gi' },
    });
    const cj = one(objs, 'CronJob', 'cron');
    expect(cj.spec.jobTemplate.spec.template.spec.containers[0].resources).toEqual({
      requests: { cpu: '250m', memory: '64Mi' },
      limits: { cpu: '250m', memory: '64Mi' },
    });
  });

  it('scaler: replicas 3 on a webservice, apiVersion and kind kept', async () => {
    const objs = await render(application('hello', [web([{ type: 'scaler', properties: { replicas: 3 } }])]));
    expect(kinds(objs)).toEqual(['Deployment/web']);
    const d = one(objs, 'Deployment', 'web');
    expect(d).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas: 3 },
    });
    expect(containers(d)).toEqual([{ name: 'web', image: 'nginx:1.25' }]);
  });

  it('scaler (KubeVela docs): frontend scaled with a sidecar, next to a worker backend', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: website
spec:
  components:
    - name: frontend
      type: webservice
      properties:
        image: nginx
      traits:
        - type: scaler
          properties:
            replicas: 2
        - type: sidecar
          properties:
            name: "sidecar-test"
            image: "fluentd"
    - name: backend
      type: worker
      properties:
        image: busybox
        cmd:
          - sleep
          - '1000'
`);
    expect(kinds(objs)).toEqual(['Deployment/backend', 'Deployment/frontend']);
    const f = one(objs, 'Deployment', 'frontend');
    expect(f.spec.replicas).toBe(2);
    expect(containers(f)).toEqual([
      { name: 'frontend', image: 'nginx' },
      { name: 'sidecar-test', image: 'fluentd' },
    ]);
    const b = one(objs, 'Deployment', 'backend');
    expect(b.spec.replicas).toBeUndefined();
    expect(containers(b)).toEqual([{ name: 'backend', image: 'busybox', command: ['sleep', '1000'] }]);
  });

  it('scaler on a statefulset: spec.replicas', async () => {
    const objs = await render(
      application('db', [
        {
          name: 'redis',
          type: 'statefulset',
          properties: { image: 'redis:7' },
          traits: [{ type: 'scaler', properties: { replicas: 3 } }],
        },
      ]),
    );
    expect(one(objs, 'StatefulSet', 'redis')).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      spec: { replicas: 3 },
    });
  });

  it('securitycontext (KubeVela docs): container securityContext with dropped capabilities', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: podtato-head
spec:
  components:
    - name: podtato-head-frontend
      type: webservice
      properties:
        image: ghcr.io/podtato-head/podtato-server:v0.3.1
        ports:
          - port: 8080
            expose: true
        cpu: "0.1"
        memory: "32Mi"
      traits:
        - type: securitycontext
          properties:
            dropCapabilities:
              - ALL
            runAsNonRoot: true
            privileged: false
            readOnlyRootFilesystem: false
`);
    expect(
      container(one(objs, 'Deployment', 'podtato-head-frontend'), 'podtato-head-frontend').securityContext,
    ).toEqual({
      capabilities: { drop: ['ALL'] },
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: false,
      privileged: false,
      runAsNonRoot: true,
    });
  });

  it('securitycontext: runAsUser/runAsGroup and added capabilities', async () => {
    const objs = await render(
      application('sec', [
        web([
          {
            type: 'securitycontext',
            properties: {
              runAsUser: 1000,
              runAsGroup: 3000,
              addCapabilities: ['NET_BIND_SERVICE'],
              readOnlyRootFilesystem: true,
            },
          },
        ]),
      ]),
    );
    expect(container(one(objs, 'Deployment', 'web'), 'web').securityContext).toEqual({
      capabilities: { add: ['NET_BIND_SERVICE'] },
      runAsUser: 1000,
      runAsGroup: 3000,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      runAsNonRoot: true,
    });
  });

  it('service-account (KubeVela docs): serviceAccountName only, no new ServiceAccount', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: vela-doc
  namespace: vela-system
spec:
  components:
    - name: frontend
      type: webservice
      properties:
        image: oamdev/vela-cli:v1.5.0-beta.1
        cmd: ["/vela","show"]
        ports:
          - port: 18081
            expose: true
      traits:
        - type: service-account
          properties:
            name: kubevela-vela-core
`);
    expect(kinds(objs)).toEqual(['Deployment/frontend', 'Service/frontend']);
    const d = one(objs, 'Deployment', 'frontend');
    expect(d.metadata.namespace).toBe('vela-system');
    expect(podSpec(d).serviceAccountName).toBe('kubevela-vela-core');
  });

  it('service-account: create with namespace and cluster privileges', async () => {
    const objs = await render(
      application(
        'rbac',
        [
          web([
            {
              type: 'service-account',
              properties: {
                name: 'reader',
                create: true,
                privileges: [
                  { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] },
                  { verbs: ['get'], nonResourceURLs: ['/healthz'], scope: 'cluster' },
                ],
              },
            },
          ]),
        ],
        {},
        'team-a',
      ),
    );
    expect(kinds(objs)).toEqual([
      'ClusterRole/team-a:reader',
      'ClusterRoleBinding/team-a:reader',
      'Deployment/web',
      'Role/reader',
      'RoleBinding/reader',
      'ServiceAccount/reader',
    ]);
    expect(podSpec(one(objs, 'Deployment', 'web')).serviceAccountName).toBe('reader');
    const sa = one(objs, 'ServiceAccount', 'reader');
    expect(sa.apiVersion).toBe('v1');
    expect(sa.metadata).toMatchObject({
      namespace: 'team-a',
      labels: traitLabels('rbac', 'web', 'service-account', 'service-account'),
    });
    const role = one(objs, 'Role', 'reader');
    expect(role.apiVersion).toBe('rbac.authorization.k8s.io/v1');
    expect(role.rules).toEqual([{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }]);
    const rb = one(objs, 'RoleBinding', 'reader');
    expect(rb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' });
    expect(rb.subjects).toEqual([{ kind: 'ServiceAccount', name: 'reader' }]);
    const cr = one(objs, 'ClusterRole', 'team-a:reader');
    expect(cr.apiVersion).toBe('rbac.authorization.k8s.io/v1');
    expect(cr.rules).toEqual([{ verbs: ['get'], nonResourceURLs: ['/healthz'] }]);
    const crb = one(objs, 'ClusterRoleBinding', 'team-a:reader');
    expect(crb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'team-a:reader' });
    expect(crb.subjects).toEqual([{ kind: 'ServiceAccount', name: 'reader', namespace: 'team-a' }]);
  });

  it('service-binding (KubeVela docs, ports as a list): secret keys into env, key defaults to env name', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: webapp
spec:
  components:
    - name: binding-test-comp
      type: webservice
      properties:
        image: zzxwill/flask-web-application:v0.3.1-crossplane
        ports:
          - port: 80
        env:
          - name: MODE
            value: prod
      traits:
        - type: service-binding
          properties:
            envMappings:
              DB_PASSWORD:
                secret: db-conn-example
                key: password
              endpoint:
                secret: db-conn-example
              username:
                secret: db-conn-example
`);
    const ref = (key: string) => ({ secretKeyRef: { name: 'db-conn-example', key } });
    expect(container(one(objs, 'Deployment', 'binding-test-comp'), 'binding-test-comp').env).toEqual([
      { name: 'MODE', value: 'prod' },
      { name: 'DB_PASSWORD', valueFrom: ref('password') },
      { name: 'endpoint', valueFrom: ref('endpoint') },
      { name: 'username', valueFrom: ref('username') },
    ]);
  });

  it('sidecar (KubeVela docs): a second container sharing the worker volume', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: vela-app-with-sidecar
spec:
  components:
    - name: log-gen-worker
      type: worker
      properties:
        image: busybox
        cmd:
          - /bin/sh
          - -c
          - >
            i=0;
            while true;
            do
              echo "$i: $(date)" >> /var/log/date.log;
              i=$((i+1));
              sleep 1;
            done
        volumes:
          - name: varlog
            mountPath: /var/log
            type: emptyDir
      traits:
        - type: sidecar
          properties:
            name: count-log
            image: busybox
            cmd: [ /bin/sh, -c, 'tail -n+1 -f /var/log/date.log']
            volumes:
              - name: varlog
                path: /var/log
`);
    const d = one(objs, 'Deployment', 'log-gen-worker');
    expect(containers(d).map((c: Json) => c.name)).toEqual(['log-gen-worker', 'count-log']);
    expect(container(d, 'log-gen-worker')).toMatchObject({
      image: 'busybox',
      volumeMounts: [{ mountPath: '/var/log', name: 'varlog' }],
    });
    expect(container(d, 'log-gen-worker').command[2]).toContain('while true;');
    expect(container(d, 'count-log')).toEqual({
      name: 'count-log',
      image: 'busybox',
      command: ['/bin/sh', '-c', 'tail -n+1 -f /var/log/date.log'],
      volumeMounts: [{ mountPath: '/var/log', name: 'varlog' }],
    });
    expect(podSpec(d).volumes).toEqual([{ name: 'varlog', emptyDir: { medium: '' } }]);
  });

  it('sidecar: env and a readiness probe with defaults', async () => {
    const objs = await render(
      application('mesh', [
        web([
          {
            type: 'sidecar',
            properties: {
              name: 'proxy',
              image: 'envoyproxy/envoy:v1.30',
              args: ['-c', '/etc/envoy.yaml'],
              env: [{ name: 'LEVEL', value: 'info' }],
              readinessProbe: { tcpSocket: { port: 15000 } },
            },
          },
        ]),
      ]),
    );
    const d = one(objs, 'Deployment', 'web');
    expect(containers(d)).toHaveLength(2);
    expect(container(d, 'proxy')).toEqual({
      name: 'proxy',
      image: 'envoyproxy/envoy:v1.30',
      args: ['-c', '/etc/envoy.yaml'],
      env: [{ name: 'LEVEL', value: 'info' }],
      readinessProbe: {
        tcpSocket: { port: 15000 },
        initialDelaySeconds: 0,
        periodSeconds: 10,
        timeoutSeconds: 1,
        successThreshold: 1,
        failureThreshold: 3,
      },
    });
  });

  it('startup-probe (KubeVela docs): one probe per named container, defaults filled', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: application-with-startup-probe
spec:
  components:
    - name: busybox-runner
      type: worker
      properties:
        image: busybox
        cmd:
          - sleep
          - '1000'
      traits:
      - type: sidecar
        properties:
          name: nginx
          image: nginx
      - type: startup-probe
        properties:
          containerName: "busybox-runner"
          httpGet:
            host: "www.guidewire.comm"
            scheme: "HTTPS"
            port: 443
          periodSeconds: 4
          failureThreshold: 4
      - type: startup-probe
        properties:
          containerName: nginx
          httpGet:
            host: "www.guidewire.com"
            scheme: "HTTPS"
            port: 443
          periodSeconds: 5
          failureThreshold: 5
`);
    const d = one(objs, 'Deployment', 'busybox-runner');
    const probe = (host: string, n: number) => ({
      httpGet: { host, scheme: 'HTTPS', port: 443 },
      initialDelaySeconds: 0,
      periodSeconds: n,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: n,
    });
    expect(container(d, 'busybox-runner').startupProbe).toEqual(probe('www.guidewire.comm', 4));
    expect(container(d, 'nginx').startupProbe).toEqual(probe('www.guidewire.com', 5));
  });

  it('storage: only a pvc gives the volume, the mount and a PersistentVolumeClaim (mountOnly false)', async () => {
    const objs = await render(
      application('store', [web([{ type: 'storage', properties: { pvc: [{ name: 'data', mountPath: '/data' }] } }])]),
    );
    expect(kinds(objs)).toEqual(['Deployment/web', 'PersistentVolumeClaim/data']);
    const d = one(objs, 'Deployment', 'web');
    expect(podSpec(d).volumes).toEqual([{ name: 'pvc-data', persistentVolumeClaim: { claimName: 'data' } }]);
    const c = container(d, 'web');
    expect(c.volumeMounts).toEqual([{ name: 'pvc-data', mountPath: '/data' }]);
    expect(c.env ?? []).toEqual([]);
    expect(c.volumeDevices ?? []).toEqual([]);
    const pvc = one(objs, 'PersistentVolumeClaim', 'data');
    expect(pvc.apiVersion).toBe('v1');
    expect(pvc.metadata).toMatchObject({
      namespace: 'default',
      labels: traitLabels('store', 'web', 'storage', 'pvc-data'),
    });
    expect(pvc.spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      volumeMode: 'Filesystem',
      resources: { requests: { storage: '8Gi' } },
    });
  });

  it('storage: a mountOnly pvc is mounted but not created', async () => {
    const objs = await render(
      application('store', [
        web([{ type: 'storage', properties: { pvc: [{ name: 'shared', mountPath: '/shared', mountOnly: true }] } }]),
      ]),
    );
    expect(kinds(objs)).toEqual(['Deployment/web']);
    const d = one(objs, 'Deployment', 'web');
    expect(podSpec(d).volumes).toEqual([{ name: 'pvc-shared', persistentVolumeClaim: { claimName: 'shared' } }]);
    expect(container(d, 'web').volumeMounts).toEqual([{ name: 'pvc-shared', mountPath: '/shared' }]);
  });

  it('storage (KubeVela docs): pvc, emptyDir, configMap and secret with env', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: storage-app
spec:
  components:
    - name: express-server
      type: webservice
      properties:
        image: oamdev/hello-world
        ports:
          - port: 8000
      traits:
        - type: storage
          properties:
            pvc:
              - name: test1
                mountPath: /test/mount/pvc
            emptyDir:
              - name: test1
                mountPath: /test/mount/emptydir
            configMap:
              - name: test1
                mountPath: /test/mount/cm
                mountToEnv:
                  envName: TEST_ENV
                  configMapKey: key1
                data:
                  key1: value1
                  key2: value2
            secret:
              - name: test1
                mountPath: /test/mount/secret
                mountToEnv:
                  envName: TEST_SECRET
                  secretKey: key1
                data:
                  key1: dmFsdWUx
                  key2: dmFsdWUy
`);
    expect(kinds(objs)).toEqual([
      'ConfigMap/test1',
      'Deployment/express-server',
      'PersistentVolumeClaim/test1',
      'Secret/test1',
    ]);
    const d = one(objs, 'Deployment', 'express-server');
    expect(podSpec(d).volumes).toEqual([
      { name: 'pvc-test1', persistentVolumeClaim: { claimName: 'test1' } },
      { name: 'configmap-test1', configMap: { defaultMode: 420, name: 'test1' } },
      { name: 'secret-test1', secret: { defaultMode: 420, secretName: 'test1' } },
      { name: 'emptydir-test1', emptyDir: { medium: '' } },
    ]);
    const c = container(d, 'express-server');
    expect(c.volumeMounts).toEqual([
      { name: 'pvc-test1', mountPath: '/test/mount/pvc' },
      { name: 'configmap-test1', mountPath: '/test/mount/cm' },
      { name: 'secret-test1', mountPath: '/test/mount/secret' },
      { name: 'emptydir-test1', mountPath: '/test/mount/emptydir' },
    ]);
    expect(c.env).toEqual([
      { name: 'TEST_ENV', valueFrom: { configMapKeyRef: { name: 'test1', key: 'key1' } } },
      { name: 'TEST_SECRET', valueFrom: { secretKeyRef: { name: 'test1', key: 'key1' } } },
    ]);
    expect(c.ports).toEqual([{ containerPort: 8000, protocol: 'TCP', name: 'port-8000' }]);
    expect(one(objs, 'ConfigMap', 'test1')).toMatchObject({
      apiVersion: 'v1',
      data: { key1: 'value1', key2: 'value2' },
    });
    expect(one(objs, 'Secret', 'test1')).toMatchObject({
      apiVersion: 'v1',
      data: { key1: 'dmFsdWUx', key2: 'dmFsdWUy' },
    });
    expect(one(objs, 'PersistentVolumeClaim', 'test1').spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      volumeMode: 'Filesystem',
      resources: { requests: { storage: '8Gi' } },
    });
  });

  it('topologyspreadconstraints (KubeVela docs): two constraints with optional fields', async () => {
    const objs = await render(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: application-with-topologyspreadconstraints
spec:
  components:
    - name: busybox-runner
      type: worker
      properties:
        image: busybox
        cmd:
          - sleep
          - '1000'
      traits:
      - type: topologyspreadconstraints
        properties:
          constraints:
          - topologyKey: zone
            labelSelector:
              matchLabels:
                zone: us-east-1a
            maxSkew: 1
            whenUnsatisfiable: DoNotSchedule
            minDomains: 1
            nodeAffinityPolicy: Ignore
            nodeTaintsPolicy: Ignore
          - topologyKey: node
            labelSelector:
              matchExpressions:
                - key: foo
                  operator: In
                  values:
                  - abc
            maxSkew: 1
            whenUnsatisfiable: ScheduleAnyway
            minDomains: 1
            nodeAffinityPolicy: Ignore
            nodeTaintsPolicy: Ignore
`);
    expect(podSpec(one(objs, 'Deployment', 'busybox-runner')).topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'zone',
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchLabels: { zone: 'us-east-1a' } },
        nodeAffinityPolicy: 'Ignore',
        nodeTaintsPolicy: 'Ignore',
        minDomains: 1,
      },
      {
        maxSkew: 1,
        topologyKey: 'node',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchExpressions: [{ key: 'foo', operator: 'In', values: ['abc'] }] },
        nodeAffinityPolicy: 'Ignore',
        nodeTaintsPolicy: 'Ignore',
        minDomains: 1,
      },
    ]);
  });

  it('has a case for every trait file', () => {
    const source = readFileSync(fileURLToPath(import.meta.url), 'utf8');
    const used = new Set([...source.matchAll(/type: ['"]?([\w-]+)['"]?/g)].map((m) => m[1]!));
    for (const t of readdirSync(defsOf('trait')).filter((f) => f.endsWith('.cue')))
      expect(used.has(basename(t, '.cue')), `a test uses trait ${t}`).toBe(true);
  });
});

// ------------------------------------------------------------------ one object rendered twice

describe('an object rendered twice', () => {
  // KubeVela's gateway docs example, on a webservice whose port is exposed: the webservice's Service
  // (webserviceExpose) and the gateway's (service) are both Service default/express-server. vela dry-run
  // prints both and KubeVela applies both in order, so the gateway's (the later) is what the cluster keeps.
  const gatewayApp = `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: first-vela-app
spec:
  components:
    - name: express-server
      type: webservice
      properties:
        image: oamdev/hello-world
        ports:
          - port: 8000
            expose: true
      traits:
        - type: gateway
          properties:
            domain: testsvc.example.com
            http:
              "/": 8000
`;
  const twice =
    'component "express-server", trait "gateway": Service default/express-server is rendered twice by component ' +
    '"express-server", by output "webserviceExpose" and by output "service" of trait "gateway": ';
  const see = `(see ${defsOf('component')}/webservice.cue, ${defsOf('trait')}/gateway.cue)`;

  it('inside one component the later output wins, with a warning at the later naming both (gateway)', async () => {
    const r = await renderRaw(gatewayApp);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      `warning: ${r.file}:15:11: ${twice}the later is kept, as KubeVela applies both in order and the later ` +
        `overwrites the earlier ${see} (--strict makes this an error)\n`,
    );
    const objs = JSON.parse(r.stdout) as K8s[];
    expectWellFormed(objs, 'first-vela-app');
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Deployment/express-server',
      'Service/express-server',
      'Ingress/express-server',
    ]);
    const s = one(objs, 'Service', 'express-server');
    expect(s.metadata.labels).toMatchObject(traitLabels('first-vela-app', 'express-server', 'gateway', 'service'));
    expect(s.spec).toEqual({
      selector: { 'app.oam.dev/component': 'express-server' },
      ports: [{ name: 'port-8000', port: 8000, targetPort: 8000 }],
    });
  });

  it('nocalhost on an exposed webservice: its Service replaces the webservice one', async () => {
    const objs = await render(
      application('dev', [
        web([{ type: 'nocalhost', properties: { port: 80, image: 'go' } }], { ports: [{ port: 80, expose: true }] }),
      ]),
    );
    expect(kinds(objs)).toEqual(['Deployment/web', 'Service/web']);
    const s = one(objs, 'Service', 'web');
    expect(s.metadata.labels).toMatchObject(traitLabels('dev', 'web', 'nocalhost', 'nocalhostService'));
    expect(s.spec).toEqual({
      selector: { 'app.oam.dev/component': 'web' },
      ports: [{ port: 80, targetPort: 80 }],
      type: 'ClusterIP',
    });
  });

  it('--strict refuses it, located at the later output', async () => {
    const r = await renderRaw(gatewayApp, ['--strict']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`${r.file}:15:11: ${twice}the later would overwrite the earlier ${see}\n1 error\n`);
  });

  it('two components rendering one object are still refused', async () => {
    const r = await renderRaw(`apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: shop
spec:
  components:
    - name: web
      type: webservice
      properties:
        image: nginx:1.25
        ports: [{port: 80, expose: true}]
    - name: raw
      type: k8s-objects
      properties:
        objects:
          - {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {ports: [{port: 80}]}}
`);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `${r.file}:12:7: component "raw": Service default/web is rendered twice (by components "web" and "raw"); ` +
        'the second would overwrite the first\n1 error\n',
    );
  });
});
