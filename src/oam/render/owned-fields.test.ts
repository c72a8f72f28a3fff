/** The fields runtime traits own, resolved by renderApp to the objects of their component, per placement. */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadWasmEngine } from '../cue/wasm-engine.js';
import { loadRegistry } from '../definitions/builtin.js';
import type { DefinitionRegistry } from '../definitions/registry.js';
import { formatProblem } from '../errors.js';
import { parseApplications } from '../model/parse.js';
import { renderApp } from './app.js';
import type { TraitParser } from './runtime-traits.js';

let registry: DefinitionRegistry;
beforeAll(async () => {
  const r = loadRegistry(await loadWasmEngine());
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  registry = r.value;
});

/** `scaler` as a runtime trait that owns its Deployment's replicas unless `fixed` is set. */
const autoscaler: TraitParser<{ fixed: boolean }> = {
  type: 'scaler',
  parse: (properties) => ({ ok: true, value: { fixed: (properties as { fixed?: boolean }).fixed === true } }),
  ownedFields: (spec) =>
    spec.fixed
      ? []
      : [
          { kind: 'Deployment', path: ['spec', 'replicas'] },
          { kind: 'HorizontalPodAutoscaler', path: ['spec', 'maxReplicas'] },
        ],
};

const app = (apiTraits: string) => {
  const r = parseApplications(
    `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop, namespace: store}
spec:
  components:
    - name: web
      type: webservice
      properties: {image: web:1, port: 80}
      traits:
        - type: scaler
          properties: {replicas: 2}
    - name: api
      type: webservice
      properties: {image: api:1}
      traits: ${apiTraits}
  policies:
    - {name: eu, type: topology, properties: {clusters: [local], namespace: shop-eu}}
  workflow:
    steps:
      - {name: deploy-eu, type: deploy, properties: {policies: [eu]}}
`,
    'app.yaml',
  );
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.value[0]!;
};

const render = (apiTraits: string, env?: string) => {
  const r = renderApp({
    app: app(apiTraits),
    registry,
    runtimeTraits: [autoscaler],
    ...(env ? { options: { env } } : {}),
  });
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.value;
};

describe('renderApp: the fields runtime traits own', () => {
  it("names the owned field of each object of the kind in the trait's component, in its placement's namespace", () => {
    const r = render('[]', 'deploy-eu');
    expect(r.placements.map((p) => p.ownedFields)).toEqual([
      [
        {
          ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop-eu', name: 'web' },
          path: ['spec', 'replicas'],
          owner: 'scaler',
        },
      ],
    ]);
    // The object is rendered as usual: its first creation takes the rendered value.
    expect(r.objects.find((o) => o.kind === 'Deployment')?.spec).toMatchObject({ replicas: 2 });
  });

  it('one entry per component that carries the trait; none for a trait that owns nothing', () => {
    const both = render('[{type: scaler, properties: {replicas: 3}}]');
    expect(both.placements[0]!.ownedFields?.map((f) => `${f.ref.namespace}/${f.ref.name}`)).toEqual([
      'store/web',
      'store/api',
    ]);
    const fixed = render('[{type: scaler, properties: {replicas: 3, fixed: true}}]');
    expect(fixed.placements[0]!.ownedFields?.map((f) => f.ref.name)).toEqual(['web']);
  });

  it('without a trait that owns fields, a placement has no ownedFields', () => {
    const r = renderApp({ app: app('[]'), registry });
    expect(r.ok && r.value.placements.map((p) => 'ownedFields' in p)).toEqual([false]);
  });
});
