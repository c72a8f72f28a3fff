import type { PatchDirectives } from './annotations.js';
import type { Json } from './json.js';
import { strategicMerge, type PatchConflict } from './strategic-merge.js';
import { jsonMergePatch, jsonPatch } from './whole-value.js';

/** Applies one trait's `patch` (root ["patch"]) or `patchOutputs.<name>` value to a target. */
export function applyPatch(
  target: Json,
  patch: Json,
  directives: PatchDirectives,
  root: readonly string[],
): { value: Json; conflicts: PatchConflict[] } {
  const whole = directives.at(root).patchStrategy;
  if (whole === 'jsonMergePatch') return { value: jsonMergePatch(target, patch), conflicts: [] };
  if (whole === 'jsonPatch') {
    const r = jsonPatch(target, patch);
    return r.error !== undefined
      ? {
          value: target,
          conflicts: [
            { path: '.', field: [...root], message: r.error, ...(r.index !== undefined ? { operation: r.index } : {}) },
          ],
        }
      : { value: r.value as Json, conflicts: [] };
  }
  return strategicMerge(target, patch, directives, root);
}
