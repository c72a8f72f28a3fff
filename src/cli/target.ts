/** Shared by diff/apply/status: render an app for an environment and find where each placement goes. */
import { KubeCluster } from '../gitops/kube-cluster.js';
import type { KubeObject } from '../gitops/objects.js';
import { loadFerryConfig } from '../gitops/environments.js';
import { ANN_PRUNE } from '../gitops/tracking.js';
import { loadWasmEngine } from '../oam/cue/wasm-engine.js';
import { loadRegistry } from '../oam/definitions/builtin.js';
import type { DefinitionRegistry } from '../oam/definitions/registry.js';
import type { FerryProblem } from '../oam/errors.js';
import { listEnvironments } from '../oam/policies/environment.js';
import { renderApp } from '../oam/render/app.js';
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

/**
 * The namespaces the objects go to are created with them (as Argo CD's CreateNamespace does), marked
 * never to be pruned: deleting a namespace would delete everything in it.
 */
function withNamespaces(objects: KubeObject[]): KubeObject[] {
  const declared = new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
  const used = [...new Set(objects.map((o) => o.metadata.namespace).filter((n): n is string => !!n && !declared.has(n)))];
  const namespaces: KubeObject[] = used.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, annotations: { [ANN_PRUNE]: 'false' } } }));
  return [...namespaces, ...objects];
}

export async function resolveTarget(o: TargetOptions): Promise<{ target?: AppTarget; problems: FerryProblem[] }> {
  const input = readAppInput(o.app);
  if (!input.ok) return { problems: input.problems };
  if (input.value.apps.length !== 1) return { problems: [{ code: 'InvalidApplication', message: `expected exactly one Application, found ${input.value.apps.length}`, at: { file: o.app } }] };
  const registry = loadRegistry(await loadWasmEngine(), [...input.value.definitionDirs, ...o.definitions]);
  if (!registry.ok) return { problems: registry.problems };
  const sourced = input.value.apps[0]!;
  const configured = loadFerryConfig(o.config).environments.find((e) => e.name === o.env);
  const ownEnvs = listEnvironments(sourced.app);
  const renderEnv = ownEnvs.includes(o.env) ? o.env : undefined;
  if (!configured && !renderEnv) {
    return { problems: [{ code: 'PolicyInvalid', message: `unknown environment "${o.env}": not in ferry.yaml${ownEnvs.length > 0 ? ` and not one of the app's (${ownEnvs.map((e) => `"${e}"`).join(', ')})` : ' and the app declares none'}`, at: { file: sourced.source.file, line: 1, column: 1 } }] };
  }
  const rendered = renderApp({ app: sourced, registry: registry.value, options: renderEnv ? { env: renderEnv } : {} });
  if (!rendered.ok) return { problems: rendered.problems };
  const placements = rendered.value.placements.map((p) => {
    const context = configured?.context ?? (p.cluster === 'local' ? o.context : p.cluster);
    const kube = KubeCluster.fromFile(configured?.kubeconfig ?? o.kubeconfig ?? process.env.KUBECONFIG, context);
    const objects = (p.objects as unknown as KubeObject[]).map((obj) => (configured?.namespace && obj.metadata.namespace ? { ...obj, metadata: { ...obj.metadata, namespace: configured.namespace } } : obj));
    return { cluster: p.cluster, kube, objects: withNamespaces(objects) };
  });
  return { target: { name: rendered.value.app, env: o.env, components: sourced.app.spec.components, placements, registry: registry.value }, problems: [] };
}
