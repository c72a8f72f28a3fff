/**
 * Runtime traits are checked in the render pipeline: a bad `canary` setting is refused by `ferry render`
 * (with or without --env), `ferry apply` and `ferry diff` — run as real processes — at its file, line and
 * column, after the environment's override policies. The trait's CUE schema (definitions/traits/canary.cue)
 * and its TypeScript parser (src/traits/canary/spec.ts) accept and refuse the same settings.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CueEngine } from '../../src/oam/cue/engine.js';
import { loadWasmEngine } from '../../src/oam/cue/wasm-engine.js';
import { loadRegistry } from '../../src/oam/definitions/builtin.js';
import type { DefinitionRegistry } from '../../src/oam/definitions/registry.js';
import { formatProblem } from '../../src/oam/errors.js';
import { parseApplications } from '../../src/oam/model/parse.js';
import { renderApp } from '../../src/oam/render/app.js';
import { parseCanary } from '../../src/traits/canary/spec.js';
import { parseSlo } from '../../src/traits/slo/spec.js';
import { RUNTIME_TRAITS } from '../../src/traits/registry.js';
import { runFerry, type Run } from '../support/ferry-process.js';

const root = mkdtempSync(join(tmpdir(), 'ferry-runtime-traits-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** At most two ferry processes at once (two cores). */
let running = 0;
const waiting: (() => void)[] = [];
async function ferryIn(dir: string, ...args: string[]): Promise<Run> {
  if (running >= 2) await new Promise<void>((res) => waiting.push(res));
  running++;
  try {
    return await runFerry(args, dir);
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function writeApp(text: string): string {
  const dir = mkdtempSync(join(root, 'case-'));
  writeFileSync(join(dir, 'app.yaml'), text);
  return dir;
}

/** The canary's properties start on line 15, at column 13. */
const appWith = (props: string) => `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: shop
spec:
  components:
    - name: web
      type: webservice
      properties:
        image: nginx:1.27
        port: 80
      traits:
        - type: canary
          properties:
${props
  .trim()
  .split('\n')
  .map((l) => `            ${l}`)
  .join('\n')}
  policies:
    - name: prod
      type: topology
      properties: {clusters: [local], namespace: shop-prod}
`;

interface BadCase {
  name: string;
  /** The canary's properties, as YAML. */
  props: string;
  /** line:column in app.yaml. */
  at: string;
  /** The message: the property's path, then what it should be. */
  says: string;
}

const WEIGHT = 'an integer from 1 to 99 (100 is the promotion after the last step)';
const BUILTIN = 'success-rate, latency, latency-p99, latency-p95, latency-p50';
const ROUTE = 'the name of the HTTPRoute whose backendRefs carry the split';

const BAD: BadCase[] = [
  {
    name: 'weight 150',
    props: 'steps:\n  - weight: 150\n  - pause: {}',
    at: '16:25',
    says: `steps[0].weight: ${WEIGHT}, not 150`,
  },
  { name: 'weight 0', props: 'steps:\n  - weight: 0', at: '16:25', says: `steps[0].weight: ${WEIGHT}, not 0` },
  { name: 'weight -5', props: 'steps:\n  - weight: -5', at: '16:25', says: `steps[0].weight: ${WEIGHT}, not -5` },
  {
    name: 'a non-integer weight',
    props: 'steps:\n  - weight: 12.5',
    at: '16:25',
    says: `steps[0].weight: ${WEIGHT}, not 12.5`,
  },
  {
    name: 'a quoted weight',
    props: 'steps:\n  - weight: "10"',
    at: '16:25',
    says: `steps[0].weight: ${WEIGHT}, not "10"`,
  },
  {
    name: 'a step with two keys',
    props: 'steps:\n  - weight: 10\n    pause: {}',
    at: '16:17',
    says: 'steps[0]: one of {weight: n} or {pause: {duration?}}, not {"weight":10,"pause":{}}',
  },
  {
    name: 'an empty steps list',
    props: 'steps: []',
    at: '15:20',
    says: 'steps: a non-empty list of {weight: n} or {pause: {duration?}}',
  },
  {
    name: 'no weight step',
    props: 'steps:\n  - pause: {duration: 1m}',
    at: '16:15',
    says: 'steps: at least one weight step',
  },
  {
    name: 'a pause with an unknown field',
    props: 'steps:\n  - weight: 10\n  - pause: {durationn: 1m}',
    at: '17:36',
    says: 'steps[1].pause.durationn: unknown field: a pause has only a duration',
  },
  {
    name: 'a pause duration that is not one',
    props: 'steps:\n  - weight: 10\n  - pause: {duration: soon}',
    at: '17:35',
    says: 'steps[1].pause.duration: a duration such as "30s" or "5m", not "soon"',
  },
  {
    name: 'interval -5s',
    props: 'analysis:\n  interval: -5s',
    at: '16:25',
    says: 'analysis.interval: a duration of at least 1s, not "-5s"',
  },
  {
    name: 'interval every-so-often',
    props: 'analysis:\n  interval: every-so-often',
    at: '16:25',
    says: 'analysis.interval: a duration of at least 1s, not "every-so-often"',
  },
  {
    name: 'interval 500ms',
    props: 'analysis:\n  interval: 500ms',
    at: '16:25',
    says: 'analysis.interval: a duration of at least 1s, not "500ms"',
  },
  {
    name: 'failureLimit 0',
    props: 'analysis:\n  failureLimit: 0',
    at: '16:29',
    says: 'analysis.failureLimit: an integer ≥ 1, not 0',
  },
  {
    name: 'an unknown metric without a query',
    props: 'analysis:\n  metrics:\n    - name: error-rate\n      max: 1',
    at: '17:25',
    says: `analysis.metrics[0].name: "error-rate" is not built in (${BUILTIN}); give a query`,
  },
  {
    name: 'a metric without min or max',
    props: 'analysis:\n  metrics:\n    - name: success-rate',
    at: '17:19',
    says:
      'analysis.metrics[0]: give min or max (or a bound relative to stable: maxIncrease for latency, ' +
      'maxDecrease for success-rate)',
  },
  {
    name: 'a duration bound on success-rate',
    props: 'analysis:\n  metrics:\n    - name: success-rate\n      max: 500ms',
    at: '18:24',
    says: 'analysis.metrics[0].max: a number, not "500ms"',
  },
  {
    name: 'a metric with an unknown field',
    props: 'analysis:\n  metrics:\n    - name: latency\n      max: 500ms\n      threshold: 2',
    at: '19:30',
    says:
      'analysis.metrics[0].threshold: unknown field: ' +
      'a metric has name, query, min, max, maxIncrease and maxDecrease',
  },
  {
    name: 'gateway without httpRoute',
    props: 'trafficRouting:\n  gateway: {}',
    at: '16:24',
    says: `trafficRouting.gateway.httpRoute: ${ROUTE}`,
  },
  {
    name: 'an empty httpRoute',
    props: 'trafficRouting:\n  gateway: {httpRoute: ""}',
    at: '16:36',
    says: `trafficRouting.gateway.httpRoute: ${ROUTE}, not ""`,
  },
];

/** Refused too (by both), but not run as processes. */
const ALSO_BAD: { name: string; props: string }[] = [
  { name: 'steps null', props: 'steps: null' },
  { name: 'steps not a list', props: 'steps: fast' },
  { name: 'analysis null', props: 'analysis: null' },
  { name: 'metrics not a list', props: 'analysis: {metrics: {name: success-rate, min: 99}}' },
  { name: 'an empty query', props: 'analysis: {metrics: [{name: queue, query: "", max: 1}]}' },
  { name: 'a duration bound on a custom metric', props: 'analysis: {metrics: [{name: q, query: x, max: 500ms}]}' },
  { name: 'a latency bound that is no duration', props: 'analysis: {metrics: [{name: latency, max: fast}]}' },
  { name: 'a metric without a name', props: 'analysis: {metrics: [{min: 1}]}' },
  { name: 'interval 0s', props: 'analysis: {interval: 0s}' },
  { name: 'interval a number', props: 'analysis: {interval: 30}' },
  { name: 'interval with µs', props: 'analysis: {interval: 5000000us}' },
  { name: 'failureLimit 1.5', props: 'analysis: {failureLimit: 1.5}' },
  { name: 'failureLimit a string', props: 'analysis: {failureLimit: "2"}' },
  { name: 'a pause that is a string', props: 'steps: [{weight: 10}, {pause: forever}]' },
  { name: 'a pause duration with a sign', props: 'steps: [{weight: 10}, {pause: {duration: "-1m"}}]' },
  { name: 'an unknown step', props: 'steps: [{weight: 10}, {wait: 1}]' },
  { name: 'an empty step', props: 'steps: [{weight: 10}, {}]' },
  { name: 'weight 100', props: 'steps: [{weight: 100}]' },
  { name: 'gateway null', props: 'trafficRouting: {gateway: null}' },
  { name: 'trafficRouting not a map', props: 'trafficRouting: gateway' },
  { name: 'minRequests 0', props: 'analysis: {minRequests: 0}' },
  { name: 'minRequests 2.5', props: 'analysis: {minRequests: 2.5}' },
  { name: 'minCoverage 150', props: 'analysis: {minCoverage: 150}' },
  { name: 'minCoverage a word', props: 'analysis: {minCoverage: most}' },
  { name: 'maxIncrease on success-rate', props: 'analysis: {metrics: [{name: success-rate, maxIncrease: 10%}]}' },
  { name: 'maxDecrease on latency', props: 'analysis: {metrics: [{name: latency, maxDecrease: 1}]}' },
  { name: 'maxIncrease on a custom query', props: 'analysis: {metrics: [{name: q, query: up, maxIncrease: 5}]}' },
  { name: 'a negative maxIncrease', props: 'analysis: {metrics: [{name: latency, maxIncrease: -5}]}' },
  { name: 'a negative maxDecrease', props: 'analysis: {metrics: [{name: success-rate, maxDecrease: -1}]}' },
  { name: 'maxIncrease a word', props: 'analysis: {metrics: [{name: latency, maxIncrease: lots}]}' },
];

const GOOD: { name: string; props: string }[] = [
  { name: 'nothing (the defaults)', props: '{}' },
  {
    name: 'the full example of docs/canary.md',
    props: `steps:
  - weight: 10
  - pause: {duration: 1m}
  - weight: 50
  - pause: {}
analysis:
  interval: 30s
  failureLimit: 1
  metrics:
    - name: success-rate
      min: 99
    - name: latency
      max: 500ms
    - name: queue-depth
      query: 'sum(rate(http_requests_total{namespace="{{ namespace }}"}[{{ interval }}]))'
      max: 1000
trafficRouting:
  gateway: {httpRoute: web}`,
  },
  {
    name: 'weights 1 and 99, pauses written three ways',
    props: 'steps:\n  - weight: 1\n  - pause:\n  - weight: 99\n  - pause: {}\n  - pause: {duration: 0s}',
  },
  {
    name: 'latency bounds as durations and numbers',
    props:
      'analysis:\n  metrics:\n    - {name: latency-p50, min: 1ms, max: 1m}\n    - {name: latency-p95, max: 1.5s}\n' +
      '    - {name: latency-p99, max: 250}\n    - {name: success-rate, min: 95.5, max: 100}',
  },
  {
    name: 'a custom metric with min and max',
    props: 'analysis: {metrics: [{name: q, query: "sum(x)", min: 0, max: 10}]}',
  },
  { name: 'interval 1s', props: 'analysis: {interval: 1s, failureLimit: 3}' },
  { name: 'interval 1m30s', props: 'analysis: {interval: 1m30s}' },
  { name: 'interval 1.5s', props: 'analysis: {interval: 1.5s}' },
  { name: 'no metrics', props: 'analysis: {metrics: []}' },
  { name: 'replica-ratio routing', props: 'trafficRouting: {}' },
  {
    name: 'enough data and bounds relative to stable',
    props:
      'analysis:\n  minRequests: 50\n  minCoverage: 60%\n  metrics:\n    - {name: latency, maxIncrease: 20%}\n' +
      '    - {name: latency-p95, max: 1s, maxIncrease: 50}\n    - {name: success-rate, min: 95, maxDecrease: 0.5}',
  },
  { name: 'minCoverage as a number', props: 'analysis: {minCoverage: 75.5, minRequests: 1}' },
];

describe('a bad canary setting is refused by ferry render, at its place', () => {
  it('has enough cases', () => {
    expect(BAD.length).toBeGreaterThanOrEqual(8);
    expect(new Set(BAD.map((c) => c.name)).size).toBe(BAD.length);
  });

  it.concurrent.each(BAD.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const dir = writeApp(appWith(c.props));
    const expected = `app.yaml:${c.at}: component "web", trait "canary": ${c.says}\n1 error\n`;
    for (const args of [
      ['render', 'app.yaml'],
      ['render', 'app.yaml', '--env', 'prod'],
    ]) {
      const r = await ferryIn(dir, ...args);
      const why = `ferry ${args.join(' ')}: exit ${r.code}\n${r.stderr}`;
      expect(r.code, why).toBe(1);
      expect(r.stdout, why).toBe('');
      expect(r.stderr, why).not.toMatch(/internal error/);
      expect(r.stderr, why).toBe(expected);
    }
  });
});

describe('the CUE schema and the TypeScript parser agree', () => {
  let cue: CueEngine;
  let registry: DefinitionRegistry;
  beforeAll(async () => {
    cue = await loadWasmEngine();
    const r = loadRegistry(cue);
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    registry = r.value;
  });

  /** The definition alone, evaluated by the CUE engine: does it accept these properties? */
  const cueAccepts = (props: unknown): { ok: boolean; problems: string[] } => {
    const def = registry.get('trait', 'canary')!;
    const ev = cue.evaluate(def.templateId, {
      parameter: props ?? {},
      context: {},
      fields: ['outputs', 'patch', 'patchOutputs', 'errs'],
    });
    return { ok: ev.problems.length === 0, problems: ev.problems.map((p) => `${p.path.join('.')}: ${p.message}`) };
  };

  const table = [
    ...BAD.map((c) => ({ ...c, accepted: false })),
    ...ALSO_BAD.map((c) => ({ ...c, accepted: false })),
    ...GOOD.map((c) => ({ ...c, accepted: true })),
    { name: 'properties that are a list', props: '[{weight: 10}]', accepted: false },
  ];

  it.each(table.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const props = parse(c.props) as unknown;
    const ts = parseCanary(props, 'web');
    const schema = cueAccepts(props);
    expect(ts.ok, JSON.stringify(ts.ok ? ts.value : ts.problems)).toBe(c.accepted);
    expect(schema.ok, schema.problems.join('\n')).toBe(c.accepted);
  });
});

