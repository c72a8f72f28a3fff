/** Deterministic JSON (keys sorted at every level) and a short content hash over it. */
import { createHash } from 'node:crypto';

/** Object keys sorted at every level, as Go's encoder writes maps. */
export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v as object)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}

/** JSON with object keys sorted, so equal values give equal text. */
export function stableStringify(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}

/** 32 hex characters of SHA-256 over the stable JSON of a value. */
export const hashOf = (o: unknown) => createHash('sha256').update(stableStringify(o)).digest('hex').slice(0, 32);
