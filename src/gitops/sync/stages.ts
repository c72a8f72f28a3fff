/** Apply order: CRDs and Namespaces first, then components in dependsOn waves. */
import type { KubeObject } from '../../objects/objects.js';

export const isFoundation = (o: KubeObject) => o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition';

/** Kinds defined by CRDs in the desired set: the server cannot validate them before those CRDs exist. */
export function kindsFromCrds(desired: KubeObject[]): Set<string> {
  const out = new Set<string>();
  for (const o of desired) {
    if (o.kind !== 'CustomResourceDefinition') continue;
    const spec = o.spec as { group?: string; names?: { kind?: string } } | undefined;
    if (spec?.group && spec.names?.kind) out.add(`${spec.group}/${spec.names.kind}`);
  }
  return out;
}

/**
 * Components in waves: a component comes after everything it depends on. A cycle or an unknown
 * dependency is reported instead of guessed around.
 */
export function dependencyWaves(components: { name: string; dependsOn?: string[] }[]): {
  waves: string[][];
  error?: string;
} {
  const names = new Set(components.map((c) => c.name));
  for (const c of components) {
    const unknown = (c.dependsOn ?? []).filter((d) => !names.has(d));
    if (unknown.length > 0)
      return {
        waves: [],
        error: `component "${c.name}" depends on unknown component(s) ${unknown.map((u) => `"${u}"`).join(', ')}`,
      };
  }
  const done = new Set<string>();
  const waves: string[][] = [];
  while (done.size < components.length) {
    const wave = components
      .filter((c) => !done.has(c.name) && (c.dependsOn ?? []).every((d) => done.has(d)))
      .map((c) => c.name);
    if (wave.length === 0)
      return {
        waves,
        error: `dependsOn cycle among ${components
          .filter((c) => !done.has(c.name))
          .map((c) => `"${c.name}"`)
          .join(', ')}`,
      };
    wave.forEach((n) => done.add(n));
    waves.push(wave);
  }
  return { waves };
}
