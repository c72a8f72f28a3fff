/**
 * KubeVela's trait patch semantics over JSON values: unification with the
 * base (positional list merge, scalar conflicts are errors) steered by the
 * `+patchKey` and `+patchStrategy` directives found on the patch's fields.
 */
import { clone, deepEqual, isObject, type Json } from './json.js';
import type { Directive, FieldPath, PatchDirectives } from './annotations.js';

export interface PatchConflict {
  /** Path inside the patched object, e.g. `spec.replicas` or `spec.containers[0].image`. */
  path: string;
  /** The same place as a directive path from the patch root, list elements as "[]". */
  field: string[];
  message: string;
  /** For a JSON patch: the index of the failing operation in `operations`. */
  operation?: number;
}

interface MergeState {
  directives: PatchDirectives;
  conflicts: PatchConflict[];
}

/**
 * Merges `patch` into `base`; `root` is the directives' path of the patch value
 * (["patch"] or ["patchOutputs", name]). Never mutates its inputs.
 */
export function strategicMerge(
  base: Json,
  patch: Json,
  directives: PatchDirectives,
  root: FieldPath,
): { value: Json; conflicts: PatchConflict[] } {
  const state: MergeState = { directives, conflicts: [] };
  const value = merge(state, base, patch, [...root], root.length, undefined, '');
  return { value, conflicts: state.conflicts };
}

function merge(
  s: MergeState,
  base: Json | undefined,
  patch: Json,
  path: string[],
  rootLen: number,
  inheritedKey: string | undefined,
  at: string,
): Json {
  const d: Directive = s.directives.at(path);
  const key = d.patchKey ?? inheritedKey;
  if (base === undefined) return clone(patch);
  if (d.patchStrategy === 'retainKeys' || d.patchStrategy === 'replace') {
    if (Array.isArray(base) && Array.isArray(patch) && key && d.patchStrategy === 'retainKeys') {
      return mergeKeyedList(s, base, patch, path, rootLen, key, true, at);
    }
    return clone(patch);
  }
  if (isObject(base) && isObject(patch)) {
    const out: Record<string, Json> = { ...base };
    for (const [k, pv] of Object.entries(patch)) {
      out[k] = merge(s, base[k], pv, [...path, k], rootLen, key, at ? `${at}.${k}` : k);
    }
    return out;
  }
  if (Array.isArray(base) && Array.isArray(patch)) {
    const merged = key
      ? mergeKeyedList(s, base, patch, path, rootLen, key, false, at)
      : mergePositional(s, base, patch, path, rootLen, key, at);
    return applyListPattern(s, merged, path, rootLen, key, at);
  }
  if (deepEqual(base, patch)) return base;
  s.conflicts.push({ path: at || '.', field: path, message: `conflicting values ${show(base)} and ${show(patch)}` });
  return base;
}

/**
 * An open list's element constraint (`[...{lifecycle: …}]`) unifies with every
 * element of the base from its index on, as CUE unification does.
 */
function applyListPattern(
  s: MergeState,
  list: Json[],
  path: string[],
  rootLen: number,
  key: string | undefined,
  at: string,
): Json[] {
  const elem = [...path, '[]'];
  const pattern = s.directives.patternAt(elem);
  if (!pattern) return list;
  return list.map((e, i) => (i < pattern.from ? e : merge(s, e, pattern.value, elem, rootLen, key, `${at}[${i}]`)));
}

function show(v: Json): string {
  const t = JSON.stringify(v);
  return t.length > 60 ? `${t.slice(0, 57)}...` : t;
}

/** Lists merge by position; the longer list's extra elements are kept (the base list is open). */
function mergePositional(
  s: MergeState,
  base: Json[],
  patch: Json[],
  path: string[],
  rootLen: number,
  key: string | undefined,
  at: string,
): Json[] {
  const out: Json[] = [];
  const elem = [...path, '[]'];
  for (let i = 0; i < Math.max(base.length, patch.length); i++) {
    if (i >= patch.length) out.push(base[i] as Json);
    else if (i >= base.length) out.push(clone(patch[i] as Json));
    else out.push(merge(s, base[i], patch[i] as Json, elem, rootLen, key, `${at}[${i}]`));
  }
  return out;
}

function lookup(v: Json, dotted: string): Json | undefined {
  let cur: Json | undefined = v;
  for (const seg of dotted.split('.')) {
    if (!isObject(cur) || !(seg in cur)) return undefined;
    cur = cur[seg];
  }
  return cur;
}

const isScalar = (v: Json | undefined) => v === null || ['string', 'number', 'boolean'].includes(typeof v);

/**
 * Keyed list merge (`+patchKey=a.b,c`), as KubeVela rewrites the patch list:
 * for each key, base elements carrying it line up with the patch element of
 * the same key value (or an empty placeholder), patch elements without a match
 * are appended, patch elements lacking every key are dropped, and the result is
 * merged by position with the base. When no patch element carries the key the
 * lists merge by position. With retainKeys, matched base elements are replaced.
 */
function mergeKeyedList(
  s: MergeState,
  base: Json[],
  patch: Json[],
  path: string[],
  rootLen: number,
  key: string,
  retain: boolean,
  at: string,
): Json[] {
  const working: Json[] = [...base];
  const rewritten: Json[] = [];
  const pending = new Map<string, Json>();
  for (const k of key.split(',').map((x) => x.trim())) {
    let found = false;
    for (const p of patch) {
      const v = lookup(p, k);
      if (v === undefined) continue;
      found = true;
      if (!isScalar(v)) return mergePositional(s, base, patch, path, rootLen, key, at);
      pending.set(`${k}\u0000${JSON.stringify(v)}`, p);
    }
    if (!found) {
      if (patch.length === 0) continue;
      return mergePositional(s, base, patch, path, rootLen, key, at);
    }
    for (let i = 0; i < working.length; i++) {
      const v = lookup(working[i] as Json, k);
      if (v === undefined) continue;
      if (!isScalar(v)) return mergePositional(s, base, patch, path, rootLen, key, at);
      const id = `${k}\u0000${JSON.stringify(v)}`;
      const match = pending.get(id);
      if (match !== undefined) {
        if (retain) working[i] = {};
        rewritten.push(match);
        pending.delete(id);
      } else rewritten.push({});
    }
  }
  const left = new Set(pending.values());
  for (const p of patch) if (left.has(p)) rewritten.push(p);
  return mergePositional(s, working, rewritten, path, rootLen, key, at);
}
