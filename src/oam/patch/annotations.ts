import type { ListPattern, PatchAnnotation } from '../cue/engine.js';
import type { Json } from './json.js';

export type FieldPath = readonly string[];
export type Directive = { patchKey?: string; patchStrategy?: string };

/** `+patchKey` / `+patchStrategy` directives of one trait template, looked up by field path. */
export class PatchDirectives {
  private readonly byPath = new Map<string, Directive>();
  private readonly patterns = new Map<string, ListPattern>();

  constructor(annotations: readonly PatchAnnotation[] = [], listPatterns: readonly ListPattern[] = []) {
    for (const p of listPatterns) this.patterns.set(p.path.join('\u0000'), p);
    for (const a of annotations) {
      const key = a.path.join('\u0000');
      const prev = this.byPath.get(key) ?? {};
      this.byPath.set(key, {
        ...prev,
        ...(a.patchKey ? { patchKey: a.patchKey } : {}),
        ...(a.patchStrategy ? { patchStrategy: a.patchStrategy } : {}),
      });
    }
  }

  at(path: FieldPath): Directive {
    return this.byPath.get(path.join('\u0000')) ?? {};
  }

  /** The element pattern of the list whose elements are at `elementPath` (ending in "[]"). */
  patternAt(elementPath: FieldPath): { from: number; value: Json } | undefined {
    const p = this.patterns.get(elementPath.join('\u0000'));
    return p ? { from: p.from, value: p.value as Json } : undefined;
  }

  get empty(): boolean {
    return this.byPath.size === 0;
  }
}
