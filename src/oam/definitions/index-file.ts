/**
 * A build-time index of the built-in definitions' metadata, parameter schema and patch annotations, so a
 * cold start parses only the templates it evaluates and asks the engine for nothing it could read here.
 * Entries are keyed by the file's content hash: an edited file is simply loaded the slow way.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { CueBudgetExceeded, type CueEngine, type JsonSchema, type PatchAnnotations } from '../cue/engine.js';
import type { Definition, DefinitionAttributes, DefinitionKind } from './definition.js';
import { loadCueDefinition } from './load.js';

export interface IndexEntry {
  file: string;
  sha256: string;
  name: string;
  kind: DefinitionKind;
  description: string;
  attributes: DefinitionAttributes;
  /** Absent when reading it ran out of the engine's budget: the render then reports that, as before. */
  schema?: JsonSchema;
  annotations: PatchAnnotations;
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The index file: the engine build whose answers it holds, and one entry per definition file. */
interface IndexFile {
  engine: string;
  definitions: IndexEntry[];
}

export function writeDefinitionIndex(
  path: string,
  root: string,
  defs: Definition[],
  cue: CueEngine,
  engine: string,
): void {
  const entries: IndexEntry[] = defs
    .filter((d) => d.file.endsWith('.cue'))
    .map((d) => ({
      file: relative(root, d.file),
      sha256: sha256(readFileSync(d.file, 'utf8')),
      name: d.name,
      kind: d.kind,
      description: d.description,
      attributes: d.attributes,
      ...schemaOf(cue, d.templateId),
      annotations: relativeFiles(cue.annotations(d.templateId), (f) => relative(root, f)),
    }));
  writeFileSync(path, `${JSON.stringify({ engine, definitions: entries } satisfies IndexFile, null, 1)}\n`);
}

/** The annotations with each field's file rewritten (stored relative to the definitions folder: it may move). */
function relativeFiles(a: PatchAnnotations, rewrite: (file: string) => string): PatchAnnotations {
  return { ...a, fields: a.fields.map((f) => (f.file ? { ...f, file: rewrite(f.file) } : f)) };
}

function schemaOf(cue: CueEngine, id: number): { schema?: JsonSchema } {
  try {
    return { schema: cue.schema(id) };
  } catch (e) {
    if (e instanceof CueBudgetExceeded) return {};
    throw e;
  }
}

/**
 * Definitions from the index whose file is unchanged; their templates load on first use. An index written by
 * another build of the engine (`engine` differs) is not used at all: its schemas could differ.
 */
export function readDefinitionIndex(
  path: string,
  root: string,
  cue: CueEngine,
  engine: string,
): { definitions: Definition[]; files: Set<string> } {
  const out = { definitions: [] as Definition[], files: new Set<string>() };
  if (!existsSync(path)) return out;
  const index = JSON.parse(readFileSync(path, 'utf8')) as Partial<IndexFile>;
  if (index.engine !== engine || !Array.isArray(index.definitions)) return out;
  for (const e of index.definitions) {
    const file = resolve(root, e.file);
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    if (sha256(text) !== e.sha256) continue;
    out.files.add(file);
    let id: number | undefined;
    out.definitions.push({
      name: e.name,
      kind: e.kind,
      description: e.description,
      attributes: e.attributes,
      file,
      origin: 'builtin',
      indexed: {
        ...(e.schema ? { schema: e.schema } : {}),
        annotations: relativeFiles(e.annotations, (f) => resolve(root, f)),
      },
      position: (p) => ({ file: p.file || file, line: p.line, column: p.column }),
      get templateId(): number {
        if (id === undefined) {
          const loaded = loadCueDefinition(file, text, cue, 'builtin').definitions[0];
          if (!loaded) throw new Error(`built-in definition ${file} no longer loads`);
          id = loaded.templateId;
        }
        return id;
      },
    });
  }
  return out;
}
