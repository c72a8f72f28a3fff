/** Turns CUE engine problems into located Ferry problems for one component or trait. */
import type { CueProblem } from '../cue/engine.js';
import type { Definition } from '../definitions/definition.js';
import { problem, type FerryProblem, type Location, type RenderErrorCode } from '../errors.js';
import type { SourceMap, ValuePath } from '../model/source-map.js';
import { formatPath } from '../model/source-map.js';

export interface Subject {
  source: SourceMap;
  app: string;
  component: string;
  /** Path of the component (or trait, or policy) in the app file. */
  path: ValuePath;
  trait?: string;
  policy?: string;
  def: Definition;
}

export function subjectAt(s: Subject, path: ValuePath = s.path): Location {
  return {
    file: s.source.file,
    ...s.source.locate(path),
    app: s.app,
    ...(s.component ? { component: s.component } : {}),
    ...(s.trait ? { trait: s.trait } : {}),
    ...(s.policy ? { policy: s.policy } : {}),
    path: formatPath(path),
  };
}

/** Positions in the values Ferry injects (parameters and context), not in any file of the user's. */
const INJECTED_FILES = new Set(['', 'parameter.json', 'context.json', 'parameters.json']);

/** KubeVela's runtime packages (providers such as vela/helm, vela/kube) that only its controller has. */
const RUNTIME_PACKAGE = /builtin package "(vela\/[^"]+)" undefined/;

function definitionLocations(p: CueProblem, def: Definition): Location[] {
  return p.positions.filter((pos) => !INJECTED_FILES.has(pos.file)).map((pos) => def.position(pos));
}

/** The part of a CUE path below `parameter`, with list indexes as numbers. */
function parameterPath(path: string[]): ValuePath | undefined {
  const i = path.indexOf('parameter');
  if (i < 0) return undefined;
  return path.slice(i + 1).map((seg) => (/^\d+$/.test(seg) ? Number(seg) : seg));
}

/**
 * CUE reports a value matching no branch of a disjunction as "N errors in empty
 * disjunction" followed by one conflict per branch; fold them into one problem
 * listing the allowed values.
 */
function foldDisjunctions(problems: CueProblem[]): CueProblem[] {
  const out: CueProblem[] = [];
  for (let i = 0; i < problems.length; i++) {
    const p = problems[i] as CueProblem;
    const m = p.message.match(/^(\d+) errors in empty disjunction/);
    if (!m) {
      out.push(p);
      continue;
    }
    const same = (q: CueProblem | undefined) =>
      q !== undefined && q.path.join('.') === p.path.join('.') && !/errors in empty disjunction/.test(q.message);
    const branches: CueProblem[] = [];
    while (same(problems[i + 1])) branches.push(problems[++i] as CueProblem);
    const pairs = branches.map((b) =>
      b.message.replace(/ \(mismatched types [^)]*\)$/, '').match(/^conflicting values (.+?) and (.+)$/),
    );
    let message = branches.map((b) => b.message).join('; ') || p.message;
    if (pairs.length > 0 && pairs.every(Boolean)) {
      const sides = pairs.map((m) => [m![1] as string, m![2] as string]);
      const given = [sides[0]![0], sides[0]![1]].find(
        (v): v is string => v !== undefined && sides.every((pair) => pair.includes(v)),
      );
      if (given !== undefined)
        message = `${given} is not one of ${sides.map((pair) => (pair[0] === given ? pair[1] : pair[0])).join(', ')}`;
    }
    out.push({ ...p, message, positions: [...p.positions, ...branches.flatMap((b) => b.positions)] });
  }
  return out;
}

export function locateCueProblems(problems: CueProblem[], s: Subject): FerryProblem[] {
  return foldDisjunctions(problems).map((p) => {
    const defLocs = definitionLocations(p, s.def);
    const ppath = parameterPath(p.path);
    if ((p.kind === 'missing' || p.kind === 'parameter') && ppath) {
      const code: RenderErrorCode = p.kind === 'missing' ? 'MissingParameter' : 'InvalidParameter';
      const name = ppath.length > 0 ? formatPath(ppath) : 'properties';
      const wanted = p.message.match(/\((\w+)\)$/);
      const msg =
        p.kind === 'missing'
          ? `missing required parameter "${name}" of ${s.def.kind} "${s.def.name}"${wanted ? ` (${wanted[1]})` : ''}`
          : `invalid value for parameter "${name}": ${p.message}`;
      const at = subjectAt(s, [...s.path, 'properties', ...ppath]);
      return problem(code, msg, at, defLocs);
    }
    if (p.kind === 'limit')
      return problem('LimitExceeded', `the CUE ${s.def.kind} "${s.def.name}": ${p.message}`, subjectAt(s), [
        { file: s.def.file },
      ]);
    const runtime = p.message.match(RUNTIME_PACKAGE);
    if (runtime) {
      return problem(
        'Unsupported',
        `not supported by Ferry: ${s.def.kind} "${s.def.name}" imports KubeVela's runtime package "${runtime[1]}", ` +
          "which only KubeVela's controller provides",
        subjectAt(s, [...s.path, 'type']),
        defLocs.slice(0, 1),
      );
    }
    const code: RenderErrorCode =
      p.kind === 'syntax' ? 'DefinitionSyntax' : p.kind === 'definition' ? 'DefinitionInvalid' : 'DefinitionConflict';
    const where = p.path.filter((x) => x !== 'template').join('.');
    const msg = `${s.def.kind} definition "${s.def.name}"${where ? ` at ${where}` : ''}: ${p.message}`;
    const primary = defLocs[0];
    const subjectLoc = subjectAt(s);
    if (!primary) return problem(code, msg, subjectLoc);
    const at: Location = {
      ...primary,
      app: s.app,
      ...(s.component ? { component: s.component } : {}),
      ...(s.trait ? { trait: s.trait } : {}),
      ...(s.policy ? { policy: s.policy } : {}),
    };
    return problem(code, msg, at, [
      ...defLocs.slice(1),
      { file: subjectLoc.file, line: subjectLoc.line, column: subjectLoc.column },
    ]);
  });
}
