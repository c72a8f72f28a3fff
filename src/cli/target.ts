/** Shared by diff/apply/status: render an app for an environment and find where each placement goes. */
import type { KubeCluster } from '../kube/kube-cluster.js';
import type { ObjectField } from '../objects/fields.js';
import type { KubeObject } from '../objects/objects.js';
import { readFerryConfig } from '../gitops/source/environments.js';
import { renderRelease } from '../gitops/release/release-render.js';
import { loadWasmEngine } from '../oam/cue/wasm-engine.js';
import { loadRegistry } from '../oam/definitions/builtin.js';
import type { DefinitionRegistry } from '../oam/definitions/registry.js';
import type { FerryProblem } from '../oam/errors.js';
import type { ComponentSpec } from '../oam/model/application.js';
import type { TraitParser } from '../oam/render/runtime-traits.js';
import { readAppInput } from './app-files.js';
import { kubeconfigLabel, openCluster, probeCluster } from './cluster-access.js';

export interface TargetOptions {
  app: string;
  env: string;
  definitions: string[];
  config?: string;
  kubeconfig?: string;
  context?: string;
  /** Render warnings are errors. */
  strict?: boolean;
}

export interface Placement {
  cluster: string;
  kube: KubeCluster;
  objects: KubeObject[];
  /** Fields runtime traits write at run time: the sync leaves them to the traits. */
  ownedFields?: ObjectField[];
}

export interface AppTarget {
  name: string;
  env: string;
  components: ComponentSpec[];
  placements: Placement[];
  registry: DefinitionRegistry;
}

export interface ResolvedTarget {
  target?: AppTarget;
  problems: FerryProblem[];
  /** The render's warnings (a trait outside its appliesToWorkloads, unknown parameters), also when it fails later. */
  warnings: FerryProblem[];
}

/** With `runtimeTraits`, their settings are checked too (after the environment's overrides), before any cluster. */
export async function resolveTarget(
  o: TargetOptions,
  runtimeTraits: readonly TraitParser[] = [],
): Promise<ResolvedTarget> {
  // Everything is checked before the first request to a cluster: ferry.yaml, the app, its render,
  // the kubeconfig; then one read per cluster shows it answers.
  const config = readFerryConfig(o.config);
  const input = readAppInput(o.app);
  const early = [...(config.ok ? [] : config.problems), ...(input.ok ? [] : input.problems)];
  if (!config.ok || !input.ok) return { problems: early, warnings: [] };
  if (input.value.apps.length !== 1)
    return {
      problems: [
        {
          code: 'InvalidApplication',
          message: `expected exactly one Application, found ${input.value.apps.length}`,
          at: { file: o.app },
        },
      ],
      warnings: [],
    };
  const registry = loadRegistry(await loadWasmEngine(), [...input.value.definitionDirs, ...o.definitions]);
  if (!registry.ok) return { problems: registry.problems, warnings: [] };
  const sourced = input.value.apps[0]!;
  const configured = config.value.environments.find((e) => e.name === o.env);
  const strict = { strict: o.strict === true };
  const rendered = renderRelease(sourced, registry.value, o.env, configured, runtimeTraits, strict);
  if (!rendered.ok) return { problems: rendered.problems, warnings: [] };
  const { warnings } = rendered.value;
  const problems: FerryProblem[] = [];
  const placements: Placement[] = [];
  for (const p of rendered.value.placements) {
    const context = configured?.context ?? (p.cluster === 'local' ? o.context : p.cluster);
    const kube = openCluster(configured?.kubeconfig ?? o.kubeconfig, context);
    if (!kube.ok) problems.push(...kube.problems);
    else placements.push({ cluster: p.cluster, kube: kube.value, objects: p.objects, ownedFields: p.ownedFields });
  }
  if (problems.length > 0) return { problems, warnings };
  const label = kubeconfigLabel(configured?.kubeconfig ?? o.kubeconfig);
  for (const p of placements) problems.push(...(await probeCluster(p.kube, label)));
  if (problems.length > 0) return { problems, warnings };
  return {
    target: {
      name: sourced.app.metadata.name,
      env: o.env,
      components: sourced.app.spec.components,
      placements,
      registry: registry.value,
    },
    problems: [],
    warnings,
  };
}
