import { CueBudgetExceeded, type CueEngine, type JsonSchema, type PatchAnnotations } from '../cue/engine.js';
import type { Definition, DefinitionKind } from './definition.js';

/** Definitions by kind and name; later registrations override earlier ones. */
export class DefinitionRegistry {
  private readonly byKind = new Map<DefinitionKind, Map<string, Definition>>();
  private readonly annotationCache = new Map<number, PatchAnnotations>();
  private readonly schemaCache = new Map<number, JsonSchema | CueBudgetExceeded>();

  constructor(readonly cue: CueEngine) {}

  add(defs: Iterable<Definition>): this {
    for (const d of defs) {
      let m = this.byKind.get(d.kind);
      if (!m) this.byKind.set(d.kind, (m = new Map()));
      m.set(d.name, d);
    }
    return this;
  }

  /** `type@v1.2` selects a definition revision in KubeVela; Ferry keeps one revision per name. */
  get(kind: DefinitionKind, type: string): Definition | undefined {
    return this.byKind.get(kind)?.get(type.split('@')[0] ?? type);
  }

  names(kind: DefinitionKind): string[] {
    return [...(this.byKind.get(kind)?.keys() ?? [])].sort();
  }

  all(): Definition[] {
    return [...this.byKind.values()]
      .flatMap((m) => [...m.values()])
      .sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
  }

  find(name: string): Definition[] {
    return this.all().filter((d) => d.name === name);
  }

  annotations(def: Definition): PatchAnnotations {
    if (def.indexed?.annotations) return def.indexed.annotations;
    let a = this.annotationCache.get(def.templateId);
    if (!a) this.annotationCache.set(def.templateId, (a = this.cue.annotations(def.templateId)));
    return a;
  }

  /** The parameter schema; throws CueBudgetExceeded (every time, not retried) when reading it ran out of budget. */
  schema(def: Definition): JsonSchema {
    if (def.indexed?.schema) return def.indexed.schema;
    let sc = this.schemaCache.get(def.templateId);
    if (!sc) {
      try {
        sc = this.cue.schema(def.templateId);
      } catch (e) {
        if (!(e instanceof CueBudgetExceeded)) throw e;
        sc = e;
      }
      this.schemaCache.set(def.templateId, sc);
    }
    if (sc instanceof CueBudgetExceeded) throw sc;
    return sc;
  }
}
