/**
 * Bad input aimed at a real cluster: each case runs `ferry apply|diff|status` as a process against the
 * test cluster and must exit with its documented code, name its place, print no stack trace, stay
 * within 30 s and 1 GiB, and write nothing: the resourceVersions of every Namespace and of every object
 * in ferry-system and the test namespaces are the same before and after.
 */
import { CoreV1Api, CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { caseRun, writeCase, type BadCase } from '../support/bad-corpus.js';
import { expectClean, runFerry } from '../support/ferry-process.js';
import { testKubeConfig, useNamespace } from './kube.js';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const leases = kc.makeApiClient(CoordinationV1Api);
const ns = useNamespace('badin');
const root = mkdtempSync(join(tmpdir(), 'ferry-bad-cluster-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * Every active Namespace (names), and the ConfigMaps, Secrets, Services, Leases of ferry-system and the test namespace,
 * with resourceVersions.
 */
async function snapshot(): Promise<string[]> {
  const out: string[] = [];
  // Namespaces other test files delete finish terminating in the background: only active ones count,
  // and a case may not add one (compared as a set, see noNewNamespaces).
  for (const n of (await core.listNamespace()).items)
    if (n.status?.phase !== 'Terminating') out.push(`Namespace/${n.metadata!.name}`);
  // In ferry-system only the records of this file's app "bad" (its inventory, lock, state); other test
  // files' controllers may still be winding down there.
  const ours = (where: string, name: string | undefined) =>
    where !== 'ferry-system' || /(^|[.-])bad([.-]|$)/.test(name ?? '');
  for (const where of ['ferry-system', ns()]) {
    const cms = await core.listNamespacedConfigMap({ namespace: where }).catch(() => ({ items: [] }));
    for (const o of cms.items.filter((x) => ours(where, x.metadata!.name)))
      out.push(`ConfigMap/${where}/${o.metadata!.name}@${o.metadata!.resourceVersion}`);
    const svcs = await core.listNamespacedService({ namespace: where }).catch(() => ({ items: [] }));
    for (const o of svcs.items.filter((x) => ours(where, x.metadata!.name)))
      out.push(`Service/${where}/${o.metadata!.name}@${o.metadata!.resourceVersion}`);
    const ls = await leases.listNamespacedLease({ namespace: where }).catch(() => ({ items: [] }));
    // The controller-manager and scheduler renew their own Leases in kube-system, not here.
    for (const o of ls.items.filter((x) => ours(where, x.metadata!.name)))
      out.push(`Lease/${where}/${o.metadata!.name}@${o.metadata!.resourceVersion}`);
  }
  return out.sort();
}

const appIn = (namespace: string, components: string) =>
  'apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n  name: bad\n' +
  `  namespace: ${namespace}\nspec:\n  components:\n${components}`;
const web = (more = '') =>
  `    - name: web\n      type: webservice\n      properties:\n        image: nginx:1.25\n${more}`;

function cases(kubeconfig: string): BadCase[] {
  const kube = ['--kubeconfig', kubeconfig];
  const apply = (file = 'app.yaml', ...more: string[]) => ['apply', `$DIR/${file}`, '-e', 'default', ...kube, ...more];
  const c = (
    name: string,
    files: BadCase['files'],
    args: string[],
    exit: 1 | 2 | 3,
    where: RegExp,
    says?: RegExp,
  ): BadCase => ({ name, category: 'cluster', files, args, exit, where, ...(says ? { says } : {}) });
  const fresh = `badin-new-${Math.random().toString(36).slice(2, 7)}`;
  return [
    c(
      'kubeconfig-missing',
      { 'app.yaml': appIn(ns(), web()) },
      ['apply', '$DIR/app.yaml', '-e', 'default', '--kubeconfig', '$DIR/nope.kubeconfig'],
      1,
      /nope\.kubeconfig: /,
      /no kubeconfig/,
    ),
    c(
      'kubeconfig-garbage',
      { 'app.yaml': appIn(ns(), web()), kc: '{{{ not yaml' },
      ['apply', '$DIR/app.yaml', '-e', 'default', '--kubeconfig', '$DIR/kc'],
      1,
      /kc: /,
      /kubeconfig/,
    ),
    c(
      'kubeconfig-empty',
      { 'app.yaml': appIn(ns(), web()), kc: '' },
      ['apply', '$DIR/app.yaml', '-e', 'default', '--kubeconfig', '$DIR/kc'],
      1,
      /kc: /,
      /kubeconfig/,
    ),
    c(
      'context-unknown',
      { 'app.yaml': appIn(ns(), web()) },
      [...apply(), '--context', 'nope'],
      1,
      /: /,
      /no context "nope"/,
    ),
    c(
      'unreachable-apply',
      { 'app.yaml': appIn(ns(), web()), kc: unreachableKubeconfig() },
      ['apply', '$DIR/app.yaml', '-e', 'default', '--kubeconfig', '$DIR/kc'],
      3,
      /127\.0\.0\.1:9/,
      /cannot reach the API server/,
    ),
    c(
      'unreachable-diff',
      { 'app.yaml': appIn(ns(), web()), kc: unreachableKubeconfig() },
      ['diff', '$DIR/app.yaml', '-e', 'default', '--kubeconfig', '$DIR/kc'],
      3,
      /127\.0\.0\.1:9/,
    ),
    c(
      'unreachable-status',
      { 'app.yaml': appIn(ns(), web()), kc: unreachableKubeconfig() },
      ['status', '$DIR/app.yaml', '-e', 'default', '--kubeconfig', '$DIR/kc'],
      3,
      /127\.0\.0\.1:9/,
    ),
    c(
      'rejected-in-new-namespace',
      {
        'app.yaml': appIn(
          fresh,
          web('      traits:\n        - type: labels\n          properties: {"bad key!": "x"}\n'),
        ),
      },
      apply(),
      1,
      /Deployment\/.*web/,
      /dry-run|Invalid|invalid/i,
    ),
    c(
      'rejected-in-existing-namespace',
      {
        'app.yaml': appIn(
          ns(),
          web('      traits:\n        - type: labels\n          properties: {"bad key!": "x"}\n'),
        ),
      },
      apply(),
      1,
      /Deployment\/.*web/,
    ),
    c('rejected-quantity', { 'app.yaml': appIn(ns(), web('        cpu: lots\n')) }, apply(), 1, /Deployment\/.*web/),
    c(
      'rejected-port',
      { 'app.yaml': appIn(ns(), web('        ports: [{port: 99999, expose: true}]\n')) },
      apply(),
      1,
      /web/,
    ),
    c(
      'unknown-kind',
      {
        'app.yaml': appIn(
          ns(),
          '    - name: w\n      type: k8s-objects\n      properties:\n        objects:\n' +
            '          - {apiVersion: example.dev/v1, kind: Widget, metadata: {name: w}}\n',
        ),
      },
      apply(),
      1,
      /Widget/,
    ),
    c(
      'depends-on-cycle',
      {
        'app.yaml': appIn(
          ns(),
          web('      dependsOn: [db]\n') +
            '    - name: db\n      type: worker\n      properties: {image: postgres}\n      dependsOn: [web]\n',
        ),
      },
      apply(),
      1,
      /app\.yaml:\d+:\d+: /,
      /cycle/,
    ),
    c(
      'depends-on-string',
      { 'app.yaml': appIn(ns(), web('      dependsOn: db\n')) },
      apply(),
      1,
      /app\.yaml:\d+:\d+: /,
      /dependsOn/,
    ),
    c('self-heal-bad-flag', { 'app.yaml': appIn(ns(), web()) }, [...apply(), '--self-heal', '10x'], 2, /--self-heal/),
    c(
      'config-invalid',
      { 'app.yaml': appIn(ns(), web()), 'ferry.yaml': 'environments:\n  - name: default\n    contxt: x\n' },
      [...apply(), '--config', '$DIR/ferry.yaml'],
      1,
      /ferry\.yaml:3:5: /,
      /contxt/,
    ),
    c(
      'unknown-env',
      { 'app.yaml': appIn(ns(), web()) },
      ['apply', '$DIR/app.yaml', '-e', 'qa', ...kube],
      1,
      /app\.yaml/,
      /unknown environment/,
    ),
    c(
      'render-error',
      { 'app.yaml': appIn(ns(), '    - name: web\n      type: webservice\n      properties: {}\n') },
      apply(),
      1,
      /app\.yaml:\d+:\d+: /,
      /image/,
    ),
    // Two components rendering one object (inside one component the later output wins, with a warning).
    c(
      'duplicate-objects',
      {
        'app.yaml': appIn(
          ns(),
          web('        ports: [{port: 80, expose: true}]\n') +
            '    - name: raw\n      type: k8s-objects\n      properties:\n        objects:\n' +
            `          - {apiVersion: v1, kind: Service, metadata: {name: web, namespace: ${ns()}}, ` +
            'spec: {ports: [{port: 80}]}}\n',
        ),
      },
      apply(),
      1,
      /app\.yaml:\d+:\d+: /,
      /twice/,
    ),
    c(
      'diff-rejected',
      { 'app.yaml': appIn(ns(), web('        cpu: lots\n')) },
      ['diff', '$DIR/app.yaml', '-e', 'default', ...kube],
      2,
      /web/,
    ),
  ];
}

function unreachableKubeconfig(): string {
  // Port 9 (discard) on 127.0.0.1: nothing listens there, so connections are refused at once.
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:9', skipTLSVerify: true }],
    users: [{ name: 'u', token: 'x' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc.exportConfig();
}

describe('bad input against a cluster', () => {
  let list: BadCase[] = [];
  beforeAll(() => {
    list = cases(inject('kubeconfig'));
  });

  it('has at least 20 cases', () => {
    expect(cases(inject('kubeconfig')).length).toBeGreaterThanOrEqual(20);
  });

  it('every case exits with its code, names its place and writes nothing', async () => {
    const failures: string[] = [];
    for (const c of list) {
      const dir = writeCase(root, c);
      const before = await snapshot();
      const { args, env } = caseRun(c, dir);
      const r = await runFerry(args, dir, env);
      try {
        // apply reports per object on stdout: a refused sync says so, and nothing else happened.
        if (c.args[0] === 'apply' && r.stdout !== '')
          expect(r.stdout, c.name).toMatch(/sync failed \(dry-run\)|^failed /m);
        expectClean(c, { ...r, stdout: '' });
        const after = await snapshot();
        const isNs = (x: string) => x.startsWith('Namespace/');
        expect(
          after.filter(isNs).filter((x) => !before.includes(x)),
          `${c.name}: a namespace was created`,
        ).toEqual([]);
        expect(
          after.filter((x) => !isNs(x)),
          `${c.name}: an object changed`,
        ).toEqual(before.filter((x) => !isNs(x)));
      } catch (e) {
        failures.push(`${c.name}: ${(e as Error).message.split('\n').slice(0, 4).join(' | ')}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
