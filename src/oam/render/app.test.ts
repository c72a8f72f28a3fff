/** renderApp's runtime traits, with a fake parser: what it is given, where its problems land, what comes back. */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadWasmEngine } from '../cue/wasm-engine.js';
import { loadRegistry } from '../definitions/builtin.js';
import type { DefinitionRegistry } from '../definitions/registry.js';
import { formatProblem } from '../errors.js';
import { parseApplications } from '../model/parse.js';
import { renderApp } from './app.js';
import { EvaluationMemo } from './memo.js';
import type { ParseResult, TraitParser } from './runtime-traits.js';

let registry: DefinitionRegistry;
let memo: EvaluationMemo;
beforeAll(async () => {
  const cue = await loadWasmEngine();
  const r = loadRegistry(cue);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  registry = r.value;
  memo = new EvaluationMemo(cue);
});

interface Calls {
  args: [unknown, string][];
}

/** Parses `scaler` as a runtime trait: replicas an integer from 1 to 5. */
function fakeScaler(calls: Calls = { args: [] }): TraitParser<{ replicas: number }> {
  return {
    type: 'scaler',
    parse(properties, component): ParseResult<{ replicas: number }> {
      calls.args.push([properties, component]);
      const r = (properties as { replicas?: unknown } | undefined)?.replicas ?? 1;
      if (typeof r === 'number' && Number.isInteger(r) && r >= 1 && r <= 5) return { ok: true, value: { replicas: r } };
      return { ok: false, problems: [{ path: ['replicas'], message: `from 1 to 5, not ${JSON.stringify(r)}` }] };
    },
  };
}

const APP = `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: shop
spec:
  components:
    - name: web
      type: webservice
      properties: {image: nginx:1.27, port: 80}
      traits:
        - type: labels
          properties: {tier: web}
        - type: scaler
          properties:
            replicas: 2
    - name: api
      type: webservice
      properties: {image: api:1}
      traits:
        - type: scaler
          properties: {replicas: 3}
  policies:
    - name: staging
      type: topology
      properties: {clusters: [local], namespace: shop-staging}
    - name: prod
      type: topology
      properties: {clusters: [local], namespace: shop-prod}
    - name: prod-size
      type: override
      properties:
        components:
          - name: web
            traits:
              - type: scaler
                properties: {replicas: 9}
          - name: api
            traits:
              - type: scaler
                disable: true
  workflow:
    steps:
      - name: deploy-staging
        type: deploy
        properties: {policies: [staging]}
      - name: deploy-prod
        type: deploy
        properties: {policies: [prod, prod-size]}
`;

