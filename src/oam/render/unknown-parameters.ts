/**
 * Properties a definition's parameter schema does not know. KubeVela's parameter structs are open, so
 * a typo such as `imagez` is silently ignored there; Ferry warns (an error with --strict), naming the
 * property's place and the nearest known name.
 */
import type { JsonSchema } from '../cue/engine.js';
import { isObject, type JsonObject } from '../patch/json.js';
import type { ValuePath } from '../model/source-map.js';

export interface UnknownParameter {
  /** Path below `properties`. */
  path: ValuePath;
  name: string;
  suggestion?: string;
}

export function unknownParameters(schema: JsonSchema, value: unknown, path: ValuePath = []): UnknownParameter[] {
  if (!isObject(value) || schema.type !== 'object' || schema.additionalProperties !== undefined) return [];
  const known = schema.properties ?? {};
  const names = Object.keys(known);
  if (names.length === 0) return [];
  const out: UnknownParameter[] = [];
  for (const [k, v] of Object.entries(value as JsonObject)) {
    const sub = known[k];
    if (!sub) {
      const suggestion = nearest(k, names);
      out.push({ path: [...path, k], name: k, ...(suggestion ? { suggestion } : {}) });
      continue;
    }
    if (isObject(v)) out.push(...unknownParameters(sub, v, [...path, k]));
    else if (Array.isArray(v) && sub.items)
      v.forEach((e, i) => out.push(...unknownParameters(sub.items!, e, [...path, k, i])));
  }
  return out;
}

/** The known name within edit distance 2, if one. */
function nearest(name: string, names: string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const n of names) {
    const d = distance(name.toLowerCase(), n.toLowerCase());
    if (d < bestD) [best, bestD] = [n, d];
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