describe('the slo trait: its CUE schema and its TypeScript parser agree', () => {
  let cue: CueEngine;
  let registry: DefinitionRegistry;
  beforeAll(async () => {
    cue = await loadWasmEngine();
    const r = loadRegistry(cue);
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    registry = r.value;
  });
  const cueAccepts = (props: unknown) => {
    const ev = cue.evaluate(registry.get('trait', 'slo')!.templateId, {
      parameter: props ?? {},
      context: {},
      fields: ['outputs', 'patch', 'patchOutputs', 'errs'],
    });
    return { ok: ev.problems.length === 0, problems: ev.problems.map((p) => `${p.path.join('.')}: ${p.message}`) };
  };
  const L = 'latency: {percentile: 99, max: 200ms}';
  it.each([
    ['the example', `${L}\nsuccessRate: {min: 99.5}\nreplicas: {min: 2, max: 30}\nwindow: 1m`, true],
    ['latency in ms, p95, defaults', 'latency: {percentile: 95, max: 150}', true],
    ['every setting', `${L}\nreplicas: {min: 1, max: 1}\nwindow: 10s\ninterval: 5s\nscaleDownStabilization: 0s`, true],
    ['no latency', 'replicas: {min: 2}', false],
    ['percentile 100', 'latency: {percentile: 100, max: 1s}', false],
    ['percentile 40', 'latency: {percentile: 40, max: 1s}', false],
    ['max a word', 'latency: {percentile: 99, max: fast}', false],
    ['max 0', 'latency: {percentile: 99, max: 0}', false],
    ['an unknown latency field', 'latency: {percentile: 99, max: 1s, p: 2}', false],
    ['success rate 101', `${L}\nsuccessRate: {min: 101}`, false],
    ['replicas min 0', `${L}\nreplicas: {min: 0}`, false],
    ['replicas max below min', `${L}\nreplicas: {min: 5, max: 3}`, false],
    ['window 5s', `${L}\nwindow: 5s`, false],
    ['interval 500ms', `${L}\ninterval: 500ms`, false],
    ['an unknown field', `${L}\ntarget: 3`, false],
  ] as const)('%s', (_name, yaml, accepted) => {
    const props = parse(yaml) as unknown;
    const ts = parseSlo(props, 'web');
    const schema = cueAccepts(props);
    expect(ts.ok, JSON.stringify(ts.ok ? ts.value : ts.problems)).toBe(accepted);
    expect(schema.ok, schema.problems.join('\n')).toBe(accepted);
  });
});