function sourced(text = APP) {
  const r = parseApplications(text, 'app.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.value[0]!;
}

describe('renderApp with runtime traits', () => {
  it('parses each trait that has a parser, on the environment’s components, and returns the settings', () => {
    const calls: Calls = { args: [] };
    const r = renderApp({
      app: sourced(),
      registry,
      options: { env: 'deploy-staging' },
      runtimeTraits: [fakeScaler(calls)],
    });
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(calls.args).toEqual([
      [{ replicas: 2 }, 'web'],
      [{ replicas: 3 }, 'api'],
    ]);
    expect(r.value.runtimeTraits).toEqual([
      { component: 'web', trait: 'scaler', spec: { replicas: 2 } },
      { component: 'api', trait: 'scaler', spec: { replicas: 3 } },
    ]);
    // The trait still renders as usual.
    expect(r.value.objects.find((o) => o.kind === 'Deployment')?.spec).toMatchObject({ replicas: 2 });
  });

  it('without parsers nothing is parsed and runtimeTraits is empty', () => {
    const r = renderApp({ memo, app: sourced(), registry, options: { env: 'deploy-staging' } });
    expect(r.ok && r.value.runtimeTraits).toEqual([]);
  });

  it('after the overrides: a trait an override sets is parsed as overridden, a disabled one not at all', () => {
    const calls: Calls = { args: [] };
    const r = renderApp({
      app: sourced(),
      registry,
      options: { env: 'deploy-prod' },
      runtimeTraits: [fakeScaler(calls)],
    });
    expect(calls.args).toEqual([[{ replicas: 9 }, 'web']]);
    expect(r.ok).toBe(false);
    // Located in the override policy that wrote the value, with its name.
    expect(!r.ok && r.problems.map(formatProblem)).toEqual([
      'app.yaml:36:40: component "web", trait "scaler", policy "prod-size": replicas: from 1 to 5, not 9',
    ]);
    expect(!r.ok && r.problems[0]).toMatchObject({
      code: 'InvalidParameter',
      at: {
        app: 'shop',
        component: 'web',
        trait: 'scaler',
        policy: 'prod-size',
        path: 'spec.policies[2].properties.components[0].traits[0].properties.replicas',
      },
    });
  });

  it('locates each problem at the property in the component; all problems come together', () => {
    const text = APP.replace('replicas: 2', 'replicas: 7').replace('{replicas: 3}', '{replicas: 0}');
    const r = renderApp({
      app: sourced(text),
      registry,
      options: { env: 'deploy-staging' },
      runtimeTraits: [fakeScaler()],
    });
    expect(!r.ok && r.problems.map(formatProblem)).toEqual([
      'app.yaml:15:23: component "web", trait "scaler": replicas: from 1 to 5, not 7',
      'app.yaml:21:34: component "api", trait "scaler": replicas: from 1 to 5, not 0',
    ]);
  });

  it('a second runtime trait of one type on one component is refused at its properties', () => {
    const text = APP.replace(
      '{replicas: 3}',
      '{replicas: 3}\n        - type: scaler\n          properties: {replicas: 4}',
    );
    const r = renderApp({
      app: sourced(text),
      registry,
      options: { env: 'deploy-staging' },
      runtimeTraits: [fakeScaler()],
    });
    expect(!r.ok && r.problems.map(formatProblem)).toEqual([
      'app.yaml:23:23: component "api", trait "scaler": a component carries one "scaler" trait, not 2',
    ]);
  });

  it('a property that is not written is located at its nearest written parent', () => {
    const text = APP.replace('          properties:\n            replicas: 2\n', '');
    const parser: TraitParser = {
      type: 'scaler',
      parse: (_p, c) =>
        c === 'web'
          ? { ok: false, problems: [{ path: ['policy', 'min'], message: 'required' }] }
          : { ok: true, value: 1 },
    };
    const r = renderApp({
      memo,
      app: sourced(text),
      registry,
      options: { env: 'deploy-staging' },
      runtimeTraits: [parser],
    });
    // The trait has no properties at all: its `- type: scaler` entry.
    expect(!r.ok && r.problems.map(formatProblem)).toEqual([
      'app.yaml:13:11: component "web", trait "scaler": policy.min: required',
    ]);
  });

  it('a refused trait is not evaluated in CUE too: the parser’s problem is the only one about it', () => {
    const text = APP.replace('replicas: 2', 'replicas: many');
    const r = renderApp({
      app: sourced(text),
      registry,
      options: { env: 'deploy-staging' },
      runtimeTraits: [fakeScaler()],
    });
    expect(!r.ok && r.problems.map(formatProblem)).toEqual([
      'app.yaml:15:23: component "web", trait "scaler": replicas: from 1 to 5, not "many"',
    ]);
    // Without the parser, the schema speaks.
    const plain = renderApp({ memo, app: sourced(text), registry, options: { env: 'deploy-staging' } });
    expect(!plain.ok && plain.problems.map(formatProblem)).toEqual([
      expect.stringMatching(
        /^app\.yaml:15:23: component "web", trait "scaler": invalid value for parameter "replicas"/,
      ),
    ]);
  });

  it('problems of the render and of the parsers come together', () => {
    const text = APP.replace('{image: api:1}', '{port: 80}').replace('replicas: 2', 'replicas: 8');
    const r = renderApp({
      app: sourced(text),
      registry,
      options: { env: 'deploy-staging' },
      runtimeTraits: [fakeScaler()],
    });
    expect(!r.ok && r.problems.map(formatProblem)).toEqual([
      'app.yaml:15:23: component "web", trait "scaler": replicas: from 1 to 5, not 8',
      expect.stringMatching(/^app\.yaml:18:19: component "api": missing required parameter "image"/),
    ]);
  });
});
