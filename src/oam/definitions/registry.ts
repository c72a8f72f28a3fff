import type { CueEngine, JsonSchema, PatchAnnotations } from '../cue/engine.js';
import type { Definition, DefinitionKind } from './definition.js';

/** Definitions by kind and name; later registrations override earlier ones. */
export class DefinitionRegistry {
  private readonly byKind = new Map<DefinitionKind, Map<string, Definition>>();
  private readonly annotationCache = new Map<number, PatchAnnotations>();
  private readonly schemaCache = new Map<number, JsonSchema>();

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
    let a = this.annotationCache.get(def.templateId);
    if (!a) this.annotationCache.set(def.templateId, (a = this.cue.annotations(def.templateId)));
    return a;
  }

  schema(def: Definition): JsonSchema {
    let sc = this.schemaCache.get(def.templateId);
    if (!sc) this.schemaCache.set(def.templateId, (sc = this.cue.schema(def.templateId)));
    return sc;
  }
}
