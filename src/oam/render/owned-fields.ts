/**
 * The fields runtime traits own (TraitParser.ownedFields), resolved to the rendered objects they name: a
 * trait's `{kind: 'Deployment', path: ['spec', 'replicas']}` on component "web" becomes the replicas of each
 * Deployment "web" renders. The sync engine keeps these at their live values.
 */
import type { ObjectField } from '../../objects/fields.js';
import { refOf } from '../../objects/objects.js';
import type { RenderedComponent } from './component.js';
import type { ParsedTrait, TraitParser } from './runtime-traits.js';

export function ownedFieldsOf(
  traits: readonly ParsedTrait[],
  parsers: readonly TraitParser[],
  components: readonly RenderedComponent[],
): ObjectField[] {
  const byType = new Map(parsers.map((p) => [p.type, p]));
  return traits.flatMap((t) => {
    const fields = byType.get(t.trait)?.ownedFields?.(t.spec) ?? [];
    const objects = components.find((c) => c.name === t.component)?.objects ?? [];
    return fields.flatMap((f) =>
      objects
        .filter((o) => o.kind === f.kind && f.path.length > 0)
        .map((o) => ({
          ref: refOf(o as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }),
          path: [...f.path],
          owner: t.trait,
        })),
    );
  });
}
