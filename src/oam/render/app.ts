/** Renders a whole Application (optionally for one environment) into Kubernetes objects. */
import type { DefinitionRegistry } from '../definitions/registry.js';
import { fail, ok, problem, type FerryProblem, type Result } from '../errors.js';
import type { Application, ComponentSpec, PolicySpec } from '../model/application.js';
import type { SourcedApplication } from '../model/parse.js';
import type { SourceMap, ValuePath } from '../model/source-map.js';
import type { JsonObject } from '../patch/json.js';
import type { ObjectField } from '../../objects/fields.js';
import { applyOverride, type OverrideProperties } from '../policies/override.js';
import { defaultOverrides, resolveEnvironment, type Placement } from '../policies/environment.js';
import { checkWorkflowSteps } from '../policies/workflow.js';
import { renderComponent, type RenderedComponent } from './component.js';
import { describeObject, objectIdentity } from './rendered-object.js';
import { appNamespace, DEFAULT_CLUSTER_VERSION, type ClusterVersion } from './context.js';
import { locateCueProblems } from './locate.js';
import { EvaluationMemo } from './memo.js';
import { ownedFieldsOf } from './owned-fields.js';
import { parseRuntimeTraits } from './parse-runtime-traits.js';
import type { ParsedTrait, TraitParser } from './runtime-traits.js';

export interface RenderOptions {
  /** Render for this environment (a deploy step or topology policy name). */
  env?: string;
  revision?: number;
  clusterVersion?: ClusterVersion;
  /**
   * Treat warnings (a trait on a workload outside its `appliesToWorkloads`, an object one component renders
   * twice) as errors.
   */
  strict?: boolean;
}

export interface RenderedPlacement extends Placement {
  namespace: string;
  components: RenderedComponent[];
  objects: JsonObject[];
  /** The fields of `objects` runtime traits write while the app runs (TraitParser.ownedFields); absent: none. */
  ownedFields?: ObjectField[];
}

export interface RenderedApp {
  app: string;
  namespace: string;
  env?: string;
  placements: RenderedPlacement[];
  /** All objects of all placements, in order. */
  objects: JsonObject[];
  /** Located warnings: the render succeeded, but KubeVela users would want to know. */
  warnings: FerryProblem[];
  /** The settings of each runtime trait (after the environment's override policies), in component order. */
  runtimeTraits: ParsedTrait[];
}

export interface RenderAppInput {
  app: SourcedApplication;
  registry: DefinitionRegistry;
  memo?: EvaluationMemo;
  options?: RenderOptions;
  /**
   * Parsers of runtime traits (src/traits/registry.ts): each trait whose type has one is parsed on the
   * components the environment's override policies leave, and every problem is located at the property.
   */
  runtimeTraits?: readonly TraitParser[];
}

export function renderApp(input: RenderAppInput): Result<RenderedApp> {
  const { app, source } = input.app;
  const registry = input.registry;
  const memo = input.memo ?? new EvaluationMemo(registry.cue);
  const options = input.options ?? {};
  const problems: FerryProblem[] = [...checkPolicies(input, memo), ...checkWorkflowSteps(app, source, registry)];
  const env = environmentOf(app, source, options.env);
  if (!env.ok) return fail([...problems, ...env.problems]);
  const { components, placements, overrides } = env.value;
  const traits = parseRuntimeTraits(input.app, components, overrides, input.runtimeTraits ?? []);
  problems.push(...traits.problems);
  const rendered: RenderedPlacement[] = [];
  const warnings: FerryProblem[] = [];
  for (const placement of placements) {
    const namespace = placement.namespace ?? appNamespace(app);
    const target = {
      revision: options.revision ?? 1,
      cluster: placement.cluster,
      namespace,
      clusterVersion: options.clusterVersion ?? DEFAULT_CLUSTER_VERSION,
    };
    const out: RenderedComponent[] = [];
    for (const c of components) {
      const r = renderComponent({
        app,
        source,
        comp: c.spec,
        path: c.path,
        registry,
        memo,
        target,
        strict: options.strict === true,
        ...(traits.refused.has(c.spec.name) ? { refusedTraits: traits.refused.get(c.spec.name) } : {}),
      });
      problems.push(...r.problems);
      warnings.push(...r.warnings);
      if (r.component) out.push(r.component);
    }
    problems.push(...duplicateObjects(out, components, input.app));
    const owned = ownedFieldsOf(traits.traits, input.runtimeTraits ?? [], out);
    rendered.push({
      ...placement,
      namespace,
      components: out,
      objects: out.flatMap((c) => c.objects),
      ...(owned.length > 0 ? { ownedFields: owned } : {}),
    });
  }
  if (problems.length > 0) return fail(dedupe(problems));
  return ok({
    app: app.metadata.name,
    namespace: appNamespace(app),
    ...(options.env ? { env: options.env } : {}),
    placements: rendered,
    objects: rendered.flatMap((p) => p.objects),
    warnings: dedupe(warnings),
    runtimeTraits: traits.traits,
  });
}