/**
 * Two environments: staging keeps the canary; prod's deploy step adds an override policy that disables
 * it (KubeVela: a trait with `disable: true` in the override).
 */
const ENVS = (weight: number, stagingOverride = '') => `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: shop
spec:
  components:
    - name: web
      type: webservice
      properties: {image: nginx:1.27, port: 80}
      traits:
        - type: canary
          properties:
            steps: [{weight: ${weight}}, {pause: {}}]
  policies:
    - name: staging
      type: topology
      properties: {clusters: [local], namespace: shop-staging}
    - name: prod
      type: topology
      properties: {clusters: [local], namespace: shop-prod}
    - name: no-canary
      type: override
      properties:
        components:
          - name: web
            traits:
              - type: canary
                disable: true
    - name: staging-analysis
      type: override
      properties:
        components:
          - name: web
            traits:
              - type: canary
                properties:
                  analysis: {interval: ${stagingOverride || '10s'}}
  workflow:
    steps:
      - name: deploy-staging
        type: deploy
        properties: {policies: [staging, staging-analysis]}
      - name: deploy-prod
        type: deploy
        properties: {policies: [prod, no-canary]}
`;

describe('runtime traits after override policies', () => {
  let registry: DefinitionRegistry;
  beforeAll(async () => {
    const r = loadRegistry(await loadWasmEngine());
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    registry = r.value;
  });
  const render = (text: string, env: string) => {
    const parsed = parseApplications(text, 'app.yaml');
    if (!parsed.ok) throw new Error(parsed.problems.map(formatProblem).join('\n'));
    return renderApp({ app: parsed.value[0]!, registry, options: { env }, runtimeTraits: RUNTIME_TRAITS });
  };

  it('an environment whose override disables the canary has none; the other has it, as overridden', () => {
    const prod = render(ENVS(20), 'deploy-prod');
    expect(prod.ok && prod.value.runtimeTraits).toEqual([]);
    const staging = render(ENVS(20), 'deploy-staging');
    if (!staging.ok) throw new Error(staging.problems.map(formatProblem).join('\n'));
    expect(staging.value.runtimeTraits).toEqual([
      {
        component: 'web',
        trait: 'canary',
        spec: {
          component: 'web',
          steps: [{ weight: 20 }, { pause: {} }],
          analysis: { intervalMs: 10_000, failureLimit: 1, metrics: [], minRequests: 20, minCoverage: 80 },
          trafficRouting: {},
        },
      },
    ]);
  });

  it('a bad setting in the base is no error where the canary is disabled, and one where it is kept', async () => {
    const prod = render(ENVS(150), 'deploy-prod');
    expect(prod.ok && prod.value.runtimeTraits).toEqual([]);
    const staging = render(ENVS(150), 'deploy-staging');
    expect(!staging.ok && staging.problems.map(formatProblem)).toEqual([
      `app.yaml:13:30: component "web", trait "canary": steps[0].weight: ${WEIGHT}, not 150`,
    ]);
    const dir = writeApp(ENVS(150));
    const ok = await ferryIn(dir, 'render', 'app.yaml', '--env', 'deploy-prod');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('kind: Deployment');
    const bad = await ferryIn(dir, 'render', 'app.yaml', '--env', 'deploy-staging');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe(
      `app.yaml:13:30: component "web", trait "canary": steps[0].weight: ${WEIGHT}, not 150\n1 error\n`,
    );
  });

  it('a bad setting written by an override policy is located in the policy', () => {
    const staging = render(ENVS(20, '500ms'), 'deploy-staging');
    expect(!staging.ok && staging.problems.map(formatProblem)).toEqual([
      'app.yaml:37:40: component "web", trait "canary", policy "staging-analysis": ' +
        'analysis.interval: a duration of at least 1s, not "500ms"',
    ]);
    expect(render(ENVS(20, '500ms'), 'deploy-prod').ok).toBe(true);
  });
});

