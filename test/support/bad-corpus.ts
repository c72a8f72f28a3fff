/**
 * A corpus of bad inputs for the ferry CLI: YAML, the application schema, definitions, files and
 * folders, flags and ferry.yaml. Each case is written into its own folder and run as a real `ferry`
 * process (test/integration/bad-input-corpus.test.ts); cases that need a cluster live in
 * test/cluster/bad-input-cluster.test.ts and reuse the same shape.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';

/** A file's content, or a special file. */
export type Entry = string | { fifo: true } | { symlink: string } | { dir: true };

export interface BadCase {
  name: string;
  category: string;
  files: Record<string, Entry>;
  /** Arguments after `ferry`; `$DIR` is the case folder. */
  args: string[];
  /** The documented exit code: 1 invalid input, 2 usage, 3 cluster or Git unreachable. */
  exit: 1 | 2 | 3;
  /** The place the message must name (a regex over stderr), e.g. /app\.yaml:7:13: /. */
  where: RegExp;
  /** Optional further text the message must contain. */
  says?: RegExp;
  /** Environment variables for the process (`$DIR` is the case folder). */
  env?: Record<string, string>;
}

/** A case's arguments and environment with `$DIR` replaced by its folder. */
export function caseRun(c: BadCase, dir: string): { args: string[]; env: Record<string, string> } {
  return {
    args: c.args.map((a) => a.replaceAll('$DIR', dir)),
    env: Object.fromEntries(Object.entries(c.env ?? {}).map(([k, v]) => [k, v.replaceAll('$DIR', dir)])),
  };
}

