/** Where a problem is: a file position plus the application element involved. */
export interface Location {
  file?: string;
  line?: number;
  column?: number;
  app?: string;
  component?: string;
  trait?: string;
  policy?: string;
  /** Path of the value inside the app or definition, e.g. `spec.components[0].properties.port`. */
  path?: string;
}

export type RenderErrorCode =
  | 'InvalidYAML'
  | 'InvalidApplication'
  | 'UnknownDefinition'
  | 'DuplicateComponent'
  | 'MissingParameter'
  | 'InvalidParameter'
  | 'DefinitionSyntax'
  | 'DefinitionConflict'
  | 'DefinitionInvalid'
  | 'DefinitionErrs'
  | 'TraitNotApplicable'
  | 'TraitConflict'
  | 'PatchConflict'
  | 'PatchInvalid'
  | 'PolicyInvalid'
  | 'Unsupported'
  | 'Unreachable'
  | 'LimitExceeded'
  | 'ObjectInvalid'
  | 'IO';

/** A located problem. Functions return these as values; they are never thrown from deep inside. */
export interface FerryProblem {
  code: RenderErrorCode;
  message: string;
  /** The primary location (in the app file when the user's input is at fault). */
  at: Location;
  /** Further locations, e.g. the definition line a parameter conflicts with. */
  related?: Location[];
}

export type Result<T> = { ok: true; value: T } | { ok: false; problems: FerryProblem[] };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(problems: FerryProblem[]): Result<T> => ({ ok: false, problems });

export function problem(code: RenderErrorCode, message: string, at: Location, related?: Location[]): FerryProblem {
  return related && related.length > 0 ? { code, message, at, related } : { code, message, at };
}

function where(at: Location): string {
  if (!at.file) return '';
  const pos = at.line ? `:${at.line}${at.column ? `:${at.column}` : ''}` : '';
  return `${at.file}${pos}`;
}

function subject(at: Location): string {
  const parts: string[] = [];
  if (at.component) parts.push(`component "${at.component}"`);
  if (at.trait) parts.push(`trait "${at.trait}"`);
  if (at.policy) parts.push(`policy "${at.policy}"`);
  return parts.join(', ');
}

/** `file:line:col: component "web", trait "scaler": message (definition scaler.cue:12:3)` */
export function formatProblem(p: FerryProblem): string {
  const head = where(p.at);
  const who = subject(p.at);
  const rel = (p.related ?? []).map(where).filter(Boolean);
  const tail = rel.length > 0 ? ` (see ${rel.join(', ')})` : '';
  return `${head ? `${head}: ` : ''}${who ? `${who}: ` : ''}${p.message}${tail}`;
}
