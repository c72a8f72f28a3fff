/**
 * A runtime trait that owns a Deployment's replicas, against the real API server: an autoscaler's write through
 * the scale subresource with its own field manager, then Ferry's applies (the sync engine, `ferry apply`,
 * `ferry diff`, `ferry status`, run in-process with the test-only `autoscaled` trait registered) that neither
 * change nor own the count, and raise no conflict.
 */
import { AppsV1Api } from '@kubernetes/client-node';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { runApply } from '../../src/cli/apply.js';
import { runDiff } from '../../src/cli/diff.js';
import type { CliIO } from '../../src/cli/io.js';
import { runStatus } from '../../src/cli/status.js';
import { syncApp } from '../../src/gitops/sync/sync.js';
import { KubeCluster } from '../../src/kube/kube-cluster.js';
import type { ObjectField } from '../../src/objects/fields.js';
import type { KubeObject } from '../../src/objects/objects.js';
import { RUNTIME_TRAITS } from '../../src/traits/registry.js';
import { AUTOSCALED_DEFINITION, AUTOSCALER, autoscaled } from '../support/traits/autoscaled/trait.js';
import { testKubeConfig, useNamespace } from './kube.js';

const apps = testKubeConfig().makeApiClient(AppsV1Api);
const ns = useNamespace('owned');
const cluster = () => KubeCluster.fromFile(inject('kubeconfig'));
const ref = (name: string) => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns(), name });

type ManagedFields = { manager?: string; operation?: string; subresource?: string; fieldsV1?: object }[];
/** The field managers owning a Deployment's spec.replicas, and its count. */
async function replicas(name: string): Promise<{ count?: number; owners: string[] }> {
  const d = await apps.readNamespacedDeployment({ name, namespace: ns() });
  const managed = (d.metadata?.managedFields ?? []) as ManagedFields;
  const owners = managed
    .filter((m) => (m.fieldsV1 as { 'f:spec'?: { 'f:replicas'?: object } })?.['f:spec']?.['f:replicas'])
    .map((m) => `${m.manager}${m.subresource ? `/${m.subresource}` : ''}`);
  return { count: d.spec?.replicas, owners: owners.sort() };
}

const deployment = (name: string, image: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: ns(), labels: { 'app.oam.dev/component': name } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image }] } },
  },
});

describe('the scale subresource and the sync engine', () => {
  it('a scale gives the autoscaler spec.replicas; Ferry applies a new image, no conflict, same count', async () => {
    const c = cluster();
    const scope = { app: `owned-${ns()}`, env: 'dev', source: 'test' };
    const owned: ObjectField[] = [{ ref: ref('web'), path: ['spec', 'replicas'], owner: 'autoscaled' }];
    const sync = (image: string, ownedFields?: ObjectField[]) =>
      syncApp({ scope, objects: [deployment('web', image)], cluster: c, ...(ownedFields ? { ownedFields } : {}) });
    expect((await sync('nginx:1.27', owned)).errors).toEqual([]);
    expect(await replicas('web')).toEqual({ count: 2, owners: ['ferry'] });

    await c.scale(ref('web'), 5, AUTOSCALER);
    expect(await replicas('web')).toEqual({ count: 5, owners: ['ferry-slo/scale'] });
    expect(await c.readScale(ref('web'))).toMatchObject({ replicas: 5 });

    // Without force: the owned field is left out of Ferry's apply, so the server sees no conflict.
    const next = await sync('nginx:1.28', owned);
    expect(next.errors).toEqual([]);
    expect(next.items.map((i) => i.action)).toEqual(['configured']);
    expect(await replicas('web')).toEqual({ count: 5, owners: ['ferry-slo/scale'] });
    const live = await apps.readNamespacedDeployment({ name: 'web', namespace: ns() });
    expect(live.spec?.template.spec?.containers[0]?.image).toBe('nginx:1.28');
    // Nothing else to do: no write at all.
    expect(await sync('nginx:1.28', owned)).toMatchObject({ ok: true, writes: 0 });

    // What the rule prevents: the rendered 2 against the autoscaler's 5 is a conflict (or, forced, a reset).
    const fight = await sync('nginx:1.28');
    expect(fight.ok).toBe(false);
    expect(fight.errors.join('\n')).toMatch(/conflict/i);
    expect((await replicas('web')).count).toBe(5);
  });

  it('scaling an object that does not exist is a 404 ClusterError naming it', async () => {
    await expect(cluster().scale(ref('missing'), 3, AUTOSCALER)).rejects.toMatchObject({
      status: 404,
      message: expect.stringContaining(`Deployment/${ns()}/missing`),
    });
    expect(await cluster().readScale(ref('missing'))).toBeUndefined();
  });
});

describe('ferry apply / diff / status with a runtime trait that owns spec.replicas', () => {
  let dir = '';
  const out: string[] = [];
  const io: CliIO = { out: (t) => void out.push(t), err: (t) => void out.push(t) };
  const traits = [...RUNTIME_TRAITS, autoscaled];
  const target = () => ({
    app: join(dir, 'app.yaml'),
    env: 'test',
    config: join(dir, 'ferry.yaml'),
    definitions: [join(dir, 'definitions')],
  });
  const apply = (image: string) => {
    writeFileSync(join(dir, 'app.yaml'), app(image));
    return runApply(
      { ...target(), prune: true, wait: false, timeout: '1m', adopt: false, force: false, allowEmpty: false },
      io,
      traits,
    );
  };
  const diff = (withTrait = true) =>
    runDiff({ ...target(), prune: true, output: 'text' }, io, withTrait ? traits : RUNTIME_TRAITS);
  const app = (image: string) => `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: store, namespace: ${ns()}}
spec:
  components:
    - name: api
      type: webservice
      properties: {image: ${image}, port: 8080}
      traits:
        - type: autoscaled
        - type: scaler
          properties: {replicas: 2}
`;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-owned-'));
    writeFileSync(
      join(dir, 'ferry.yaml'),
      `environments:\n  - name: test\n    kubeconfig: ${inject('kubeconfig')}\n    namespace: ${ns()}\n`,
    );
    mkdirSync(join(dir, 'definitions'));
    writeFileSync(join(dir, 'definitions', 'autoscaled.cue'), AUTOSCALED_DEFINITION);
  });

  it('creates with the rendered count; after a scale diff is clean, and a new image keeps the count', async () => {
    expect(await apply('nginx:1.27')).toBe(0);
    expect(await replicas('api')).toEqual({ count: 2, owners: ['ferry'] });
    await cluster().scale(ref('api'), 6, AUTOSCALER);

    out.length = 0;
    expect(await diff()).toBe(0);
    expect(out.join('')).toBe('');
    // Without the trait's rule the same cluster differs in replicas.
    expect(await diff(false)).toBe(1);
    expect(out.join('')).toMatch(/-\s+replicas: 6\n\+\s+replicas: 2/);

    out.length = 0;
    expect(await apply('nginx:1.28')).toBe(0);
    expect(out.join('')).toContain(`configured Deployment/${ns()}/api`);
    expect(await replicas('api')).toEqual({ count: 6, owners: ['ferry-slo/scale'] });
    out.length = 0;
    expect(await diff()).toBe(0);

    out.length = 0;
    expect(await runStatus({ ...target(), output: 'json' }, io, traits)).toBe(0);
    const status = JSON.parse(out.join('')) as { objects: { object: string; sync: string }[] };
    expect(status.objects.find((o) => o.object === `Deployment/${ns()}/api`)?.sync).toBe('Synced');
  });
});
