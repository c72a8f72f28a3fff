/**
 * Runtime traits in the render pipeline: every trait whose type has a parser is parsed on the components
 * as the environment's override policies leave them. Each problem is located at the property: in the
 * component's trait, or in the override policy when the policy wrote it.
 */
import { problem, type FerryProblem } from '../errors.js';
import type { ComponentSpec, PolicySpec } from '../model/application.js';
import type { SourcedApplication } from '../model/parse.js';
import { formatPath, type ValuePath } from '../model/source-map.js';
import { ruleMatches, type OverrideProperties } from '../policies/override.js';
import {
  formatPropertyPath,
  type ParsedTrait,
  type ParseResult,
  type PropertyProblem,
  type TraitParser,
} from './runtime-traits.js';

export interface RuntimeTraitComponent {
  spec: ComponentSpec;
  /** Where the component is written (a component, or the override policy that added it). */
  path: ValuePath;
}

export interface RuntimeTraitsParsed {
  traits: ParsedTrait[];
  problems: FerryProblem[];
  /** Component name → indexes (in its traits after overrides) of the traits whose parser refused them. */
  refused: Map<string, Set<number>>;
}

export function parseRuntimeTraits(
  sourced: SourcedApplication,
  components: readonly RuntimeTraitComponent[],
  overrides: readonly PolicySpec[],
  parsers: readonly TraitParser[],
): RuntimeTraitsParsed {
  const out: RuntimeTraitsParsed = { traits: [], problems: [], refused: new Map() };
  if (parsers.length === 0) return out;
  const byType = new Map(parsers.map((p) => [p.type, p]));
  for (const c of components) {
    const traits = c.spec.traits ?? [];
    traits.forEach((trait, j) => {
      const parser = byType.get(trait.type);
      if (!parser) return;
      const nth = traits.slice(0, j).filter((t) => t.type === trait.type).length;
      // A runtime trait's progress and objects are per component: one of each type.
      const r: ParseResult<unknown> =
        nth > 0
          ? {
              ok: false,
              problems: [{ path: [], message: `a component carries one "${trait.type}" trait, not ${nth + 1}` }],
            }
          : parser.parse(trait.properties, c.spec.name);
      if (r.ok) {
        out.traits.push({ component: c.spec.name, trait: trait.type, spec: r.value });
        return;
      }
      const refused = out.refused.get(c.spec.name) ?? new Set<number>();
      out.refused.set(c.spec.name, refused.add(j));
      const origins = originsOf(sourced, c, trait.type, nth, j, overrides);
      if (origins.length === 0) origins.push({ base: c.path });
      for (const p of r.problems) out.problems.push(located(sourced, c.spec.name, trait.type, origins, p));
    });
  }
  return out;
}

/** Where a trait's properties may have been written, in the order they were merged. */
interface Origin {
  /** The `properties` of the trait (in the component, or in an override rule). */
  base: ValuePath;
  policy?: string;
}

function originsOf(
  sourced: SourcedApplication,
  c: RuntimeTraitComponent,
  type: string,
  nth: number,
  j: number,
  overrides: readonly PolicySpec[],
): Origin[] {
  const { app } = sourced;
  const out: Origin[] = [];
  const ci = app.spec.components.findIndex((x) => x.name === c.spec.name);
  if (ci >= 0) {
    const own = (app.spec.components[ci]!.traits ?? []).flatMap((t, k) => (t.type === type ? [k] : []));
    if (own[nth] !== undefined) out.push({ base: ['spec', 'components', ci, 'traits', own[nth], 'properties'] });
  }
  // An override patches the first trait of a type (src/oam/policies/override.ts).
  if (nth === 0) {
    const policies = app.spec.policies ?? [];
    for (const o of overrides) {
      const pi = policies.includes(o) ? policies.indexOf(o) : policies.findIndex((p) => p.name === o.name);
      const rules = ((o.properties ?? {}) as OverrideProperties).components ?? [];
      rules.forEach((rule, rk) => {
        if (!ruleMatches(rule, c.spec) && !(ci >= 0 && ruleMatches(rule, app.spec.components[ci]!))) return;
        (rule.traits ?? []).forEach((t, tj) => {
          if (t.type !== type || t.disable) return;
          const base = ['spec', 'policies', pi, 'properties', 'components', rk, 'traits', tj, 'properties'];
          out.push({ base, policy: o.name });
        });
      });
    }
  }
  if (out.length === 0) out.push({ base: [...c.path, 'traits', j, 'properties'] });
  return out;
}

/** How many segments of `path` below `base` the app file has; -1 when it has no `base`. */
function depth(root: unknown, base: ValuePath, path: ValuePath): number {
  let v: unknown = root;
  for (const seg of base) {
    v = step(v, seg);
    if (v === undefined) return -1;
  }
  let n = 0;
  for (const seg of path) {
    v = step(v, seg);
    if (v === undefined) break;
    n++;
  }
  return n;
}

function step(v: unknown, seg: string | number): unknown {
  if (Array.isArray(v)) return typeof seg === 'number' ? v[seg] : undefined;
  if (typeof v === 'object' && v !== null && Object.hasOwn(v, seg)) return (v as Record<string, unknown>)[seg];
  return undefined;
}

/**
 * The origin that wrote the property: the one that has most of its path, a later one (an override,
 * merged over the component) on a tie. When none has any of it (a default), the first: the component.
 */
function located(
  sourced: SourcedApplication,
  component: string,
  trait: string,
  origins: Origin[],
  p: PropertyProblem,
): FerryProblem {
  let best = origins[0]!;
  let bestDepth = depth(sourced.app, best.base, p.path);
  for (const o of origins.slice(1)) {
    const d = depth(sourced.app, o.base, p.path);
    if (d > 0 && d >= bestDepth) [best, bestDepth] = [o, d];
  }
  const full = [...best.base, ...p.path];
  const { source } = sourced;
  return problem('InvalidParameter', p.path.length > 0 ? `${formatPropertyPath(p.path)}: ${p.message}` : p.message, {
    file: source.file,
    ...source.locate(full),
    app: sourced.app.metadata.name,
    component,
    trait,
    ...(best.policy !== undefined ? { policy: best.policy } : {}),
    path: formatPath(full),
  });
}
