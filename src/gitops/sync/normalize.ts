/** What a diff compares: objects without the fields the server owns, minus user ignore rules. */
import { isObject } from '../../oam/patch/json.js';
import { groupOf, type KubeObject } from '../../objects/objects.js';

export interface IgnoreRule {
  group?: string;
  kind?: string;
  name?: string;
  /** JSON Pointers, e.g. /spec/replicas. */
  jsonPointers: string[];
}

const SERVER_METADATA = [
  'managedFields',
  'resourceVersion',
  'uid',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'selfLink',
  'ownerReferences',
];

function removePointer(obj: Record<string, unknown>, pointer: string): void {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let cur: unknown = obj;
  for (const p of parts.slice(0, -1)) {
    if (!isObject(cur as never) && !Array.isArray(cur)) return;
    cur = (cur as Record<string, unknown>)[p];
  }
  const last = parts[parts.length - 1];
  if (last !== undefined && cur && typeof cur === 'object') {
    if (Array.isArray(cur)) cur.splice(Number(last), 1);
    else delete (cur as Record<string, unknown>)[last];
  }
}

export function normalize(o: KubeObject, rules: readonly IgnoreRule[] = []): KubeObject {
  const c = structuredClone(o);
  delete c.status;
  // A Secret's stringData is write-only: the server stores it base64-encoded in data.
  if (c.kind === 'Secret' && isObject(c.stringData as never)) {
    const data = { ...((c.data as Record<string, string> | undefined) ?? {}) };
    for (const [k, v] of Object.entries(c.stringData as Record<string, string>))
      data[k] = Buffer.from(String(v)).toString('base64');
    c.data = data;
    delete c.stringData;
  }
  for (const k of SERVER_METADATA) delete c.metadata[k];
  if (c.metadata.annotations) {
    delete c.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'];
    delete c.metadata.annotations['deployment.kubernetes.io/revision'];
    if (Object.keys(c.metadata.annotations).length === 0) delete c.metadata.annotations;
  }
  for (const r of rules) {
    if (
      (r.group === undefined || r.group === groupOf(o.apiVersion)) &&
      (r.kind === undefined || r.kind === o.kind) &&
      (r.name === undefined || r.name === o.metadata.name)
    ) {
      for (const p of r.jsonPointers) removePointer(c as unknown as Record<string, unknown>, p);
    }
  }
  return c;
}

/**
 * True when every field of `desired` has the same value in `live` (lists must match element by
 * element). Extra live fields (server defaults, other managers) are not drift.
 */
export function contains(live: unknown, desired: unknown): boolean {
  if (Array.isArray(desired))
    return Array.isArray(live) && live.length === desired.length && desired.every((d, i) => contains(live[i], d));
  if (desired !== null && typeof desired === 'object') {
    if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
    return Object.entries(desired).every(([k, v]) => contains((live as Record<string, unknown>)[k], v));
  }
  if (typeof desired === 'number' && typeof live === 'string') return String(desired) === live;
  return live === desired;
}

/** Fields of `desired` that differ in `live`, as JSON Pointers (for drift reports). */
export function driftedPaths(live: unknown, desired: unknown, at = ''): string[] {
  if (contains(live, desired)) return [];
  if (
    desired !== null &&
    typeof desired === 'object' &&
    !Array.isArray(desired) &&
    live &&
    typeof live === 'object' &&
    !Array.isArray(live)
  ) {
    return Object.entries(desired).flatMap(([k, v]) =>
      driftedPaths((live as Record<string, unknown>)[k], v, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`),
    );
  }
  return [at || '/'];
}
