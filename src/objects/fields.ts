/**
 * Fields of objects: one field of one object (`['spec', 'replicas']` of Deployment/shop/web), and the rule
 * for fields that something other than Git writes while the app runs (a runtime trait's autoscaler): an
 * object not yet in the cluster is created with the value as rendered; on an object that exists, Ferry's
 * apply never changes the field. It leaves the field out when another field manager owns it (the server
 * keeps it, and Ferry does not own it), else it carries the live value (leaving out a field no one else
 * owns would let the server drop it: a Deployment's replicas would fall back to 1).
 */
import { refKey, refOf, type KubeObject, type ObjectRef } from './objects.js';

export interface ObjectField {
  ref: ObjectRef;
  /** Object keys from the root, e.g. ['spec', 'replicas']. */
  path: string[];
  /** Who writes the field at run time (a runtime trait's type), for messages. */
  owner?: string;
}

/** The field as a JSON Pointer: `/spec/replicas`. */
export const fieldPointer = (path: readonly string[]): string =>
  path.map((p) => `/${p.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

/** The value at `path`, or undefined when a step of it is missing. */
export function valueAt(o: unknown, path: readonly string[]): unknown {
  let v = o;
  for (const key of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** A copy of `o` with `value` at `path` (undefined: the field left out), intermediate objects made as needed. */
function withValueAt<T extends object>(o: T, path: readonly string[], value: unknown): T {
  const [key, ...rest] = path;
  if (key === undefined) return o;
  const copy = { ...(o as Record<string, unknown>) };
  if (rest.length > 0) {
    const child = copy[key];
    const inner = child !== null && typeof child === 'object' && !Array.isArray(child) ? child : {};
    copy[key] = withValueAt(inner, rest, value);
  } else if (value === undefined) delete copy[key];
  else copy[key] = structuredClone(value);
  return copy as T;
}

/** True when a field manager other than `manager` owns the field (the live object's `metadata.managedFields`). */
export function ownedByOthers(live: KubeObject, path: readonly string[], manager: string): boolean {
  const entries = live.metadata.managedFields;
  if (!Array.isArray(entries)) return false;
  const fieldsPath = path.map((p) => `f:${p}`);
  return entries.some((e: { manager?: unknown; fieldsV1?: unknown }) => {
    return e.manager !== manager && valueAt(e.fieldsV1, fieldsPath) !== undefined;
  });
}

/**
 * The objects as `manager` applies them with each of `fields` left to whoever writes it at run time: on an
 * object `live` has, the field is left out when another manager owns it, else it takes the live value (left
 * out when the live object has none); an object `live` does not have keeps its values as rendered (its
 * creation sets them). Objects no field names are returned as they are.
 */
export function withLiveFields(
  objects: readonly KubeObject[],
  live: (ref: ObjectRef) => KubeObject | undefined,
  fields: readonly ObjectField[],
  manager: string,
): KubeObject[] {
  if (fields.length === 0) return [...objects];
  const byObject = new Map<string, ObjectField[]>();
  for (const f of fields) {
    if (f.path.length === 0) continue;
    const key = refKey(f.ref);
    byObject.set(key, [...(byObject.get(key) ?? []), f]);
  }
  return objects.map((o) => {
    const owned = byObject.get(refKey(refOf(o)));
    const current = owned && live(refOf(o));
    if (!owned || !current) return o;
    return owned.reduce(
      (acc, f) =>
        withValueAt(acc, f.path, ownedByOthers(current, f.path, manager) ? undefined : valueAt(current, f.path)),
      o,
    );
  });
}
