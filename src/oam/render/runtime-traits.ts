/**
 * Runtime traits as the render pipeline sees them: a parser per trait type that checks a component's
 * trait properties after override policies. The render pipeline locates each problem at the property
 * (`app.yaml:14:17: component "web", trait "canary": steps[0].weight: …`) and keeps the parsed settings
 * (`RenderedApp.runtimeTraits`) for the controller's delivering stage. The runtime itself (src/traits/)
 * implements this interface; oam never imports it.
 */

/** A problem a trait's parser found, at a path inside the trait's `properties`. */
export interface PropertyProblem {
  /** e.g. ['steps', 0, 'weight']; [] for the properties as a whole. */
  path: (string | number)[];
  message: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problems: PropertyProblem[] };

/** What the render pipeline needs of a runtime trait: its type and a pure parser of its properties. */
export interface TraitParser<T = unknown> {
  readonly type: string;
  parse(properties: unknown, component: string): ParseResult<T>;
}

/** One component's runtime trait, parsed after the environment's override policies. */
export interface ParsedTrait<T = unknown> {
  component: string;
  trait: string;
  spec: T;
}

/** `steps[0].weight` from ['steps', 0, 'weight']. */
export function formatPropertyPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}
