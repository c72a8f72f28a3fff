/**
 * Every kind of bad input gets a located message, all errors of an app come
 * together, stdout stays empty and the exit code is 1.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conformanceDir, ferry, ferryProcess, ferryProcessWith, repoRoot } from './helpers.js';

const bad = (f: string) => join('test', 'fixtures', 'bad', f);
const builtin = (f: string) => join(repoRoot, 'definitions', f);

async function renderErrors(...args: string[]): Promise<string[]> {
  const r = await ferry('render', ...args);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines.at(-1)).toBe(`${lines.length - 1} error${lines.length === 2 ? '' : 's'}`);
  return lines.slice(0, -1);
}

describe('bad input', () => {
  it('malformed YAML names file, line and column', async () => {
    expect(await renderErrors(bad('malformed.yaml'))).toEqual([
      `${bad('malformed.yaml')}:10:1: malformed YAML: ` +
        'Flow map in block collection must be sufficiently indented and end with a }',
    ]);
  });

  it('unknown component, trait and policy types are all reported, with suggestions', async () => {
    expect(await renderErrors(bad('unknown-types.yaml'))).toEqual([
      `${bad('unknown-types.yaml')}:20:13: policy "where": unknown policy type "topolgy"`,
      `${bad('unknown-types.yaml')}:8:13: component "web": ` +
        'unknown component type "webservic"; did you mean "webservice"?',
      `${bad('unknown-types.yaml')}:16:17: component "api", trait "scalr": ` +
        'unknown trait type "scalr"; did you mean "scaler"?',
    ]);
  });

  it('missing, mistyped and out-of-constraint parameters point at the property and the definition', async () => {
    const ws = builtin('components/webservice.cue');
    const scaler = builtin('traits/scaler.cue');
    expect(await renderErrors(bad('parameters.yaml'))).toEqual([
      `${bad('parameters.yaml')}:10:9: component "no-image": ` +
        `missing required parameter "image" of component "webservice" (string) (see ${ws}:189:3)`,
      `${bad('parameters.yaml')}:16:19: component "wrong-type": invalid value for parameter "ports[0].port": ` +
        `conflicting values "eighty" and int (mismatched types string and int) (see ${ws}:198:20)`,
      `${bad('parameters.yaml')}:21:21: component "out-of-range": invalid value for parameter "exposeType": ` +
        '"Internal" is not one of "ClusterIP", "LoadBalancer", "NodePort" ' +
        `(see ${ws}:206:16, ${ws}:206:43, ${ws}:206:30)`,
      `${bad('parameters.yaml')}:29:23: component "bad-trait-value", trait "scaler": ` +
        `invalid value for parameter "replicas": "many" is not one of 1, int (see ${scaler}:13:14, ${scaler}:13:18)`,
    ]);
  });

  it('traits that conflict or report errs; with --strict also traits that do not apply', async () => {
    const notApplicable =
      `${bad('traits.yaml')}:13:17: component "nightly", trait "scaler": ` +
      'trait "scaler" applies to [deployments.apps, statefulsets.apps], not to component type "cron-task" (CronJob)';
    expect(await renderErrors(bad('traits.yaml'))).toEqual(
      (await renderErrors(bad('traits.yaml'), '--strict')).filter((l) => l !== notApplicable),
    );
    expect(await renderErrors(bad('traits.yaml'), '--strict')).toEqual([
      `${bad('traits.yaml')}:13:17: component "nightly", trait "scaler": ` +
        'trait "scaler" applies to [deployments.apps, statefulsets.apps], not to component type "cron-task" (CronJob)',
      `${bad('traits.yaml')}:20:17: component "web", trait "hpa": ` +
        'trait "hpa" conflicts with trait "cpuscaler" on the same component',
      `${bad('traits.yaml')}:21:17: component "web", trait "cpuscaler": ` +
        'trait "cpuscaler" conflicts with trait "hpa" on the same component',
      `${bad('traits.yaml')}:29:13: component "api", trait "env": ` +
        `trait "env" reported: container missing not found (see ${builtin('traits/env.cue')})`,
    ]);
  });

  it(
    'a CUE conflict inside a definition points into the definition, ' + 'and errs from a definition are reported',
    async () => {
      const defs = bad('defs');
      expect(await renderErrors(bad('definition-errors.yaml'), '--definitions', defs)).toEqual([
        `${defs}/conflicting.cue:10:19: component "c": component definition "conflicting" at output.spec.replicas: ` +
          `conflicting values 3 and 1 (see ${bad('definition-errors.yaml')}:7:7)`,
        `${bad('definition-errors.yaml')}:14:9: component "g": ` +
          `component "guarded" reported: prod needs backups: true (see ${defs}/guarded.cue)`,
      ]);
    },
  );

  it('syntax errors in definition files and CR templates are located in those files', async () => {
    const defs = bad('broken-defs');
    expect(await renderErrors(bad('ok.yaml'), '--definitions', defs)).toEqual([
      `${defs}/bad-cr.yaml:13:9: expected operand, found '}'`,
      `${defs}/bad-syntax.cue:9:26: expected '}', found 'EOF'`,
    ]);
  });

  it("a definition importing CUE's tool/* packages (cue cmd only) is refused at its import", async () => {
    const defs = bad('tool-defs');
    expect(await renderErrors(bad('tool-import.yaml'), '--definitions', defs)).toEqual([
      `${defs}/runner.cue:2:8: component "web", trait "runner": trait definition "runner": ` +
        `builtin package "tool/exec" undefined (see ${bad('tool-import.yaml')}:12:11)`,
    ]);
  });

  it('duplicate component names', async () => {
    expect(await renderErrors(bad('duplicate.yaml'))).toEqual([
      `${bad('duplicate.yaml')}:10:7: component "web": duplicate component name "web" (first defined at line 7)`,
    ]);
  });

  it('an unknown environment lists the ones the app has', async () => {
    const errs = await renderErrors(join('examples', 'apps', 'multi-env'), '--env', 'qa');
    expect(errs).toEqual([
      `${join('examples', 'apps', 'multi-env', 'app.yaml')}:1:1: ` +
        'unknown environment "qa"; this app has "deploy-dev", "deploy-staging", "deploy-prod"',
    ]);
  });

  it('a missing file', async () => {
    expect(await renderErrors('nope.yaml')).toEqual(['nope.yaml: no such file or directory']);
  });
});

describe('the ferry process', () => {
  it('exits 1 with nothing on stdout and no stack trace on invalid input', () => {
    const r = ferryProcess('render', bad('parameters.yaml'));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('missing required parameter "image"');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses FERRY_CUE_DIR naming a folder without the engine, naming the variable (exit 2)', () => {
    const dir = join(repoRoot, 'test', 'fixtures');
    for (const args of [
      ['render', bad('ok.yaml')],
      ['def', 'list'],
    ]) {
      const r = ferryProcessWith({ FERRY_CUE_DIR: dir }, ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(
        `FERRY_CUE_DIR=${JSON.stringify(dir)}: holds no cue.wasm (\`npm run build\` writes it to build/cue/)`,
      );
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('reports a path it cannot read without a stack trace, however the path is wrong', () => {
    // Below a file (ENOTDIR): the engine's early start looks at the path too, before the command does.
    const r = ferryProcess('render', join('README.md', 'app.yaml'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('README.md/app.yaml');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 on a usage error', () => {
    expect(ferryProcess('render').code).toBe(2);
    expect(ferryProcess('render', bad('ok.yaml'), '-o', 'xml').code).toBe(2);
    expect(ferryProcess('frobnicate').code).toBe(2);
  });

  it('prints help for every command', () => {
    for (const args of [
      ['--help'],
      ['render', '--help'],
      ['def', '--help'],
      ['def', 'list', '--help'],
      ['def', 'show', '--help'],
    ]) {
      const r = ferryProcess(...args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: ferry/);
    }
  });
});

describe('ferry def', () => {
  it('lists every built-in definition KubeVela users expect', async () => {
    const r = await ferry('def', 'list');
    expect(r.code).toBe(0);
    const names = r.stdout
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s+/)[0])
      .filter(Boolean);
    expect(names.sort()).toEqual(
      [
        'webservice',
        'worker',
        'task',
        'cron-task',
        'daemon',
        'statefulset',
        'k8s-objects',
        'scaler',
        'cpuscaler',
        'hpa',
        'labels',
        'annotations',
        'env',
        'command',
        'container-image',
        'sidecar',
        'init-container',
        'storage',
        'resource',
        'affinity',
        'expose',
        'gateway',
        'json-patch',
        'json-merge-patch',
        'canary',
        'slo',
        'topology',
        'override',
        'garbage-collect',
        'apply-once',
        'deploy',
        'suspend',
        'apply-component',
        'step-group',
      ].sort(),
    );
  });

  it('shows a parameter table with type, default, required and description', async () => {
    const r = await ferry('def', 'show', 'cron-task');
    expect(r.code).toBe(0);
    const row = (name: string) =>
      r.stdout
        .split('\n')
        .find((l) => l.startsWith(`${name} `))
        ?.split(/\s{2,}/);
    expect(row('schedule')).toEqual(['schedule', 'string', 'yes', 'Schedule in cron format, e.g. "*/5 * * * *"']);
    expect(row('concurrencyPolicy')).toEqual([
      'concurrencyPolicy',
      '"Allow"|"Forbid"|"Replace"',
      '"Allow"',
      'no',
      'What to do when a run is still going at the next schedule',
    ]);
    expect(row('backoffLimit')).toEqual([
      'backoffLimit',
      'integer',
      '6',
      'no',
      'Retries before a job is marked failed',
    ]);
  });

  it('shows user definitions, including YAML CRs', async () => {
    const r = await ferry('def', 'show', 'myingress', '--definitions', join(conformanceDir(), 'dryrun-golden', 'defs'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('myingress (trait, user)');
    expect(r.stdout).toMatch(/^domain\s+string\s+yes/m);
  });

  it('an unknown name exits 1', async () => {
    const r = await ferry('def', 'show', 'nope');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown definition "nope"');
  });
});