describe('ferry apply and ferry diff refuse a bad setting before touching a cluster', () => {
  /** A kubeconfig whose server refuses connections: reaching for it is exit 3. */
  const kubeconfig = (dir: string) => {
    const file = join(dir, 'kubeconfig');
    writeFileSync(
      file,
      `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
users: [{name: u, user: {token: t}}]
`,
    );
    return file;
  };

  it('apply: exit 1 with the located problem, nothing written; a good environment goes on to the cluster', async () => {
    const dir = writeApp(ENVS(150));
    const kc = kubeconfig(dir);
    const r = await ferryIn(dir, 'apply', 'app.yaml', '-e', 'deploy-staging', '--kubeconfig', kc);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `app.yaml:13:30: component "web", trait "canary": steps[0].weight: ${WEIGHT}, not 150\n1 error\n`,
    );
    // The canary is disabled in prod: nothing to refuse, so apply reaches for the cluster (and cannot).
    const prod = await ferryIn(dir, 'apply', 'app.yaml', '-e', 'deploy-prod', '--kubeconfig', kc);
    expect(prod.code, prod.stderr).toBe(3);
    expect(prod.stderr).toContain('cannot reach the API server at https://127.0.0.1:1');
  });

  it('apply: every problem of the app at once, the canary’s with the others', async () => {
    const dir = writeApp(
      appWith('steps:\n  - weight: 0\nanalysis:\n  failureLimit: 0').replace('image: nginx:1.27', 'imag: nginx:1.27'),
    );
    const r = await ferryIn(dir, 'apply', 'app.yaml', '-e', 'default', '--kubeconfig', kubeconfig(dir));
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `app.yaml:16:25: component "web", trait "canary": steps[0].weight: ${WEIGHT}, not 0`,
      'app.yaml:18:29: component "web", trait "canary": analysis.failureLimit: an integer ≥ 1, not 0',
      expect.stringMatching(/^app\.yaml:10:9: component "web": missing required parameter "image"/),
      '3 errors',
    ]);
  });

  it('diff: the same problem, exit 2 (its code for invalid input)', async () => {
    const dir = writeApp(ENVS(150));
    const r = await ferryIn(dir, 'diff', 'app.yaml', '-e', 'deploy-staging', '--kubeconfig', kubeconfig(dir));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`app.yaml:13:30: component "web", trait "canary": steps[0].weight: ${WEIGHT}, not 150\n`);
  });
});
