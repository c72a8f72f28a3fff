/** The whole-value strategies: RFC 7396 JSON merge patch and RFC 6902 JSON patch. */
import fastJsonPatch from 'fast-json-patch';
import { clone, isObject, type Json } from './json.js';

const { applyOperation, getValueByPointer, validate } = fastJsonPatch;
type Operation = Parameters<typeof applyOperation>[1];

/** RFC 7396: objects merge recursively, `null` deletes, anything else replaces. */
export function jsonMergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = jsonMergePatch(out[k], v);
  }
  return out;
}

/**
 * RFC 6902 operations from `patch.operations`, one at a time, with the
 * semantics of the library KubeVela uses (evanphx/json-patch, v4 API):
 * `replace` of a missing member of an existing object adds it. Returns an
 * error naming the failing operation's index, op and path instead of throwing.
 */
export function jsonPatch(target: Json, patch: Json): { value?: Json; error?: string; index?: number } {
  const ops = isObject(patch) ? patch.operations : undefined;
  if (!Array.isArray(ops)) return { error: 'a jsonPatch patch needs `operations: [...]`' };
  let doc = clone(target);
  for (const [i, raw] of ops.entries()) {
    const where = isObject(raw) ? `operation ${i} (${String(raw.op)} ${String(raw.path)})` : `operation ${i}`;
    if (!isObject(raw)) return { error: `${where}: not an object`, index: i };
    const op = (raw.op === 'replace' && typeof raw.path === 'string' && missingMember(doc, raw.path)
      ? { ...raw, op: 'add' }
      : raw) as unknown as Operation;
    const invalid = validate([op], doc);
    if (invalid) return { error: `JSON patch ${where} failed: ${firstLine(invalid.message)}`, index: i };
    try {
      doc = applyOperation(doc, op, false, true).newDocument as Json;
    } catch (e) {
      return { error: `JSON patch ${where} failed: ${firstLine((e as Error).message)}`, index: i };
    }
  }
  return { value: doc };
}

const firstLine = (m: string) => m.split('\n')[0] ?? m;

/** A path whose parent is an existing object that lacks the last member. */
function missingMember(doc: Json, pointer: string): boolean {
  const cut = pointer.lastIndexOf('/');
  if (cut < 0) return false;
  const key = pointer
    .slice(cut + 1)
    .replace(/~1/g, '/')
    .replace(/~0/g, '~');
  let parent: unknown;
  try {
    parent = cut === 0 ? doc : getValueByPointer(doc, pointer.slice(0, cut));
  } catch {
    return false;
  }
  return isObject(parent) && !(key in parent);
}
