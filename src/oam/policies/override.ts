/** KubeVela's `override` policy: patch, replace, add or select components and their traits. */
import type { ComponentSpec, TraitSpec } from '../model/application.js';
import { clone, isObject, type Json } from '../patch/json.js';

export interface OverrideRule {
  name?: string;
  type?: string;
  properties?: Record<string, unknown>;
  traits?: { type: string; properties?: Record<string, unknown>; disable?: boolean }[];
}

export interface OverrideProperties {
  components?: OverrideRule[];
  selector?: string[];
}

/** Maps merge recursively; arrays and scalars are replaced. */
export function mergeProperties(base: unknown, patch: unknown): unknown {
  if (!isObject(base as Json) || !isObject(patch as Json)) return clone(patch);
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch as Record<string, unknown>))
    out[k] = k in out ? mergeProperties(out[k], v) : clone(v);
  return out;
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(name);
}

function overrideTraits(traits: TraitSpec[], rules: NonNullable<OverrideRule['traits']>): TraitSpec[] {
  let out = traits.map((t) => ({ ...t }));
  for (const r of rules) {
    const i = out.findIndex((t) => t.type === r.type);
    if (r.disable) {
      if (i >= 0) out = out.filter((_, j) => j !== i);
      continue;
    }
    if (i >= 0) {
      const t = out[i] as TraitSpec;
      out[i] = {
        ...t,
        properties: r.properties
          ? (mergeProperties(t.properties ?? {}, r.properties) as Record<string, unknown>)
          : t.properties,
      };
    } else out.push({ type: r.type, ...(r.properties ? { properties: clone(r.properties) } : {}) });
  }
  return out;
}

function overrideOne(comp: ComponentSpec, rule: OverrideRule): ComponentSpec {
  const replaced = rule.type !== undefined && rule.type !== comp.type;
  const properties = replaced
    ? clone(rule.properties ?? {})
    : rule.properties
      ? (mergeProperties(comp.properties ?? {}, rule.properties) as Record<string, unknown>)
      : comp.properties;
  const traits = rule.traits ? overrideTraits(comp.traits ?? [], rule.traits) : comp.traits;
  return {
    ...comp,
    ...(replaced ? { type: rule.type as string } : {}),
    ...(properties ? { properties } : {}),
    ...(traits ? { traits } : {}),
  };
}

/** Whether a rule patches this component: by name (a glob), or without a name by type, or every component. */
export function ruleMatches(rule: OverrideRule, comp: Pick<ComponentSpec, 'name' | 'type'>): boolean {
  return (
    (rule.name === undefined || globMatch(rule.name, comp.name)) &&
    (rule.name !== undefined || rule.type === undefined || rule.type === comp.type)
  );
}

/** Applies one override policy's rules in order. Returns the new component list. */
export function applyOverride(components: ComponentSpec[], props: OverrideProperties): ComponentSpec[] {
  let out = components.map((c) => ({ ...c }));
  for (const rule of props.components ?? []) {
    const matches = out.filter((c) => ruleMatches(rule, c));
    if (matches.length === 0 && rule.name !== undefined && !rule.name.includes('*') && rule.type) {
      out.push({
        name: rule.name,
        type: rule.type,
        ...(rule.properties ? { properties: clone(rule.properties) } : {}),
        ...(rule.traits
          ? {
              traits: rule.traits
                .filter((t) => !t.disable)
                .map((t) => ({ type: t.type, ...(t.properties ? { properties: t.properties } : {}) })),
            }
          : {}),
      });
      continue;
    }
    out = out.map((c) => (matches.includes(c) ? overrideOne(c, rule) : c));
  }
  if (props.selector) out = out.filter((c) => props.selector!.includes(c.name));
  return out;
}
