/** The whole-value strategies: RFC 7396 JSON merge patch and RFC 6902 JSON patch. */
import fastJsonPatch from 'fast-json-patch';
import { clone, isObject, type Json } from './json.js';

const { applyPatch, validate } = fastJsonPatch;

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

/** RFC 6902 operations from `patch.operations`; returns an error message instead of throwing. */
export function jsonPatch(target: Json, patch: Json): { value?: Json; error?: string } {
  const ops = isObject(patch) ? patch.operations : undefined;
  if (!Array.isArray(ops)) return { error: 'a jsonPatch patch needs `operations: [...]`' };
  const doc = clone(target);
  const invalid = validate(ops as never, doc);
  if (invalid) return { error: `invalid JSON patch operation ${invalid.index ?? ''}: ${invalid.message.split('\n')[0]}` };
  try {
    return { value: applyPatch(doc, ops as never, false, true).newDocument as Json };
  } catch (e) {
    return { error: `JSON patch failed: ${(e as Error).message.split('\n')[0]}` };
  }
}
