import type { Application } from '../model/application.js';
import { isObject, type JsonObject } from '../patch/json.js';
import { appNamespace } from './context.js';

/** Kinds without a namespace: Ferry never defaults one onto them. */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'StorageClass',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'PriorityClass',
  'IngressClass',
  'RuntimeClass',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'APIService',
  'CSIDriver',
  'VolumeSnapshotClass',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
]);

export const isClusterScoped = (kind: unknown) => typeof kind === 'string' && CLUSTER_SCOPED.has(kind);

export type ObjectRole =
  | { role: 'workload'; componentType: string }
  | { role: 'component-output'; componentType: string; resource: string }
  | { role: 'trait'; traitType: string; resource: string };

export interface LabelInput {
  app: Application;
  component: string;
  appRevision: string;
  namespace: string;
}

/** Adds KubeVela's labels, and the default name and namespace, to one rendered object (in place). */
export function finishObject(obj: JsonObject, role: ObjectRole, input: LabelInput): JsonObject {
  const metadata = isObject(obj.metadata) ? obj.metadata : (obj.metadata = {});
  if (metadata.name === undefined || metadata.name === null || metadata.name === '') metadata.name = input.component;
  if (!isClusterScoped(obj.kind)) {
    if (metadata.namespace === undefined || metadata.namespace === null || metadata.namespace === '')
      metadata.namespace = input.namespace;
  }
  const labels: JsonObject = isObject(metadata.labels) ? metadata.labels : {};
  labels['app.oam.dev/name'] = input.app.metadata.name;
  labels['app.oam.dev/namespace'] = appNamespace(input.app);
  labels['app.oam.dev/component'] = input.component;
  labels['app.oam.dev/appRevision'] = input.appRevision;
  // KubeVela names the component type on the workload only, not on a component's auxiliary outputs.
  if (role.role === 'workload') labels['workload.oam.dev/type'] = role.componentType;
  if (role.role === 'trait') {
    labels['trait.oam.dev/type'] = role.traitType;
    labels['trait.oam.dev/resource'] = role.resource;
  }
  if (role.role === 'component-output') {
    labels['trait.oam.dev/type'] = 'AuxiliaryWorkload';
    labels['trait.oam.dev/resource'] = role.resource;
  }
  labels['app.oam.dev/resourceType'] = role.role === 'workload' ? 'WORKLOAD' : 'TRAIT';
  metadata.labels = labels;
  if (!isObject(metadata.annotations)) metadata.annotations = {};
  return withLeadingKeys(obj);
}

/** apiVersion, kind and metadata first, the rest in template order. */
function withLeadingKeys(obj: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const k of ['apiVersion', 'kind', 'metadata']) if (k in obj) out[k] = obj[k] as JsonObject[string];
  for (const [k, v] of Object.entries(obj)) if (!(k in out)) out[k] = v;
  return out;
}
