import type { PatchAnnotation } from '../cue/engine.js';

export type FieldPath = readonly string[];
export type Directive = { patchKey?: string; patchStrategy?: string };

/** `+patchKey` / `+patchStrategy` directives of one trait template, looked up by field path. */
export class PatchDirectives {
  private readonly byPath = new Map<string, Directive>();

  constructor(annotations: readonly PatchAnnotation[] = []) {
    for (const a of annotations) {
      const key = a.path.join('\u0000');
      const prev = this.byPath.get(key) ?? {};
      this.byPath.set(key, { ...prev, ...(a.patchKey ? { patchKey: a.patchKey } : {}), ...(a.patchStrategy ? { patchStrategy: a.patchStrategy } : {}) });
    }
  }

  at(path: FieldPath): Directive {
    return this.byPath.get(path.join('\u0000')) ?? {};
  }

  get empty(): boolean {
    return this.byPath.size === 0;
  }
}
