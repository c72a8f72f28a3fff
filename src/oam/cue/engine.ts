/** The CUE evaluator as Ferry sees it: a port, implemented by the wasm bridge. */

export interface CuePosition {
  file: string;
  line: number;
  column: number;
}

export interface CueProblem {
  message: string;
  /** Value path, e.g. ["template", "parameter", "port"]. */
  path: string[];
  positions: CuePosition[];
  /** syntax | definition | parameter | missing | evaluation */
  kind: string;
}

export type TemplateFormat = 'definition' | 'template';

export interface LoadedTemplate {
  id: number;
  /** The definition's name (definition-file format only). */
  name?: string;
  /** The evaluated `<name>: {type, description, attributes}` block (definition-file format only). */
  meta?: unknown;
  /** The `context` fields the template refers to; null when it uses `context` as a whole. */
  contextFields: string[] | null;
}

export interface PatchAnnotation {
  /** Field path from the template root, list elements as "[]", e.g. ["patch","spec","containers"]. */
  path: string[];
  patchKey?: string;
  patchStrategy?: string;
}

/** Directives plus where each field under `patch` / `patchOutputs` is written. */
export interface PatchAnnotations {
  annotations: PatchAnnotation[];
  fields: { path: string[]; file: string; line: number; column: number }[];
}

export interface EvaluateRequest {
  parameter: unknown;
  context: unknown;
  fields: string[];
  /** Extra CUE source unified into the template (health policies). */
  extra?: string;
  /** Also return the directives of the evaluated `patch` / `patchOutputs` (traits). */
  directives?: boolean;
}

/** The element constraint of an open list in a patch (`[...{lifecycle: …}]`), applied to elements from `from` on. */
export interface ListPattern {
  /** Path of the list's elements from the template root, ending in "[]". */
  path: string[];
  from: number;
  value: unknown;
}

/** What an evaluated patch says beyond its JSON: doc-comment directives, wherever written, and list patterns. */
export interface EvaluatedDirectives {
  annotations: PatchAnnotation[];
  listPatterns: ListPattern[];
}

export interface Evaluation {
  values: Record<string, unknown>;
  problems: CueProblem[];
  directives?: EvaluatedDirectives;
}

export interface CueEngine {
  readonly version: string;
  load(filename: string, source: string, format: TemplateFormat): { template?: LoadedTemplate; problems: CueProblem[] };
  evaluate(id: number, req: EvaluateRequest): Evaluation;
  annotations(id: number): PatchAnnotations;
  schema(id: number): JsonSchema;
  release(id: number): void;
  /** The `context` fields a loaded template refers to (null: all of them). */
  contextFields(id: number): string[] | null;
}

/**
 * A call stopped at its time or memory budget (the guarded engine). `load` and `evaluate` report it as a
 * problem of kind "limit"; `schema` and `annotations` throw it. The message names the limit and how to
 * raise it ("took longer than 10 s, its time limit (raise it with FERRY_EVAL_TIMEOUT, …)").
 */
export class CueBudgetExceeded extends Error {
  override name = 'CueBudgetExceeded';
}

export interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema;
  'x-order'?: string[];
}
