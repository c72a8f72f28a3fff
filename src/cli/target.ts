/** Shared by diff/apply/status: render an app for an environment and find where each placement goes. */
import { KubeCluster } from '../gitops/kube-cluster.js';
import type { KubeObject } from '../gitops/objects.js';
import { loadFerryConfig } from '../gitops/environments.js';
import { renderRelease } from '../gitops/release-render.js';
import { loadWasmEngine } from '../oam/cue/wasm-engine.js';
import { loadRegistry } from '../oam/definitions/builtin.js';
import type { DefinitionRegistry } from '../oam/definitions/registry.js';
import type { FerryProblem } from '../oam/errors.js';
import type { ComponentSpec } from '../oam/model/application.js';
import { readAppInput } from './app-files.js';

export interface TargetOptions {
  app: string;
  env: string;
  definitions: string[];
  config?: string;
  kubeconfig?: string;
  context?: string;
}

export interface Placement {
  cluster: string;
  kube: KubeCluster;
  objects: KubeObject[];
}

export interface AppTarget {
  name: string;
  env: string;
  components: ComponentSpec[];
  placements: Placement[];
  registry: DefinitionRegistry;
}

export async function resolveTarget(o: TargetOptions): Promise<{ target?: AppTarget; problems: FerryProblem[] }> {
  const input = readAppInput(o.app);
  if (!input.ok) return { problems: input.problems };
  if (input.value.apps.length !== 1) return { problems: [{ code: 'InvalidApplication', message: `expected exactly one Application, found ${input.value.apps.length}`, at: { file: o.app } }] };
  const registry = loadRegistry(await loadWasmEngine(), [...input.value.definitionDirs, ...o.definitions]);
  if (!registry.ok) return { problems: registry.problems };
  const sourced = input.value.apps[0]!;
  const configured = loadFerryConfig(o.config).environments.find((e) => e.name === o.env);
  const rendered = renderRelease(sourced, registry.value, o.env, configured);
  if (!rendered.ok) return { problems: rendered.problems };
  const placements = rendered.value.map((p) => {
    const context = configured?.context ?? (p.cluster === 'local' ? o.context : p.cluster);
    return { cluster: p.cluster, kube: KubeCluster.fromFile(configured?.kubeconfig ?? o.kubeconfig ?? process.env.KUBECONFIG, context), objects: p.objects };
  });
  return { target: { name: sourced.app.metadata.name, env: o.env, components: sourced.app.spec.components, placements, registry: registry.value }, problems: [] };
}