export function writeCase(root: string, c: BadCase): string {
  const dir = join(root, c.name);
  mkdirSync(dir, { recursive: true });
  for (const [rel, entry] of Object.entries(c.files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    if (typeof entry === 'string') writeFileSync(path, entry);
    else if ('fifo' in entry) execFileSync('mkfifo', [path]);
    else if ('symlink' in entry) symlinkSync(entry.symlink, path);
    else mkdirSync(path, { recursive: true });
  }
  return dir;
}

const header = (name = 'demo', extra = '') =>
  `apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n  name: ${name}\n${extra}spec:\n`;
const web = (name = 'web', more = '') =>
  `    - name: ${name}\n      type: webservice\n      properties:\n        image: nginx:1.25\n${more}`;
/** A small valid app with one webservice component. */
export const okApp = (name = 'demo') => `${header(name)}  components:\n${web()}`;
const app = (components: string, rest = '', name = 'demo', meta = '') =>
  `${header(name, meta)}  components:\n${components}${rest}`;

const render = (file = 'app.yaml', ...more: string[]) => ['render', `$DIR/${file}`, ...more];
const at = (file: string, line: number, col?: number) =>
  new RegExp(`${file.replace(/\./g, '\\.')}:${line}${col ? `:${col}` : ':\\d+'}: `);
const inFile = (file: string) => new RegExp(`${file.replace(/\./g, '\\.')}(:\\d+:\\d+)?: `);

function yamlCases(): BadCase[] {
  const c = (name: string, text: string, where: RegExp = inFile('app.yaml'), says?: RegExp): BadCase => ({
    name: `yaml-${name}`,
    category: 'yaml',
    files: { 'app.yaml': text },
    args: render(),
    exit: 1,
    where,
    ...(says ? { says } : {}),
  });
  const bomb = [
    'a: &a ["x","x","x","x","x","x","x","x","x"]',
    ...Array.from({ length: 8 }, (_, i) => {
      const [name, prev] = [String.fromCharCode(98 + i), String.fromCharCode(97 + i)];
      return `${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`;
    }),
  ].join('\n');
  return [
    c('unclosed-flow-map', `${header()}  components: [{name: web, type: webservice\n`, at('app.yaml', 7)),
    c('unclosed-flow-seq', `${header()}  components: [\n`, at('app.yaml', 7)),
    c('bad-indentation', `${header()}  components:\n    - name: web\n   type: webservice\n`, at('app.yaml', 8)),
    c('tab-indentation', `${header()}  components:\n\t- name: web\n`, at('app.yaml', 7)),
    c('duplicate-key', `${header()}  components:\n${web()}  components: []\n`, at('app.yaml', 11), /duplicate|unique/i),
    c('unterminated-string', `${header()}  components:\n    - name: "web\n`, at('app.yaml', 8)),
    c('undefined-alias', `${header()}  components: *nothing\n`, at('app.yaml', 6), /alias/i),
    c('alias-bomb', `${bomb}\n${header()}  components:\n${web()}`, inFile('app.yaml'), /alias/i),
    c('binary-garbage', '\u0000\u0001\u0002\u00ff\u00fe{{{{\n', inFile('app.yaml')),
    c('empty-file', '', inFile('app.yaml'), /no Application/),
    c('only-comments', '# nothing here\n', inFile('app.yaml'), /no Application/),
    c('top-level-list', '- a\n- b\n', inFile('app.yaml'), /no Application/),
    c('top-level-scalar', 'hello\n', inFile('app.yaml'), /no Application/),
    c('second-doc-broken', `${okApp()}---\n${header('b')}  components: [\n`, at('app.yaml', 18)),
    c('colon-in-plain-scalar', `${header()}  components:\n    - name: web: x\n`, at('app.yaml', 7)),
    c(
      'bad-anchor-use',
      `${header()}  components:\n    - &a\n      name: web\n      type: webservice\n    - *a\n    - *b\n`,
      inFile('app.yaml'),
      /alias/i,
    ),
    c('flow-map-missing-comma', `${header()}  components: [{name: web type: webservice}]\n`, at('app.yaml', 6)),
    c('mixed-map-seq', `${header()}  components:\n    name: web\n    - type: x\n`, at('app.yaml', 8)),
  ];
}

function schemaCases(): BadCase[] {
  const c = (name: string, text: string, where: RegExp, says?: RegExp, extra: string[] = []): BadCase => ({
    name: `schema-${name}`,
    category: 'application',
    files: { 'app.yaml': text },
    args: render('app.yaml', ...extra),
    exit: 1,
    where,
    ...(says ? { says } : {}),
  });
  const longName = 'a'.repeat(64);
  const cases: BadCase[] = [
    c('wrong-apiversion', okApp().replace('core.oam.dev/v1beta1', 'core.oam.dev/v1'), at('app.yaml', 1), /apiVersion/),
    c(
      'apiversion-missing',
      okApp().replace('apiVersion: core.oam.dev/v1beta1\n', ''),
      inFile('app.yaml'),
      /apiVersion/,
    ),
    c('metadata-missing', okApp().replace('metadata:\n  name: demo\n', ''), inFile('app.yaml'), /metadata/),
    c(
      'metadata-not-map',
      okApp().replace('metadata:\n  name: demo\n', 'metadata: demo\n'),
      at('app.yaml', 3),
      /metadata/,
    ),
    c('name-missing', okApp().replace('  name: demo\n', '  labels: {}\n'), at('app.yaml', 4), /name/),
    c('name-number', okApp().replace('name: demo', 'name: 42'), at('app.yaml', 4), /name/),
    c('name-uppercase', okApp('Demo'), at('app.yaml', 4), /RFC 1123|lowercase/),
    c('name-underscore', okApp('my_app'), at('app.yaml', 4), /RFC 1123|lowercase/),
    c('name-too-long', okApp(longName), at('app.yaml', 4), /63/),
    c('name-leading-dash', okApp('-demo'), at('app.yaml', 4), /RFC 1123|lowercase/),
    c('namespace-list', app(web(), '', 'demo', '  namespace: [a, b]\n'), at('app.yaml', 5), /namespace/),
    c('namespace-invalid', app(web(), '', 'demo', '  namespace: Prod_NS\n'), at('app.yaml', 5), /namespace/),
    c('labels-string', app(web(), '', 'demo', '  labels: team=web\n'), at('app.yaml', 5), /labels/),
    c('labels-value-map', app(web(), '', 'demo', '  labels:\n    team: {a: b}\n'), at('app.yaml', 6), /label/),
    c('annotations-list', app(web(), '', 'demo', '  annotations: [a]\n'), at('app.yaml', 5), /annotations/),
    c('kind-missing-spec', `${header().replace('spec:\n', '')}`, inFile('app.yaml'), /spec/),
    c('spec-string', `${header().replace('spec:\n', 'spec: nothing\n')}`, at('app.yaml', 5), /spec/),
    c('components-map', `${header()}  components:\n    web: {type: webservice}\n`, at('app.yaml', 7), /components/),
    c('components-empty', `${header()}  components: []\n`, at('app.yaml', 6), /component/),
    c('component-scalar', app('    - web\n'), at('app.yaml', 7), /mapping/),
    c(
      'component-name-missing',
      app('    - type: webservice\n      properties: {image: x}\n'),
      at('app.yaml', 7),
      /name/,
    ),
    c('component-name-uppercase', app(web('Web')), at('app.yaml', 7), /RFC 1123|lowercase/),
    c('component-name-too-long', app(web(longName)), at('app.yaml', 7), /63/),
    c(
      'component-name-number',
      app('    - name: 7\n      type: webservice\n      properties: {image: x}\n'),
      at('app.yaml', 7),
      /name/,
    ),
    c('component-type-missing', app('    - name: web\n      properties: {image: x}\n'), at('app.yaml', 7), /type/),
    c(
      'component-type-number',
      app('    - name: web\n      type: 3\n      properties: {image: x}\n'),
      at('app.yaml', 8),
      /type/,
    ),
    c(
      'component-type-unknown',
      app('    - name: web\n      type: webservise\n      properties: {image: x}\n'),
      at('app.yaml', 8),
      /unknown component type/,
    ),
    c('component-duplicate', app(web() + web()), at('app.yaml', 11), /duplicate/),
    c(
      'properties-list',
      app('    - name: web\n      type: webservice\n      properties: [a]\n'),
      at('app.yaml', 9),
      /properties/,
    ),
    c(
      'properties-string',
      app('    - name: web\n      type: webservice\n      properties: image\n'),
      at('app.yaml', 9),
      /properties/,
    ),
    c('traits-map', app(web('web', '      traits:\n        scaler: {}\n')), at('app.yaml', 12), /traits/),
    c('trait-scalar', app(web('web', '      traits: [scaler]\n')), at('app.yaml', 11), /trait/),
    c(
      'trait-type-missing',
      app(web('web', '      traits:\n        - properties: {replicas: 2}\n')),
      at('app.yaml', 12),
      /trait type/,
    ),
    c(
      'trait-type-unknown',
      app(web('web', '      traits:\n        - type: scalr\n')),
      at('app.yaml', 12),
      /unknown trait type/,
    ),
    c(
      'trait-properties-list',
      app(web('web', '      traits:\n        - type: scaler\n          properties: [2]\n')),
      at('app.yaml', 13),
      /properties/,
    ),
    c('depends-on-string', app(web('web', '      dependsOn: db\n') + web('db')), at('app.yaml', 11), /dependsOn/),
    c('depends-on-missing', app(web('web', '      dependsOn: [db]\n')), at('app.yaml', 11), /db/),
    c('depends-on-self', app(web('web', '      dependsOn: [web]\n')), at('app.yaml', 11), /itself|cycle/),
    c(
      'depends-on-cycle',
      app(web('web', '      dependsOn: [db]\n') + web('db', '      dependsOn: [web]\n')),
      at('app.yaml', 11),
      /cycle/,
    ),
    c('depends-on-number', app(web('web', '      dependsOn: [1]\n')), at('app.yaml', 11), /dependsOn/),
    c('inputs-string', app(web('web', '      inputs: x\n')), at('app.yaml', 11), /inputs/),
    c('outputs-string', app(web('web', '      outputs: x\n')), at('app.yaml', 11), /outputs/),
    c('policies-string', app(web(), '  policies: staging\n'), at('app.yaml', 11), /policies/),
    c('policies-map', app(web(), '  policies:\n    staging: {type: topology}\n'), at('app.yaml', 12), /policies/),
    c(
      'policy-name-missing',
      app(web(), '  policies:\n    - type: topology\n      properties: {clusters: [local]}\n'),
      at('app.yaml', 12),
      /name/,
    ),
    c(
      'policy-type-unknown',
      app(web(), '  policies:\n    - name: p\n      type: topolgy\n'),
      at('app.yaml', 13),
      /unknown policy type/,
    ),
    c(
      'policy-duplicate-name',
      app(web(), '  policies:\n    - name: p\n      type: topology\n    - name: p\n      type: topology\n'),
      at('app.yaml', 14),
      /duplicate|twice/,
    ),
    c(
      'policy-properties-list',
      app(web(), '  policies:\n    - name: p\n      type: topology\n      properties: [a]\n'),
      at('app.yaml', 14),
      /properties/,
    ),
    c(
      'topology-clusters-string',
      app(web(), '  policies:\n    - name: p\n      type: topology\n      properties: {clusters: local}\n'),
      at('app.yaml', 14),
      /clusters/,
    ),
    c(
      'override-components-string',
      app(
        web(),
        '  policies:\n    - name: t\n      type: topology\n      properties: {clusters: [local]}\n' +
          '    - name: o\n      type: override\n      properties: {components: web}\n',
      ),
      at('app.yaml', 17),
      /components/,
    ),
    c(
      'override-wrong-shape-env',
      app(
        web(),
        '  policies:\n    - name: t\n      type: topology\n      properties: {clusters: [local]}\n' +
          '    - name: o\n      type: override\n      properties: {components: [{traits: scaler}]}\n',
      ),
      at('app.yaml', 17),
      /traits/,
      ['--env', 't'],
    ),
    c('workflow-string', app(web(), '  workflow: deploy\n'), at('app.yaml', 11), /workflow/),
    c(
      'workflow-steps-map',
      app(web(), '  workflow:\n    steps:\n      a: {type: deploy}\n'),
      at('app.yaml', 13),
      /steps/,
    ),
    c(
      'workflow-steps-string-env',
      app(web(), '  policies:\n    - name: t\n      type: topology\n  workflow:\n    steps: deploy\n'),
      at('app.yaml', 15),
      /steps/,
      ['--env', 't'],
    ),
    c(
      'workflow-step-type-unknown',
      app(web(), '  workflow:\n    steps:\n      - name: a\n        type: frobnicate\n'),
      at('app.yaml', 14),
      /unknown workflow step type/,
    ),
    c(
      'workflow-step-unsupported',
      app(web(), '  workflow:\n    steps:\n      - name: a\n        type: notification\n'),
      at('app.yaml', 14),
      /not supported by Ferry: notification/,
      ['--definitions', '$DIR/steps'],
    ),
    c(
      'workflow-step-name-missing',
      app(web(), '  workflow:\n    steps:\n      - type: deploy\n'),
      at('app.yaml', 13),
      /name/,
    ),
    c(
      'workflow-step-duplicate',
      app(
        web(),
        '  workflow:\n    steps:\n      - name: a\n        type: suspend\n      - name: a\n        type: suspend\n',
      ),
      at('app.yaml', 15),
      /duplicate|twice/,
    ),
    c(
      'deploy-policies-string',
      app(
        web(),
        '  policies:\n    - name: t\n      type: topology\n' +
          '  workflow:\n    steps:\n      - name: d\n        type: deploy\n        properties: {policies: t}\n',
      ),
      at('app.yaml', 18),
      /policies/,
      ['--env', 'd'],
    ),
    c(
      'deploy-unknown-policy',
      app(
        web(),
        '  workflow:\n    steps:\n      - name: d\n        type: deploy\n        properties: {policies: [nope]}\n',
      ),
      at('app.yaml', 15),
      /nope/,
      ['--env', 'd'],
    ),
    c(
      'mode-invalid',
      app(web(), '  workflow:\n    mode: {steps: Sideways}\n    steps: []\n'),
      at('app.yaml', 12),
      /mode/,
    ),
    c('unknown-env', app(web()), inFile('app.yaml'), /unknown environment/, ['--env', 'qa']),
  ];
  // The unsupported-step case loads KubeVela-style workflow-step definitions of its own.
  const unsupported = cases.find((x) => x.name === 'schema-workflow-step-unsupported')!;
  unsupported.files['steps/notification.cue'] =
    'notification: {\n\ttype: "workflow-step"\n\tdescription: "sends a message"\n}\n' +
    'template: {\n\tparameter: {text: *"" | string}\n}\n';
  return cases;
}

function parameterCases(): BadCase[] {
  const c = (name: string, comp: string, where: RegExp, says?: RegExp): BadCase => ({
    name: `param-${name}`,
    category: 'parameters',
    files: { 'app.yaml': app(comp) },
    args: render(),
    exit: 1,
    where,
    ...(says ? { says } : {}),
  });
  const withTrait = (trait: string) => web('web', `      traits:\n${trait}`);
  return [
    c(
      'image-missing',
      '    - name: web\n      type: webservice\n      properties: {}\n',
      at('app.yaml', 9),
      /missing required parameter "image"/,
    ),
    c(
      'image-number',
      '    - name: web\n      type: webservice\n      properties: {image: 5}\n',
      at('app.yaml', 9),
      /image/,
    ),
    c('port-string', web('web', '        ports: [{port: eighty}]\n'), at('app.yaml', 11), /port/),
    c('port-protocol-enum', web('web', '        ports: [{port: 80, protocol: XTP}]\n'), at('app.yaml', 11), /protocol/),
    c('expose-type-enum', web('web', '        exposeType: Internal\n'), at('app.yaml', 11), /exposeType/),
    c('unknown-property', web('web', '        imagez: nginx\n'), at('app.yaml', 11), /imagez/),
    c('env-not-list', web('web', '        env: {A: b}\n'), at('app.yaml', 11), /env/),
    c('cpu-bool', web('web', '        cpu: true\n'), at('app.yaml', 11), /cpu/),
    c(
      'scaler-replicas-string',
      withTrait('        - type: scaler\n          properties: {replicas: many}\n'),
      at('app.yaml', 13),
      /replicas/,
    ),
    c(
      'scaler-replicas-float',
      withTrait('        - type: scaler\n          properties: {replicas: 1.5}\n'),
      at('app.yaml', 13),
      /replicas/,
    ),
    c(
      'hpa-max-string',
      withTrait('        - type: hpa\n          properties: {max: lots}\n'),
      at('app.yaml', 13),
      /max/,
    ),
    c(
      'trait-unknown-property',
      withTrait('        - type: scaler\n          properties: {replica: 2}\n'),
      at('app.yaml', 13),
      /replica/,
    ),
    c(
      'cron-task-schedule-missing',
      '    - name: job\n      type: cron-task\n      properties: {image: busybox}\n',
      at('app.yaml', 9),
      /schedule/,
    ),
    c(
      'trait-not-applicable-strict',
      '    - name: job\n      type: cron-task\n      properties: {image: busybox, schedule: "* * * * *"}\n' +
        '      traits:\n        - type: scaler\n          properties: {replicas: 2}\n',
      at('app.yaml', 11),
      /applies to/,
    ),
    c(
      'traits-conflict',
      withTrait('        - type: hpa\n        - type: cpuscaler\n'),
      at('app.yaml', 12),
      /conflicts with/,
    ),
  ].map((x) =>
    ['param-trait-not-applicable-strict', 'param-unknown-property', 'param-trait-unknown-property'].includes(x.name)
      ? { ...x, args: render('app.yaml', '--strict') }
      : x,
  );
}

/** Nested aliases expanding to 10^6 values: refused at the alias that passes the cap of 100 alias uses. */
const CONFIG_BOMB = [
  'a: &a [x,x,x,x,x,x,x,x,x,x]',
  ...['b', 'c', 'd', 'e', 'f'].map((n, i) => {
    const prev = String.fromCharCode(97 + i);
    return `${n}: ${n === 'f' ? '' : `&${n} `}[${Array(10).fill(`*${prev}`).join(',')}]`;
  }),
]
  .map((l) => `${l}\n`)
  .join('');

const def = (name: string, type: string, template: string, extra = '') =>
  `${name.includes('-') ? `"${name}"` : name}: {\n\ttype: "${type}"\n\tdescription: "test"\n${extra}}\n` +
  `template: {\n${template}\n}\n`;
const use = (type: string) => app(`    - name: c\n      type: ${type}\n`);

function definitionCases(): BadCase[] {
  const c = (name: string, defs: Record<string, string>, appText: string, where: RegExp, says?: RegExp): BadCase => ({
    name: `def-${name}`,
    category: 'definitions',
    files: { 'app.yaml': appText, ...Object.fromEntries(Object.entries(defs).map(([f, t]) => [`defs/${f}`, t])) },
    args: render('app.yaml', '--definitions', '$DIR/defs'),
    exit: 1,
    where,
    ...(says ? { says } : {}),
  });
  const out = '\toutput: {apiVersion: "v1", kind: "ConfigMap", metadata: name: context.name}\n\tparameter: {}';
  return [
    c(
      'syntax-error',
      { 'x.cue': def('x', 'component', '\toutput: {apiVersion: "v1"\n\tparameter: {}') },
      use('x'),
      at('x.cue', 8),
    ),
    c(
      'no-output',
      { 'x.cue': def('x', 'component', '\tparameter: {}') },
      use('x'),
      at('app.yaml', 8, 13),
      /no `output`/,
    ),
    c(
      'output-list',
      { 'x.cue': def('x', 'component', '\toutput: [1, 2]\n\tparameter: {}') },
      use('x'),
      at('app.yaml', 7, 7),
      /is a list, not a Kubernetes object/,
    ),
    c(
      'output-scalar',
      { 'x.cue': def('x', 'component', '\toutput: "hello"\n\tparameter: {}') },
      use('x'),
      at('app.yaml', 7, 7),
      /not a Kubernetes object/,
    ),
    c(
      'output-no-kind',
      { 'x.cue': def('x', 'component', '\toutput: {apiVersion: "v1", metadata: name: "a"}\n\tparameter: {}') },
      use('x'),
      inFile('app.yaml'),
      /no kind/,
    ),
    c(
      'output-bad-name',
      {
        'x.cue': def(
          'x',
          'component',
          '\toutput: {apiVersion: "v1", kind: "ConfigMap", metadata: name: "Not_Valid"}\n\tparameter: {}',
        ),
      },
      use('x'),
      inFile('app.yaml'),
      /RFC 1123|name/,
    ),
    c(
      'output-name-number',
      {
        'x.cue': def(
          'x',
          'component',
          '\toutput: {apiVersion: "v1", kind: "ConfigMap", metadata: name: 5}\n\tparameter: {}',
        ),
      },
      use('x'),
      inFile('app.yaml'),
      /name/,
    ),
    c(
      'outputs-list',
      { 'x.cue': def('x', 'component', `${out}\n\toutputs: [1]`) },
      use('x'),
      at('app.yaml', 8, 13),
      /`outputs` must be a struct/,
    ),
    // Inside one component the later output wins with a warning, as in KubeVela; --strict refuses it.
    {
      ...c(
        'duplicate-rendered-objects',
        {
          'x.cue': def(
            'x',
            'component',
            `${out}\n\toutputs: again: {apiVersion: "v1", kind: "ConfigMap", metadata: name: context.name}`,
          ),
        },
        use('x'),
        at('app.yaml', 7, 7),
        /twice by component "c", by the workload \(output\) and by output "again"/,
      ),
      args: render('app.yaml', '--definitions', '$DIR/defs', '--strict'),
    },
    c(
      'duplicate-objects-across-components',
      {
        'x.cue': def(
          'x',
          'component',
          '\toutput: {apiVersion: "v1", kind: "ConfigMap", metadata: name: "shared"}\n\tparameter: {}',
        ),
      },
      app('    - name: a\n      type: x\n    - name: b\n      type: x\n'),
      at('app.yaml', 9, 7),
      /ConfigMap default\/shared is rendered twice \(by components "a" and "b"\)/,
    ),
    c(
      'two-defs-same-name',
      { 'a.cue': def('x', 'component', out), 'b.cue': def('x', 'component', out) },
      use('x'),
      inFile('b.cue'),
      /x/,
    ),
    c('type-invalid', { 'x.cue': def('x', 'widget', out) }, use('x'), inFile('x.cue'), /type/),
    c('no-template', { 'x.cue': 'x: {\n\ttype: "component"\n}\n' }, use('x'), inFile('x.cue'), /template/),
    c(
      'two-defs-in-file',
      { 'x.cue': `${def('x', 'component', out)}y: {type: "trait"}\n` },
      use('x'),
      at('x.cue', 9),
      /second/,
    ),
    c(
      'template-not-struct',
      { 'x.cue': 'x: {\n\ttype: "component"\n}\ntemplate: 5\n' },
      use('x'),
      inFile('x.cue'),
      /struct/,
    ),
    c(
      'unknown-import',
      { 'x.cue': `import "nope/pkg"\n${def('x', 'component', out)}` },
      use('x'),
      inFile('x.cue'),
      /nope/,
    ),
    c(
      'errs-reported',
      { 'x.cue': def('x', 'component', `${out}\n\terrs: ["always broken"]`) },
      use('x'),
      inFile('app.yaml'),
      /always broken/,
    ),
    c(
      'conflict-in-template',
      {
        'x.cue': def(
          'x',
          'component',
          '\toutput: {apiVersion: "v1", kind: "ConfigMap", metadata: name: context.name, data: a: "1"}\n' +
            '\toutput: data: a: "2"\n\tparameter: {}',
        ),
      },
      use('x'),
      inFile('x.cue'),
      /conflicting/,
    ),
    c(
      'huge-list-range',
      {
        'x.cue': `import "list"\n${def(
          'x',
          'component',
          '\toutput: {apiVersion: "v1", kind: "ConfigMap", metadata: name: context.name, ' +
            'data: n: "\\(len(list.Range(0, 100000000, 1)))"}\n\tparameter: {}',
        )}`,
      },
      use('x'),
      inFile('app.yaml'),
      /limit|budget|took longer|memory/,
    ),
    c(
      'cr-no-template',
      { 'x.yaml': 'apiVersion: core.oam.dev/v1beta1\nkind: ComponentDefinition\nmetadata: {name: x}\nspec: {}\n' },
      use('x'),
      inFile('x.yaml'),
      /template/,
    ),
    c(
      'cr-bad-yaml',
      { 'x.yaml': 'apiVersion: core.oam.dev/v1beta1\nkind: ComponentDefinition\nmetadata: {name: x\n' },
      use('x'),
      inFile('x.yaml'),
    ),
    c(
      'cr-template-syntax',
      {
        'x.yaml':
          'apiVersion: core.oam.dev/v1beta1\nkind: ComponentDefinition\nmetadata: {name: x}\n' +
          'spec:\n  schematic:\n    cue:\n      template: |\n        output: {\n',
      },
      use('x'),
      inFile('x.yaml'),
    ),
    ...budgetCases(c),
    c(
      'cr-alias-bomb',
      { 'x.yaml': `${CONFIG_BOMB}apiVersion: core.oam.dev/v1beta1\nkind: ComponentDefinition\nmetadata: {name: x}\n` },
      use('x'),
      // The alias whose expansion passes the cap of 100: the ninth *b of line 3.
      at('x.yaml', 3, 32),
      /alias bomb/,
    ),
    c(
      'cr-template-map',
      {
        'x.yaml':
          'apiVersion: core.oam.dev/v1beta1\nkind: ComponentDefinition\nmetadata:\n  name: x\nspec:\n  schematic:\n' +
          '    cue:\n      template:\n        output: {apiVersion: v1, kind: ConfigMap}\n',
      },
      use('x'),
      at('x.yaml', 8, 7),
      /spec\.schematic\.cue\.template must be CUE text \(a string, e\.g\. `template: \|`\), not a mapping/,
    ),
    c(
      'cr-template-flow-list',
      {
        'x.yaml':
          'apiVersion: core.oam.dev/v1beta1\nkind: TraitDefinition\nmetadata: {name: x}\n' +
          'spec: {schematic: {cue: {template: [output]}}}\n',
      },
      use('x'),
      at('x.yaml', 4, 26),
      /must be CUE text .*, not a list/,
    ),
    c(
      'trait-patch-conflict',
      {
        't.cue': def(
          't',
          'trait',
          '\tpatch: spec: template: spec: containers: [{image: 5}]\n\tparameter: {}',
          '\tattributes: appliesToWorkloads: ["*"]\n',
        ),
      },
      app(web('web', '      traits:\n        - type: t\n')),
      inFile('app.yaml'),
      /conflict/,
    ),
  ];
}

/**
 * A definition past its CUE time budget (lowered to 1 s with FERRY_EVAL_TIMEOUT): its metadata when it is
 * loaded, its parameters when they are read (`ferry def show`, a component's or trait's properties checked),
 * its template when it is evaluated. Each is a located error, never an internal one.
 */
function budgetCases(
  c: (name: string, defs: Record<string, string>, appText: string, where: RegExp, says?: RegExp) => BadCase,
): BadCase[] {
  const env = { FERRY_EVAL_TIMEOUT: '1s' };
  const slow = '"\\(len(list.Range(0, 100000000, 1)))"';
  const over = /: (loading the definition|component "x": reading its parameters) took longer than 1 s, its time limit/;
  const slowMeta = `import "list"\n${def('x', 'component', '\toutput: {}\n\tparameter: {}', `\tlabels: n: ${slow}\n`)}`;
  const slowTemplate = (type: string) =>
    `import "list"\n${def(
      'x',
      type,
      `\t_n: ${slow}\n\toutput: {apiVersion: "v1", kind: "ConfigMap"}\n\tparameter: {a?: int}`,
      '\tattributes: appliesToWorkloads: ["*"]\n',
    )}`;
  const withProps = app('    - name: c\n      type: x\n      properties: {a: 1}\n');
  const withTrait = app(`${web('web', '      traits:\n        - type: x\n          properties: {a: 1}\n')}`);
  return [
    { ...c('load-over-time-budget', { 'x.cue': slowMeta }, use('x'), at('x.cue', 2, 1), over), env },
    {
      ...c('component-over-time-budget', { 'x.cue': slowTemplate('component') }, withProps, at('app.yaml', 7, 7)),
      says: /component "c": the CUE component "x": evaluation took longer than 1 s.*\(see .*x\.cue\)/,
      env,
    },
    {
      ...c('trait-over-time-budget', { 'x.cue': slowTemplate('trait') }, withTrait, at('app.yaml', 12, 11)),
      says: /trait "x": the CUE trait "x": reading its parameters took longer than 1 s.*\(see .*x\.cue:2:1\)/,
      env,
    },
    {
      ...c('show-over-time-budget', { 'x.cue': slowTemplate('component') }, okApp(), at('x.cue', 2, 1), over),
      args: ['def', 'show', 'x', '--definitions', '$DIR/defs'],
      env,
    },
  ];
}

function fileCases(): BadCase[] {
  const c = (name: string, files: Record<string, Entry>, args: string[], where: RegExp, says?: RegExp): BadCase => ({
    name: `file-${name}`,
    category: 'files',
    files,
    args,
    exit: 1,
    where,
    ...(says ? { says } : {}),
  });
  const env = Array.from({ length: 200_000 }, (_, i) => `          - {name: V${i}, value: "x"}\n`).join('');
  const big = `${header()}  components:\n${web('web', `        env:\n${env}`)}`;
  return [
    c('missing-file', {}, ['render', '$DIR/nope.yaml'], inFile('nope.yaml'), /no such file/),
    c('empty-folder', { apps: { dir: true } }, ['render', '$DIR/apps'], inFile('apps'), /no Application/),
    c(
      'folder-named-app-yaml',
      { 'apps/app.yaml/x': 'a: 1\n' },
      ['render', '$DIR/apps'],
      inFile('app.yaml'),
      /not a regular file|directory/,
    ),
    c(
      'broken-symlink',
      { 'apps/app.yaml': { symlink: 'nowhere.yaml' } },
      ['render', '$DIR/apps'],
      inFile('app.yaml'),
      /link|no such/,
    ),
    c(
      'looping-symlink',
      { 'apps/a.yaml': { symlink: 'b.yaml' }, 'apps/b.yaml': { symlink: 'a.yaml' } },
      ['render', '$DIR/apps'],
      inFile('a.yaml'),
      /link|loop/,
    ),
    c('fifo-app', { 'apps/app.yaml': { fifo: true } }, ['render', '$DIR/apps'], inFile('app.yaml'), /regular file/),
    c(
      'fifo-app-direct',
      { 'app.yaml': { fifo: true } },
      ['render', '$DIR/app.yaml'],
      inFile('app.yaml'),
      /regular file/,
    ),
    c(
      'dev-zero-link',
      { 'apps/app.yaml': { symlink: '/dev/zero' } },
      ['render', '$DIR/apps'],
      inFile('app.yaml'),
      /regular file/,
    ),
    c(
      'fifo-in-definitions',
      { 'apps/app.yaml': okApp(), 'apps/definitions/x.cue': { fifo: true } },
      ['render', '$DIR/apps'],
      inFile('x.cue'),
      /regular file/,
    ),
    c(
      'fifo-definitions-flag',
      { 'app.yaml': okApp(), 'defs/x.cue': { fifo: true } },
      ['render', '$DIR/app.yaml', '--definitions', '$DIR/defs'],
      inFile('x.cue'),
      /regular file/,
    ),
    c(
      'definitions-missing-dir',
      { 'app.yaml': okApp() },
      ['render', '$DIR/app.yaml', '--definitions', '$DIR/nodefs'],
      inFile('nodefs'),
      /no such|cannot read/,
    ),
    c(
      'definitions-is-file',
      { 'app.yaml': okApp(), 'defs.cue': 'x: 1\n' },
      ['render', '$DIR/app.yaml', '--definitions', '$DIR/defs.cue'],
      inFile('defs.cue'),
      /folder|directory/,
    ),
    c('too-big', { 'app.yaml': big }, ['render', '$DIR/app.yaml'], inFile('app.yaml'), /MiB|limit/),
    c(
      'same-app-twice',
      { 'apps/a.yaml': okApp('shop'), 'apps/b.yaml': okApp('shop') },
      ['render', '$DIR/apps'],
      inFile('b.yaml'),
      /shop/,
    ),
    c(
      'only-other-kinds',
      { 'apps/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n' },
      ['render', '$DIR/apps'],
      inFile('apps'),
      /no Application/,
    ),
  ];
}

function flagCases(): BadCase[] {
  const c = (name: string, args: string[], where: RegExp, says?: RegExp): BadCase => ({
    name: `flag-${name}`,
    category: 'flags',
    files: { 'app.yaml': okApp(), 'ferry.yaml': 'environments:\n  - name: dev\n' },
    args,
    exit: 2,
    where,
    ...(says ? { says } : {}),
  });
  const kube = ['--kubeconfig', '$DIR/none.kubeconfig'];
  return [
    c('no-command', [], /Usage: ferry/),
    c('unknown-command', ['frobnicate'], /frobnicate/),
    c('render-no-arg', ['render'], /app/),
    c('render-output-xml', ['render', '$DIR/app.yaml', '-o', 'xml'], /-o|--output/),
    c('render-unknown-flag', ['render', '$DIR/app.yaml', '--frob'], /--frob/),
    c('apply-no-env', ['apply', '$DIR/app.yaml'], /--env/),
    c('apply-self-heal-bad', ['apply', '$DIR/app.yaml', '-e', 'dev', '--self-heal', '10x', ...kube], /--self-heal/),
    c('apply-timeout-bad', ['apply', '$DIR/app.yaml', '-e', 'dev', '--timeout', 'soon', ...kube], /--timeout/),
    c('diff-no-env', ['diff', '$DIR/app.yaml'], /--env/),
    c('status-app-no-env', ['status', '$DIR/app.yaml'], /--env/),
    c('serve-no-repo', ['serve'], /--repo/),
    c('serve-concurrency-lots', ['serve', '--repo', '$DIR', '--concurrency', 'lots', ...kube], /--concurrency/),
    c('serve-concurrency-zero', ['serve', '--repo', '$DIR', '--concurrency', '0', ...kube], /--concurrency/),
    c('serve-interval-bad', ['serve', '--repo', '$DIR', '--interval', 'often', ...kube], /--interval/),
    c('serve-port-bad', ['serve', '--repo', '$DIR', '--port', '99999', ...kube], /--port/),
    c('serve-resync-bad', ['serve', '--repo', '$DIR', '--resync', 'x', ...kube], /--resync/),
    c('history-no-env', ['history', 'web'], /--env/),
    c('rollback-no-env', ['rollback', 'web'], /--env/),
    c('rollout-status-no-env', ['rollout', 'status', 'web'], /--env/),
    c('rollout-promote-no-app', ['rollout', 'promote', '-e', 'dev'], /app/),
    c('rollout-unknown-subcommand', ['rollout', 'pause', 'web', '-e', 'dev'], /pause|unknown/),
    c('def-show-no-name', ['def', 'show'], /name/),
    // Environment variables are checked as flags are: a value that does not parse names the variable.
    ...(
      [
        ['FERRY_EVAL_TIMEOUT', 'soon', /not a duration/],
        ['FERRY_MAX_FILE_BYTES', '1MiB', /not a positive whole number/],
        ['FERRY_LOG_LEVEL', 'loud', /not one of/],
        ['FERRY_PROMETHEUS_URL', 'prometheus:9090', /not an http\(s\) URL/],
      ] as const
    ).map(([name, value, says]) => ({
      ...c(`env-${name.toLowerCase().replaceAll('_', '-')}`, ['render', '$DIR/app.yaml'], new RegExp(`${name}=`), says),
      env: { [name]: value },
    })),
  ];
}

/**
 * The commands that read the controller's records, and the controller itself (`ferry serve`): a kubeconfig that is
 * missing, garbled or lacks the context.
 */
function recordCases(): BadCase[] {
  const files = {
    'garbled.kubeconfig': 'apiVersion: v1\nclusters: {{{\n',
    'other.kubeconfig':
      'apiVersion: v1\nkind: Config\nclusters: [{name: a, cluster: {server: "https://127.0.0.1:1"}}]\n' +
      'users: [{name: u, user: {}}]\ncontexts: [{name: a, context: {cluster: a, user: u}}]\ncurrent-context: a\n',
  };
  const c = (name: string, args: string[], file: string, says: RegExp): BadCase => ({
    name: `records-${name}`,
    category: 'records',
    files,
    args: [...args, '--kubeconfig', `$DIR/${file}`],
    exit: 1,
    where: new RegExp(file.replace('.', '\\.')),
    says,
  });
  return [
    c('status-no-kubeconfig', ['status'], 'none.kubeconfig', /no kubeconfig/),
    c('history-garbled-kubeconfig', ['history', 'web', '-e', 'dev'], 'garbled.kubeconfig', /not a valid kubeconfig/),
    c(
      'rollout-status-unknown-context',
      ['rollout', 'status', 'web', '-e', 'dev', '--context', 'prod'],
      'other.kubeconfig',
      /no context "prod"/,
    ),
    c('rollout-promote-no-kubeconfig', ['rollout', 'promote', 'web', '-e', 'dev'], 'none.kubeconfig', /no kubeconfig/),
    c(
      'rollout-abort-garbled-kubeconfig',
      ['rollout', 'abort', 'web', '-e', 'dev'],
      'garbled.kubeconfig',
      /not a valid kubeconfig/,
    ),
    c('serve-no-kubeconfig', ['serve', '--repo', '$DIR'], 'none.kubeconfig', /no kubeconfig/),
    c('serve-garbled-kubeconfig', ['serve', '--repo', '$DIR'], 'garbled.kubeconfig', /not a valid kubeconfig/),
    c(
      'serve-unknown-context',
      ['serve', '--repo', '$DIR', '--context', 'prod'],
      'other.kubeconfig',
      /no context "prod" \(it has "a"\)/,
    ),
    {
      // $KUBECONFIG naming a file that is not there, as --kubeconfig does.
      ...c('serve-kubeconfig-env-missing', ['serve', '--repo', '$DIR'], 'none.kubeconfig', /no kubeconfig/),
      args: ['serve', '--repo', '$DIR'],
      env: { KUBECONFIG: '$DIR/none.kubeconfig' },
    },
  ];
}

function configCases(): BadCase[] {
  const c = (name: string, config: string, where: RegExp, says?: RegExp): BadCase => ({
    name: `config-${name}`,
    category: 'ferry.yaml',
    files: { 'app.yaml': okApp(), 'ferry.yaml': config },
    args: [
      'apply',
      '$DIR/app.yaml',
      '-e',
      'dev',
      '--config',
      '$DIR/ferry.yaml',
      '--kubeconfig',
      '$DIR/none.kubeconfig',
    ],
    exit: 1,
    where,
    ...(says ? { says } : {}),
  });
  return [
    // A YAML error at its own line and column (an unclosed flow sequence ends at the end of the file).
    c('malformed', 'environments: [\n', at('ferry.yaml', 2, 1), /Flow sequence/),
    c('malformed-duplicate-key', 'environments:\n  - name: dev\n    name: prod\n', at('ferry.yaml', 3, 5), /unique/),
    c('malformed-tab-indent', 'defaults: {}\nenvironments:\n\t- name: dev\n', at('ferry.yaml', 3, 1), /Tabs/),
    c(
      'malformed-flow-map',
      'defaults:\n  autoRollback: true\nenvironments:\n  - {name: dev context: x}\n',
      at('ferry.yaml', 4, 12),
      /malformed YAML/,
    ),
    c('unknown-top-field', 'environments:\n  - name: dev\nenvironmnts: []\n', at('ferry.yaml', 3), /environmnts/),
    c('unknown-env-field', 'environments:\n  - name: dev\n    contxt: kind-dev\n', at('ferry.yaml', 3), /contxt/),
    c('environments-map', 'environments:\n  dev: {context: a}\n', at('ferry.yaml', 2), /environments/),
    c('environment-scalar', 'environments:\n  - dev\n', at('ferry.yaml', 2), /environment/),
    c('env-name-missing', 'environments:\n  - context: a\n', at('ferry.yaml', 2), /name/),
    c('env-name-invalid', 'environments:\n  - name: Dev_1\n', at('ferry.yaml', 2), /name/),
    c('env-duplicate', 'environments:\n  - name: dev\n  - name: dev\n', at('ferry.yaml', 3), /twice|duplicate/),
    c('context-number', 'environments:\n  - name: dev\n    context: 5\n', at('ferry.yaml', 3), /context/),
    c('namespace-invalid', 'environments:\n  - name: dev\n    namespace: Not_OK\n', at('ferry.yaml', 3), /namespace/),
    c('defaults-list', 'environments:\n  - name: dev\ndefaults: [a]\n', at('ferry.yaml', 3), /defaults/),
    // Promotion policies: refused before anything is applied, at the field.
    c(
      'promotion-unknown-from',
      'environments:\n  - name: dev\n  - name: prod\n    promotion:\n      from: stagin\n',
      at('ferry.yaml', 5, 13),
      /no environment "stagin"/,
    ),
    c(
      'promotion-cycle',
      'environments:\n  - name: dev\n    promotion: {from: prod}\n  - name: prod\n    promotion: {from: dev}\n',
      at('ferry.yaml', 3),
      /a cycle: dev ← prod ← dev/,
    ),
    c(
      'promotion-window-garbled',
      'environments:\n  - name: dev\n  - name: prod\n    promotion:\n      from: dev\n      window: Mon-Fri 9am\n',
      at('ferry.yaml', 6, 15),
      /not a time range/,
    ),
    c(
      'promotion-waves-misplaced',
      'environments:\n  - name: dev\n  - name: prod\n    promotion:\n      from: dev\n      waves: [eu, us]\n',
      at('ferry.yaml', 6, 7),
      /unknown field "waves"/,
    ),
    c('waves-twice', 'environments:\n  - name: prod\n    waves: [eu, us, eu]\n', at('ferry.yaml', 3, 12), /waves/),
    c(
      'cluster-metrics-unknown-field',
      'clusters:\n  prod-eu:\n    prometheus: http://127.0.0.1:9090\nenvironments:\n  - name: prod\n',
      at('ferry.yaml', 3, 5),
      /unknown field "prometheus"/,
    ),
    c(
      'defaults-autorollback-string',
      'environments:\n  - name: dev\ndefaults:\n  autoRollback: yes please\n',
      at('ferry.yaml', 4),
      /autoRollback/,
    ),
    c(
      'defaults-unknown',
      'environments:\n  - name: dev\ndefaults:\n  autoRollbak: true\n',
      at('ferry.yaml', 4),
      /autoRollbak/,
    ),
    c(
      'verify-timeout-bad',
      'environments:\n  - name: dev\ndefaults:\n  verifyTimeout: forever\n',
      at('ferry.yaml', 4),
      /verifyTimeout/,
    ),
    c('top-level-list', '- name: dev\n', at('ferry.yaml', 1), /mapping|object/),
    c('alias-bomb', `${CONFIG_BOMB}environments:\n  - name: dev\n`, inFile('ferry.yaml'), /alias/i),
    c('missing-config-file', '', inFile('nothere.yaml'), /no such/),
  ].map((x) =>
    x.name === 'config-missing-config-file'
      ? { ...x, args: x.args.map((a) => (a === '$DIR/ferry.yaml' ? '$DIR/nothere.yaml' : a)) }
      : x,
  );
}

/** Cases that need no cluster: every category above. */
export function offlineCases(): BadCase[] {
  return [
    ...yamlCases(),
    ...schemaCases(),
    ...parameterCases(),
    ...definitionCases(),
    ...fileCases(),
    ...flagCases(),
    ...recordCases(),
    ...configCases(),
  ];
}
