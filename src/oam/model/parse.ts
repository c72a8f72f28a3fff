import { LineCounter, parseAllDocuments } from 'yaml';
import { fail, ok, problem, type FerryProblem, type Result } from '../errors.js';
import type { Application } from './application.js';
import { SourceMap, formatPath, type ValuePath } from './source-map.js';

/** An application together with where its text came from. */
export interface SourcedApplication {
  app: Application;
  source: SourceMap;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses every `kind: Application` document of a YAML file; other kinds are ignored. */
export function parseApplications(text: string, file: string): Result<SourcedApplication[]> {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const problems: FerryProblem[] = [];
  const apps: SourcedApplication[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    for (const e of doc.errors) {
      const pos = lines.linePos(e.pos[0]);
      problems.push(problem('InvalidYAML', `malformed YAML: ${e.message.split('\n')[0]}`, { file, line: pos.line, column: pos.col }));
    }
    if (doc.errors.length > 0) continue;
    const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (value === null || value === undefined) continue;
    const source = new SourceMap(file, doc, lines);
    if (!isRecord(value) || value.kind !== 'Application') continue;
    const checked = checkApplication(value, source);
    if (checked.length > 0) problems.push(...checked);
    else apps.push({ app: value as unknown as Application, source });
  }
  if (problems.length > 0) return fail(problems);
  return ok(apps);
}

/** Structural checks the CUE templates cannot make: names, types, duplicates. */
function checkApplication(app: Record<string, unknown>, source: SourceMap): FerryProblem[] {
  const out: FerryProblem[] = [];
  const at = (path: ValuePath, extra: Record<string, string> = {}) => ({ file: source.file, ...source.locate(path), path: formatPath(path), ...extra });
  const need = (cond: boolean, path: ValuePath, msg: string, extra?: Record<string, string>) => {
    if (!cond) out.push(problem('InvalidApplication', msg, at(path, extra)));
  };
  const meta = app.metadata;
  need(isRecord(meta) && typeof meta.name === 'string' && meta.name !== '', ['metadata'], 'metadata.name is required');
  const appName = isRecord(meta) ? String(meta.name ?? '') : '';
  const spec = app.spec;
  if (!isRecord(spec) || !Array.isArray(spec.components)) {
    need(false, ['spec'], 'spec.components must be a list', { app: appName });
    return out;
  }
  const seen = new Map<string, number>();
  spec.components.forEach((c: unknown, i: number) => {
    const base: ValuePath = ['spec', 'components', i];
    if (!isRecord(c)) return need(false, base, 'a component must be a mapping', { app: appName });
    const name = typeof c.name === 'string' ? c.name : '';
    const who = { app: appName, ...(name ? { component: name } : {}) };
    need(name !== '', base, 'component name is required', who);
    need(typeof c.type === 'string' && c.type !== '', [...base, 'type'], 'component type is required', who);
    need(c.properties === undefined || isRecord(c.properties), [...base, 'properties'], 'properties must be a mapping', who);
    if (name && seen.has(name)) {
      out.push(problem('DuplicateComponent', `duplicate component name "${name}" (first defined at line ${source.locate(['spec', 'components', seen.get(name)!]).line})`, at(base, who)));
    } else if (name) seen.set(name, i);
    if (c.traits !== undefined && !Array.isArray(c.traits)) need(false, [...base, 'traits'], 'traits must be a list', who);
    (Array.isArray(c.traits) ? c.traits : []).forEach((t: unknown, j: number) => {
      const tp: ValuePath = [...base, 'traits', j];
      const ok1 = isRecord(t) && typeof t.type === 'string' && t.type !== '';
      need(ok1, tp, 'trait type is required', who);
      if (ok1) need(t.properties === undefined || isRecord(t.properties), [...tp, 'properties'], 'properties must be a mapping', { ...who, trait: String(t.type) });
    });
  });
  const policies = spec.policies;
  if (policies !== undefined && !Array.isArray(policies)) need(false, ['spec', 'policies'], 'policies must be a list', { app: appName });
  (Array.isArray(policies) ? policies : []).forEach((p: unknown, i: number) => {
    const pp: ValuePath = ['spec', 'policies', i];
    need(isRecord(p) && typeof p.name === 'string' && typeof p.type === 'string', pp, 'a policy needs a name and a type', { app: appName });
  });
  return out;
}
