/** Reads definitions from `.cue` definition files and from YAML definition CRs. */
import { readdirSync, statSync } from 'node:fs';
import { linkProblem, readRegularFile } from '../files/read.js';
import { extname, join } from 'node:path';
import { isMap, isScalar, LineCounter, parseAllDocuments, type Node } from 'yaml';
import type { CueEngine, CuePosition, CueProblem } from '../cue/engine.js';
import { problem, type FerryProblem, type Location } from '../errors.js';
import { toJS } from '../model/parse.js';
import type { Definition, DefinitionAttributes, DefinitionKind } from './definition.js';

const KINDS: Record<string, DefinitionKind> = {
  ComponentDefinition: 'component',
  TraitDefinition: 'trait',
  PolicyDefinition: 'policy',
  WorkflowStepDefinition: 'workflow-step',
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface LoadedDefinitions {
  definitions: Definition[];
  problems: FerryProblem[];
}

/**
 * Problems from the CUE engine, located in the definition's own file (without a position, at `fallback`).
 * A call stopped at its budget (kind "limit") is a LimitExceeded problem.
 */
export function cueProblems(
  problems: CueProblem[],
  map: (p: CuePosition) => { file: string; line: number; column: number },
  code: 'DefinitionSyntax' | 'DefinitionInvalid',
  fallback: Location & { file: string },
): FerryProblem[] {
  return problems.map((p) => {
    const pos = p.positions[0] ? map(p.positions[0]) : fallback;
    return problem(p.kind === 'limit' ? 'LimitExceeded' : code, p.message, pos);
  });
}

/**
 * Where a `.cue` definition file declares its definition: the first top-level label other than
 * `template` (`webservice: {`), or line 1.
 */
export function declaredAt(text: string, name?: string): { line: number; column: number } {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^(?:"([^"\\]+)"|([A-Za-z_$][\w$-]*))\s*:/.exec(lines[i] ?? '');
    const label = m?.[1] ?? m?.[2];
    if (label === undefined || label === 'template') continue;
    if (name === undefined || label === name) return { line: i + 1, column: 1 };
  }
  return { line: 1, column: 1 };
}

/**
 * Every definition of a folder (and its sub-folders). Two definitions of one kind and name in the same
 * folder are an error at the second (folders given later override earlier ones, on purpose).
 */
export function loadDefinitionDir(
  dir: string,
  cue: CueEngine,
  origin: Definition['origin'],
  skip: ReadonlySet<string> = new Set(),
): LoadedDefinitions {
  const out = loadDefinitionTree(dir, cue, origin, skip);
  const first = new Map<string, Definition>();
  for (const d of out.definitions) {
    const key = `${d.kind}/${d.name}`;
    const earlier = first.get(key);
    if (earlier)
      out.problems.push(
        problem(
          'DefinitionConflict',
          `${d.kind} definition "${d.name}" is defined twice in ${dir} (first in ${earlier.file})`,
          { file: d.file, line: 1, column: 1 },
        ),
      );
    else first.set(key, d);
  }
  return out;
}

function loadDefinitionTree(
  dir: string,
  cue: CueEngine,
  origin: Definition['origin'],
  skip: ReadonlySet<string>,
): LoadedDefinitions {
  const out: LoadedDefinitions = { definitions: [], problems: [] };
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    out.problems.push(
      code === 'ENOTDIR'
        ? problem('IO', 'is a file; --definitions takes a folder of .cue or YAML definition files', { file: dir })
        : code === 'ENOENT'
          ? linkProblem(dir, e as NodeJS.ErrnoException)
          : problem('IO', `cannot read definitions folder: ${code ?? (e as Error).message}`, { file: dir }),
    );
    return out;
  }
  for (const name of entries) {
    const path = join(dir, name);
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch (e) {
      out.problems.push(linkProblem(path, e as NodeJS.ErrnoException));
      continue;
    }
    if (isDir) {
      const sub = loadDefinitionTree(path, cue, origin, skip);
      out.definitions.push(...sub.definitions);
      out.problems.push(...sub.problems);
      continue;
    }
    const ext = extname(name);
    if ((ext !== '.cue' && ext !== '.yaml' && ext !== '.yml') || skip.has(path)) continue;
    const read = readRegularFile(path);
    if (!read.ok) {
      out.problems.push(...read.problems);
      continue;
    }
    const text = read.value;
    const r =
      ext === '.cue' ? loadCueDefinition(path, text, cue, origin) : loadYamlDefinitions(path, text, cue, origin);
    out.definitions.push(...r.definitions);
    out.problems.push(...r.problems);
  }
  return out;
}

/** KubeVela's definition-file format: `<name>: {type, description, attributes}` plus `template: {...}`. */
export function loadCueDefinition(
  file: string,
  text: string,
  cue: CueEngine,
  origin: Definition['origin'],
): LoadedDefinitions {
  const identity = (p: CuePosition) => ({ file: p.file || file, line: p.line, column: p.column });
  const r = cue.load(file, text, 'definition');
  if (!r.template)
    return {
      definitions: [],
      problems: cueProblems(r.problems, identity, 'DefinitionSyntax', { file, ...declaredAt(text) }),
    };
  const meta = (isRecord(r.template.meta) ? r.template.meta : {}) as Record<string, unknown>;
  const kind = String(meta.type ?? '');
  if (!['component', 'trait', 'policy', 'workflow-step'].includes(kind)) {
    return {
      definitions: [],
      problems: [
        problem(
          'DefinitionInvalid',
          `definition "${r.template.name}" has type "${kind}"; expected component, trait, policy or workflow-step`,
          { file, line: 1, column: 1 },
        ),
      ],
    };
  }
  const def: Definition = {
    name: r.template.name ?? '',
    kind: kind as DefinitionKind,
    description: String(meta.description ?? ''),
    attributes: (isRecord(meta.attributes) ? meta.attributes : {}) as DefinitionAttributes,
    templateId: r.template.id,
    file,
    at: declaredAt(text, r.template.name),
    position: identity,
    origin,
  };
  return { definitions: [def], problems: [] };
}

