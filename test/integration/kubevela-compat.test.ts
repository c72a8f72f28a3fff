/**
 * KubeVela users' own definition files (../shared/conformance/kubevela/builtin-defs, unchanged) render as
 * KubeVela renders them: one test per class of difference found when users brought their files, through
 * the public CLI (`ferry render … --definitions <builtin-defs folders>`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { conformanceDir, ferry } from './helpers.js';

const defs = join(conformanceDir(), 'builtin-defs');
const all = ['component', 'trait', 'policy', 'workflowstep'].flatMap((k) => ['--definitions', join(defs, k)]);
const work = mkdtempSync(join(tmpdir(), 'ferry-kv-compat-'));
afterAll(() => {
  if (!process.env.KEEP) rmSync(work, { recursive: true, force: true });
});

type Obj = { apiVersion: string; kind: string; metadata: { name: string }; spec?: Record<string, any> };

function appFile(name: string, body: string): string {
  const file = join(work, `${name}.yaml`);
  writeFileSync(
    file,
    `apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n  name: ${name}\nspec:\n${body}`,
  );
  return file;
}

async function render(file: string, ...extra: string[]): Promise<{ code: number; objects: Obj[]; stderr: string }> {
  const r = await ferry('render', file, ...all, '-o', 'json', ...extra);
  return { code: r.code, objects: r.code === 0 ? (JSON.parse(r.stdout) as Obj[]) : [], stderr: r.stderr };
}

async function renderOk(file: string, ...extra: string[]): Promise<Obj[]> {
  const r = await render(file, ...extra);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  for (const o of r.objects) {
    expect(typeof o.apiVersion, JSON.stringify(o).slice(0, 120)).toBe('string');
    expect(typeof o.kind, JSON.stringify(o).slice(0, 120)).toBe('string');
  }
  return r.objects;
}

const deployment = (objs: Obj[], name: string) => {
  const d = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === name);
  expect(d, `Deployment ${name}`).toBeDefined();
  return d!;
};

describe('KubeVela builtin definitions, class by class', () => {
  it(
    '1. a +patchStrategy comment above a shorthand path belongs to the innermost field ' +
      '(scaler keeps apiVersion and kind)',
    async () => {
      const objs = await renderOk(
        appFile(
          'shorthand',
          `  components:
    - name: web
      type: webservice
      properties: {image: "nginx:1.25", ports: [{port: 80, expose: true}]}
      traits:
        - type: scaler
          properties: {replicas: 3}
        - type: scaler
          properties: {replicas: 5}
`,
        ),
      );
      const d = deployment(objs, 'web');
      expect(d.apiVersion).toBe('apps/v1');
      // retainKeys on spec.replicas: the second scaler replaces the first's value instead of conflicting.
      expect(d.spec!.replicas).toBe(5);
      expect(d.spec!.template.spec.containers[0]).toMatchObject({ name: 'web', image: 'nginx:1.25' });
      expect(d.spec!.selector).toEqual({ matchLabels: { 'app.oam.dev/component': 'web' } });
    },
  );

  it(
    '2. patch comments inside referenced values count: #PatchContainer (container-image), ' +
      'let bindings (resource), comprehensions (env)',
    async () => {
      const objs = await renderOk(
        appFile(
          'references',
          `  components:
    - name: web
      type: webservice
      properties:
        image: nginx:1.25
        cpu: "0.25"
        env: [{name: A, value: "1"}]
      traits:
        - type: container-image
          properties: {image: "nginx:1.26", imagePullPolicy: Always}
        - type: resource
          properties: {cpu: 1, memory: 512Mi}
        - type: env
          properties: {env: {A: "2", B: "3"}}
`,
        ),
      );
      const c = deployment(objs, 'web').spec!.template.spec.containers[0];
      expect(c.image).toBe('nginx:1.26');
      expect(c.imagePullPolicy).toBe('Always');
      expect(c.resources).toEqual({ requests: { cpu: 1, memory: '512Mi' }, limits: { cpu: 1, memory: '512Mi' } });
      expect(c.env).toEqual([
        { name: 'A', value: '2' },
        { name: 'B', value: '3' },
      ]);
    },
  );

  it('3. a comprehension over an absent optional parameter contributes nothing (storage with only pvc)', async () => {
    const objs = await renderOk(
      appFile(
        'storage-pvc',
        `  components:
    - name: db
      type: webservice
      properties: {image: "postgres:16"}
      traits:
        - type: storage
          properties:
            pvc:
              - name: data
                mountPath: /var/lib/postgresql
                resources: {requests: {storage: 20Gi}}
`,
      ),
    );
    const spec = deployment(objs, 'db').spec!.template.spec;
    expect(spec.volumes).toEqual([{ name: 'pvc-data', persistentVolumeClaim: { claimName: 'data' } }]);
    expect(spec.containers[0].volumeMounts).toEqual([{ name: 'pvc-data', mountPath: '/var/lib/postgresql' }]);
    const pvc = objs.find((o) => o.kind === 'PersistentVolumeClaim');
    expect(pvc).toMatchObject({
      apiVersion: 'v1',
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem', resources: { requests: { storage: '20Gi' } } },
    });
    expect(objs.filter((o) => o.kind === 'ConfigMap' || o.kind === 'Secret')).toEqual([]);
  });

  it('4. override policies named by the default workflow apply without --env, as vela dry-run does', async () => {
    const body = (workflow: string) => `  components:
    - name: web
      type: webservice
      properties: {image: "nginx:1.25"}
  policies:
    - name: here
      type: topology
      properties: {clusters: [local]}
    - name: bigger
      type: override
      properties:
        components:
          - name: web
            properties: {image: "nginx:1.26"}
            traits:
              - type: scaler
                properties: {replicas: 4}
${workflow}`;
    for (const [name, workflow] of [
      ['no-workflow', ''],
      [
        'deploy-step',
        '  workflow:\n    steps:\n      - name: deploy-here\n        type: deploy\n' +
          '        properties: {policies: [here, bigger]}\n',
      ],
    ] as const) {
      const d = deployment(await renderOk(appFile(`override-${name}`, body(workflow))), 'web');
      expect(d.spec!.template.spec.containers[0].image, name).toBe('nginx:1.26');
      expect(d.spec!.replicas, name).toBe(4);
    }
  });

  it('5. a list pattern in a patch ([...{lifecycle: …}]) applies to every container', async () => {
    const objs = await renderOk(
      appFile(
        'list-pattern',
        `  components:
    - name: web
      type: webservice
      properties: {image: "nginx:1.25"}
      traits:
        - type: sidecar
          properties: {name: proxy, image: "envoy:1.30"}
        - type: lifecycle
          properties:
            preStop: {exec: {command: [sleep, "5"]}}
        - type: securitycontext
          properties: {runAsNonRoot: true, runAsUser: 1000}
`,
      ),
    );
    const containers = deployment(objs, 'web').spec!.template.spec.containers as Record<string, any>[];
    expect(containers.map((c) => c.name)).toEqual(['web', 'proxy']);
    for (const c of containers) expect(c.lifecycle, c.name).toEqual({ preStop: { exec: { command: ['sleep', '5'] } } });
    // securitycontext patches one container, matched by name through +patchKey=name (the component's by default).
    expect(containers[0]!.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, privileged: false });
    expect(containers[1]!.securityContext).toBeUndefined();
  });

  it(
    '6. json-patch: replace of a missing member adds it (evanphx/json-patch v4); ' +
      'a failing operation is named and located',
    async () => {
      const ops = (last: string) => `  components:
    - name: web
      type: webservice
      properties: {image: "nginx:1.25"}
      traits:
        - type: json-patch
          properties:
            operations:
              - {op: add, path: /spec/replicas, value: 2}
              - {op: replace, path: /spec/paused, value: true}
${last}`;
      const d = deployment(await renderOk(appFile('json-patch-ok', ops(''))), 'web');
      expect(d.spec!.replicas).toBe(2);
      expect(d.spec!.paused).toBe(true);
      const file = appFile('json-patch-bad', ops('              - {op: remove, path: /spec/nothere}\n'));
      const r = await render(file);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${file}:16:17: component "web", trait "json-patch": `);
      expect(r.stderr).toContain('JSON patch operation 2 (remove /spec/nothere) failed');
    },
  );

  it('7. appliesToWorkloads is a warning by default (exit 0) and an error with --strict', async () => {
    const file = appFile(
      'expose-daemon',
      `  components:
    - name: agent
      type: daemon
      properties: {image: "fluentd:1.16"}
      traits:
        - type: expose
          properties: {port: [24224]}
`,
    );
    const loose = await ferry('render', file, ...all, '-o', 'json');
    expect(loose.code).toBe(0);
    expect(loose.stderr).toBe(
      `warning: ${file}:11:17: component "agent", trait "expose": ` +
        'trait "expose" applies to [deployments.apps, statefulsets.apps], ' +
        'not to component type "daemon" (DaemonSet) (--strict makes this an error)\n',
    );
    const objs = JSON.parse(loose.stdout) as Obj[];
    expect(objs.map((o) => o.kind)).toEqual(['DaemonSet', 'Service']);
    expect(objs[1]!.spec).toMatchObject({
      ports: [{ port: 24224, targetPort: 24224 }],
      selector: { 'app.oam.dev/component': 'agent' },
    });
    const strict = await ferry('render', file, ...all, '--strict');
    expect(strict.code).toBe(1);
    expect(strict.stdout).toBe('');
    expect(strict.stderr).toContain(`${file}:11:17: component "agent", trait "expose": trait "expose" applies to`);
  });

  it('8. the CUE evaluator is the version KubeVela pins (cuelang.org/go v0.14.1)', async () => {
    const r = await ferry('version');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^cuelang\.org\/go v0\.14\.1$/m);
  });
});

describe('guards', () => {
  it('an object without apiVersion or kind is a located render error, never output', async () => {
    const dir = join(work, 'kindless');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'kindless.cue'),
      `kindless: {
	type: "component"
	description: "forgets its kind"
	attributes: workload: definition: {apiVersion: "v1", kind: "ConfigMap"}
}
template: {
	output: {apiVersion: "v1", metadata: name: context.name, data: a: "b"}
	outputs: extra: {kind: "Secret", metadata: name: "x"}
	parameter: {}
}
`,
    );
    const file = appFile('kindless', '  components:\n    - name: c\n      type: kindless\n');
    const r = await ferry('render', file, '--definitions', dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      `${file}:7:7: component "c": the workload (output) has no kind; ` +
        `every rendered object needs both (see ${join(dir, 'kindless.cue')})`,
    );
    expect(r.stderr).toContain(`output "extra" has no apiVersion`);
  });

  it(
    "workflow steps that need KubeVela's runtime load and are listed; " +
      'using one is a located "not supported" error',
    async () => {
      const list = await ferry('def', 'list', '--definitions', join(defs, 'workflowstep'));
      expect(list.code).toBe(0);
      for (const step of [
        'deploy',
        'suspend',
        'step-group',
        'apply-component',
        'notification',
        'webhook',
        'apply-object',
        'read-object',
        'vela-cli',
      ]) {
        expect(list.stdout).toMatch(new RegExp(`^${step}\\s+workflow-step`, 'm'));
      }
      const file = appFile(
        'workflow-steps',
        `  components:
    - name: web
      type: webservice
      properties: {image: "nginx:1.25"}
  workflow:
    steps:
      - name: apply
        type: apply-component
        properties: {component: web}
      - name: tell
        type: notification
        properties: {slack: {url: {value: "x"}, message: {text: hi}}}
      - name: group
        type: step-group
        subSteps:
          - name: call
            type: webhook
            properties: {url: {value: "x"}}
`,
      );
      const r = await render(file);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `${file}:16:15: not supported by Ferry: notification (workflow step "tell" needs KubeVela's workflow runtime`,
      );
      expect(r.stderr).toContain(`${file}:22:19: not supported by Ferry: webhook (workflow step "call"`);
    },
  );
});
