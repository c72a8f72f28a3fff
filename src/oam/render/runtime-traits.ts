/**
 * Runtime traits as the render pipeline sees them: a parser per trait type that checks a component's
 * trait properties after override policies. The render pipeline locates each problem at the property
 * (`app.yaml:14:17: component "web", trait "canary": steps[0].weight: …`) and keeps the parsed settings
 * (`RenderedApp.runtimeTraits`) for the controller's delivering stage. A trait that writes fields of its
 * component's objects while the app runs (an autoscaler's `spec.replicas`) names them (`ownedFields`); the
 * render pipeline resolves them to the rendered objects (`RenderedPlacement.ownedFields`), and the sync engine
 * leaves them to the trait on live objects (docs/sync.md, "Fields a runtime trait owns"). The runtime itself
 * (src/traits/) implements this interface; oam never imports it.
 */

/** A problem a trait's parser found, at a path inside the trait's `properties`. */
export interface PropertyProblem {
  /** e.g. ['steps', 0, 'weight']; [] for the properties as a whole. */
  path: (string | number)[];
  message: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problems: PropertyProblem[] };

/**
 * A field of a component's objects that a runtime trait writes while the app runs: `{kind: 'Deployment', path:
 * ['spec', 'replicas']}` is the replicas of every Deployment the component renders.
 */
export interface OwnedField {
  kind: string;
  /** Object keys from the root, e.g. ['spec', 'replicas']. */
  path: string[];
}

/** What the render pipeline needs of a runtime trait: its type and a pure parser of its properties. */
export interface TraitParser<T = unknown> {
  readonly type: string;
  parse(properties: unknown, component: string): ParseResult<T>;
  /**
   * The fields of the component's objects the trait writes at run time, given its parsed settings. An object not
   * yet in the cluster is created with the value as rendered; on one that exists, Ferry's sync never changes them
   * (its apply leaves them out or carries the live value), and plan, diff and drift see no change there.
   */
  ownedFields?(spec: T): OwnedField[];
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