/** ComponentDefinition / TraitDefinition / PolicyDefinition / WorkflowStepDefinition CRs. */
export function loadYamlDefinitions(
  file: string,
  text: string,
  cue: CueEngine,
  origin: Definition['origin'],
): LoadedDefinitions {
  const out: LoadedDefinitions = { definitions: [], problems: [] };
  const lines = new LineCounter();
  for (const doc of parseAllDocuments(text, { lineCounter: lines })) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const pos = lines.linePos(e.pos[0]);
        out.problems.push(
          problem('DefinitionSyntax', `malformed YAML: ${e.message.split('\n')[0]}`, {
            file,
            line: pos.line,
            column: pos.col,
          }),
        );
      }
      continue;
    }
    // The app files' alias cap: an alias bomb is a located problem, never a gigabyte expansion.
    const converted = toJS(doc, file, lines);
    if (!converted.ok) {
      out.problems.push(...converted.problems);
      continue;
    }
    const cr = converted.value;
    if (!isRecord(cr) || typeof cr.kind !== 'string' || !(cr.kind in KINDS)) continue;
    const spec = isRecord(cr.spec) ? cr.spec : {};
    const meta = isRecord(cr.metadata) ? cr.metadata : {};
    const name = String(meta.name ?? '');
    const template = (spec.schematic as { cue?: { template?: unknown } } | undefined)?.cue?.template;
    const tnode = doc.getIn(['spec', 'schematic', 'cue', 'template'], true) as Node | undefined;
    if (template !== undefined && typeof template !== 'string') {
      // A template written as YAML (a mapping, a list) instead of CUE text: located at its key.
      const at = keyNode(doc.getIn(['spec', 'schematic', 'cue'], true), 'template') ?? tnode;
      out.problems.push(
        problem(
          'DefinitionInvalid',
          `${cr.kind} "${name}": spec.schematic.cue.template must be CUE text (a string, e.g. \`template: |\`), ` +
            `not ${describeYaml(template)}`,
          { file, ...linePos(lines, at?.range?.[0] ?? 0) },
        ),
      );
      continue;
    }
    if (typeof template !== 'string' || !tnode) {
      out.problems.push(
        problem('DefinitionInvalid', `${cr.kind} "${name}" has no spec.schematic.cue.template`, {
          file,
          ...linePos(lines, (doc.contents as Node | null)?.range?.[0] ?? 0),
        }),
      );
      continue;
    }
    const position = blockMapper(file, text, lines, tnode);
    const r = cue.load(file, template, 'template');
    const at = linePos(lines, tnode.range?.[0] ?? 0);
    if (!r.template) {
      out.problems.push(...cueProblems(r.problems, position, 'DefinitionSyntax', { file, ...at }));
      continue;
    }
    const annotations = isRecord(meta.annotations) ? meta.annotations : {};
    out.definitions.push({
      name,
      kind: KINDS[cr.kind] as DefinitionKind,
      description: String(annotations['definition.oam.dev/description'] ?? ''),
      attributes: crAttributes(spec),
      templateId: r.template.id,
      file,
      at,
      position,
      origin,
    });
  }
  return out;
}

function crAttributes(spec: Record<string, unknown>): DefinitionAttributes {
  const attrs: DefinitionAttributes = {};
  if (isRecord(spec.workload)) attrs.workload = spec.workload as DefinitionAttributes['workload'];
  for (const k of ['appliesToWorkloads', 'conflictsWith', 'podDisruptive', 'stage'] as const) {
    if (spec[k] !== undefined) (attrs as Record<string, unknown>)[k] = spec[k];
  }
  if (isRecord(spec.status)) attrs.status = spec.status as DefinitionAttributes['status'];
  return attrs;
}

/** The key node of `key` in a YAML mapping node. */
function keyNode(map: unknown, key: string): Node | undefined {
  if (!isMap(map)) return undefined;
  const pair = map.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
  return pair && isScalar(pair.key) ? pair.key : undefined;
}

function describeYaml(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'a mapping' : `a ${typeof v}`;
}

function linePos(lines: LineCounter, offset: number) {
  const p = lines.linePos(offset);
  return { line: p.line, column: p.col };
}

/** A template in a YAML block scalar: CUE line 1 is the line after the `|` header, shifted by the indent. */
function blockMapper(
  file: string,
  text: string,
  lines: LineCounter,
  node: Node,
): (p: CuePosition) => { file: string; line: number; column: number } {
  const start = node.range?.[0] ?? 0;
  const header = lines.linePos(start).line;
  const quoted = isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE');
  const all = text.split('\n');
  let indent = 0;
  for (let i = header; i < all.length; i++) {
    const l = all[i] ?? '';
    if (l.trim() !== '') {
      indent = l.length - l.trimStart().length;
      break;
    }
  }
  return (p) => {
    if (p.file !== file) return { file: p.file, line: p.line, column: p.column };
    if (quoted || isMap(node)) return { file, ...linePos(lines, start) };
    return { file, line: header + p.line, column: p.column + indent };
  };
}
