/**
 * `ferry apply` (and `ferry diff`) print the render's warnings on stderr as `ferry render` does, before
 * anything reaches a cluster; `--strict` makes them errors. Here no cluster is needed: the kubeconfig is
 * missing, so the command stops after the render (the same apply against a cluster: test/cluster/cli-sync.test.ts).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ferry } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ferry-apply-warnings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = join(dir, 'app.yaml');
writeFileSync(
  file,
  `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: agent
spec:
  components:
    - name: agent
      type: daemon
      properties: {image: "fluentd:1.16", imagePullPolicyy: Always}
      traits:
        - type: expose
          properties: {port: [24224]}
`,
);
const none = join(dir, 'none.kubeconfig');
const trait =
  `warning: ${file}:11:17: component "agent", trait "expose": trait "expose" applies to ` +
  '[deployments.apps, statefulsets.apps], not to component type "daemon" (DaemonSet) (--strict makes this an error)';

describe('render warnings outside ferry render', () => {
  it('ferry render prints them (the reference)', async () => {
    const r = await ferry('render', file);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${trait}\n`);
    expect(r.stderr).toMatch(/^warning: .*app\.yaml:9:\d+: .*"imagePullPolicyy".*\(--strict makes this an error\)$/m);
  });

  it.each(['apply', 'diff'])('ferry %s prints the same warnings, then goes on to the cluster', async (command) => {
    const render = await ferry('render', file);
    const warnings = render.stderr.split('\n').filter((l) => l.startsWith('warning: '));
    expect(warnings).toHaveLength(2);
    const r = await ferry(command, file, '-e', 'default', '--kubeconfig', none);
    expect(r.stdout).toBe('');
    // The warnings first, then what stopped it: the kubeconfig (exit 1; diff's invalid input is 2).
    expect(r.stderr.split('\n').slice(0, 2)).toEqual(warnings);
    expect(r.stderr).toContain(`${none}: no kubeconfig here`);
    expect(r.code).toBe(command === 'apply' ? 1 : 2);
  });

  it.each([
    'apply',
    'diff',
  ])('ferry %s --strict makes them errors, as render --strict does: nothing goes further', async (command) => {
    const render = await ferry('render', file, '--strict');
    expect(render.code).toBe(1);
    expect(render.stderr).toMatch(/^\S+app\.yaml:9:\d+: .*unknown parameter "imagePullPolicyy"/m);
    const r = await ferry(command, file, '-e', 'default', '--kubeconfig', none, '--strict');
    expect(r.code).toBe(command === 'apply' ? 1 : 2);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toContain('warning: ');
    expect(r.stderr).not.toContain('no kubeconfig');
    // The same located errors (diff prints no "N errors" line).
    const errors = (text: string) => text.split('\n').filter((l) => l.includes('app.yaml:'));
    expect(errors(r.stderr)).toEqual(errors(render.stderr));
  });

  it('ferry apply --strict with only a trait outside its appliesToWorkloads refuses it too', async () => {
    const only = join(dir, 'trait-only.yaml');
    writeFileSync(only, readFileSync(file, 'utf8').replace(', imagePullPolicyy: Always', ''));
    const r = await ferry('apply', only, '-e', 'default', '--kubeconfig', none, '--strict');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${only}:11:17: component "agent", trait "expose": trait "expose" applies to [`);
    expect(r.stderr).not.toContain('no kubeconfig');
  });
});
