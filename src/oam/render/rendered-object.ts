/**
 * A rendered object's identity and name, as the API server sees them: what makes two objects one, how
 * messages name an object, and the name checks the API server would make (so a bad name is a located
 * render error, not a failed apply).
 */
import { labelNameProblem, subdomainNameProblem } from '../model/validate.js';
import { isObject, type JsonObject } from '../patch/json.js';

/** Group, kind, namespace and name: two objects with the same identity are one object in the cluster. */
export function objectIdentity(o: JsonObject): string {
  const meta = (isObject(o.metadata) ? o.metadata : {}) as { name?: unknown; namespace?: unknown };
  const group = String(o.apiVersion).includes('/') ? String(o.apiVersion).split('/')[0] : '';
  return `${group}/${String(o.kind)}/${String(meta.namespace ?? '')}/${String(meta.name ?? '')}`;
}

/** `Service default/web`, `Namespace shop`. */
export function describeObject(o: JsonObject): string {
  const meta = (isObject(o.metadata) ? o.metadata : {}) as { name?: unknown; namespace?: unknown };
  return `${String(o.kind)} ${meta.namespace ? `${String(meta.namespace)}/` : ''}${String(meta.name ?? '')}`;
}

/** Kinds whose names the API server checks as RFC 1123 labels; others (below) as subdomains. */
const LABEL_NAMED = new Set(['Namespace', 'Service']);
const SUBDOMAIN_NAMED = new Set([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
  'Pod',
  'ConfigMap',
  'Secret',
  'PersistentVolumeClaim',
  'PersistentVolume',
  'ServiceAccount',
  'Ingress',
  'IngressClass',
  'NetworkPolicy',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'StorageClass',
  'CustomResourceDefinition',
  'Lease',
  'HTTPRoute',
  'Gateway',
  'GatewayClass',
]);

/**
 * metadata.name as the API server checks it: an RFC 1123 label for Namespaces and Services, a
 * subdomain for the common workload and config kinds, and for any other kind (RBAC roles may hold ":")
 * a path segment: no "/" or "%", not "." or "..". metadata.namespace is a label.
 */
export function objectNameProblem(o: JsonObject): string | undefined {
  const meta = isObject(o.metadata) ? o.metadata : {};
  if (typeof meta.name !== 'string') return `metadata.name must be a string, not ${JSON.stringify(meta.name)}`;
  const kind = String(o.kind);
  const name = LABEL_NAMED.has(kind)
    ? labelNameProblem(meta.name)
    : SUBDOMAIN_NAMED.has(kind)
      ? subdomainNameProblem(meta.name)
      : pathSegmentProblem(meta.name);
  if (name) return `metadata.name "${meta.name}" ${name}`;
  if (meta.namespace !== undefined) {
    if (typeof meta.namespace !== 'string')
      return `metadata.namespace must be a string, not ${JSON.stringify(meta.namespace)}`;
    const ns = labelNameProblem(meta.namespace);
    if (ns) return `metadata.namespace "${meta.namespace}" ${ns}`;
  }
  return undefined;
}

function pathSegmentProblem(name: string): string | undefined {
  if (name.length > 253) return `is ${name.length} characters long; at most 253 are allowed`;
  if (name === '.' || name === '..' || /[/%]/.test(name)) return 'may not be "." or ".." or contain "/" or "%"';
  return undefined;
}