interface EnvironmentComponents {
  /** The components after the environment's override policies, each with where it is written. */
  components: { spec: ComponentSpec; path: ValuePath }[];
  placements: Placement[];
  /** The override policies applied, in order. */
  overrides: PolicySpec[];
}

/** The placements of an environment (none given: the default one) and its components after its overrides. */
function environmentOf(app: Application, source: SourceMap, name: string | undefined): Result<EnvironmentComponents> {
  let components: { spec: ComponentSpec; path: ValuePath }[] = app.spec.components.map((spec, i) => ({
    spec,
    path: ['spec', 'components', i],
  }));
  let placements: Placement[] = [{ cluster: 'local' }];
  let overrides = name === undefined ? defaultOverrides(app) : [];
  if (name !== undefined) {
    const env = resolveEnvironment(app, source, name);
    if (!env.ok) return env;
    placements = env.value.placements;
    overrides = env.value.overrides;
  }
  if (overrides.length > 0) {
    let specs = components.map((c) => c.spec);
    for (const o of overrides) specs = applyOverride(specs, (o.properties ?? {}) as OverrideProperties);
    components = specs.map((spec) => {
      const i = app.spec.components.findIndex((c) => c.name === spec.name);
      const oi = (app.spec.policies ?? []).findIndex((p) => p.type === 'override');
      return { spec, path: i >= 0 ? ['spec', 'components', i] : ['spec', 'policies', Math.max(oi, 0)] };
    });
  }
  return ok({ components, placements, overrides });
}

/** Policy types must exist and their properties must fit the policy's parameter schema. */
function checkPolicies(input: RenderAppInput, memo: EvaluationMemo): FerryProblem[] {
  const { app, source } = input.app;
  const out: FerryProblem[] = [];
  (app.spec.policies ?? []).forEach((p, i) => {
    const path: ValuePath = ['spec', 'policies', i];
    const def = input.registry.get('policy', p.type);
    if (!def) {
      out.push(
        problem('UnknownDefinition', `unknown policy type "${p.type}"`, {
          file: source.file,
          ...source.locate([...path, 'type']),
          app: app.metadata.name,
          policy: p.name,
        }),
      );
      return;
    }
    const ev = memo.evaluate(def.templateId, {
      parameter: p.properties ?? {},
      context: { appName: app.metadata.name, namespace: appNamespace(app) },
      fields: [],
    });
    out.push(
      ...locateCueProblems(ev.problems, { source, app: app.metadata.name, component: '', policy: p.name, path, def }),
    );
  });
  return out;
}

/**
 * Two components rendering an object with the same group, kind, namespace and name would overwrite each
 * other: refused (inside one component the later output wins, see renderComponent).
 */
function duplicateObjects(
  out: RenderedComponent[],
  components: { spec: ComponentSpec; path: ValuePath }[],
  sourced: SourcedApplication,
): FerryProblem[] {
  const seen = new Map<string, string>();
  const problems: FerryProblem[] = [];
  for (const c of out) {
    for (const o of c.objects) {
      const key = objectIdentity(o);
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, c.name);
        continue;
      }
      if (first === c.name) continue;
      const path = components.find((x) => x.spec.name === c.name)?.path ?? ['spec', 'components'];
      problems.push(
        problem(
          'ObjectInvalid',
          `${describeObject(o)} is rendered twice (by components "${first}" and "${c.name}"); ` +
            'the second would overwrite the first',
          {
            file: sourced.source.file,
            ...sourced.source.locate(path),
            app: sourced.app.metadata.name,
            component: c.name,
          },
        ),
      );
    }
  }
  return problems;
}

function dedupe(problems: FerryProblem[]): FerryProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.code}|${p.message}|${p.at.file}|${p.at.line}|${p.at.column}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
