/** Renders one component: its template, then each trait in order (outputs, patch, patchOutputs). */
import { CueBudgetExceeded, type JsonSchema } from '../cue/engine.js';
import type { Definition } from '../definitions/definition.js';
import type { DefinitionRegistry } from '../definitions/registry.js';
import { problem, type FerryProblem, type Location } from '../errors.js';
import type { Application, ComponentSpec, TraitSpec } from '../model/application.js';
import { formatPath, type SourceMap, type ValuePath } from '../model/source-map.js';
import { unknownParameters } from './unknown-parameters.js';
import { PatchDirectives } from '../patch/annotations.js';
import { applyPatch } from '../patch/apply-patch.js';
import { clone, isObject, type Json, type JsonObject } from '../patch/json.js';
import { componentContext, type RenderTarget } from './context.js';
import { finishObject, type ObjectRole } from './labels.js';
import { locateCueProblems, subjectAt, type Subject } from './locate.js';
import { describeObject, objectIdentity, objectNameProblem } from './rendered-object.js';
import type { EvaluationMemo } from './memo.js';

export interface ComponentInput {
  app: Application;
  source: SourceMap;
  comp: ComponentSpec;
  /** Where the component is written in the app file. */
  path: ValuePath;
  registry: DefinitionRegistry;
  memo: EvaluationMemo;
  target: RenderTarget;
  /**
   * `appliesToWorkloads` mismatches, unknown parameters and an object rendered twice are errors (default:
   * warnings, as KubeVela does not enforce them at render time).
   */
  strict?: boolean;
  /**
   * Indexes of the runtime traits whose parser refused their properties: those are not evaluated in CUE
   * (the parser's located problems say what the schema would).
   */
  refusedTraits?: ReadonlySet<number>;
}

export interface RenderedComponent {
  name: string;
  type: string;
  objects: JsonObject[];
}

interface Output {
  name: string;
  value: Json;
  role: ObjectRole;
  /** The index of the trait that gave it, for trait outputs. */
  trait?: number;
}

/** A finished object with what gave it: for messages ("output "service" of trait "gateway"") and locations. */
interface Emitted {
  object: JsonObject;
  what: string;
  /** The component, or the trait of a trait output. */
  by: Subject;
  file: string;
}

interface WorkingSet {
  base: Json | undefined;
  outputs: Output[];
}

/** Component types whose objects only exist in a live cluster (KubeVela's controller reads them there). */
const NEEDS_LIVE_CLUSTER: Record<string, string> = {
  'ref-objects': 'reads the objects it references from the live cluster',
};

export interface ComponentResult {
  component?: RenderedComponent;
  problems: FerryProblem[];
  warnings: FerryProblem[];
}

export function renderComponent(input: ComponentInput): ComponentResult {
  const { comp, registry, path } = input;
  const def = registry.get('component', comp.type);
  if (!def) return { problems: [unknownDefinition(input, 'component', comp.type, [...path, 'type'])], warnings: [] };
  const subject: Subject = { source: input.source, app: input.app.metadata.name, component: comp.name, path, def };
  const live = NEEDS_LIVE_CLUSTER[def.name];
  if (live)
    return {
      problems: [
        problem(
          'Unsupported',
          `not supported by Ferry: component type "${def.name}" ${live}, which a render cannot do`,
          subjectAt(subject, [...path, 'type']),
          [{ file: def.file }],
        ),
      ],
      warnings: [],
    };
  const context = componentContext(input.app, comp, input.target);
  const ev = input.memo.evaluate(def.templateId, {
    parameter: comp.properties ?? {},
    context,
    fields: ['output', 'outputs', 'errs'],
  });
  const problems = [...locateCueProblems(ev.problems, subject), ...errsProblems(ev.values.errs, subject)];
  if (problems.length === 0) problems.push(...shapeProblems(ev.values, subject));
  const warnings: FerryProblem[] = [];
  // A template stopped at its budget is not read a second time for its parameters.
  if (!ev.problems.some((p) => p.kind === 'limit')) {
    const unknown = unknownProblems(input.registry, subject, comp.properties);
    problems.push(...unknown.filter((p) => p.code === 'LimitExceeded'));
    (input.strict ? problems : warnings).push(...unknown.filter((p) => p.code !== 'LimitExceeded'));
  }
  if (problems.length > 0) return { problems, warnings };
  const work: WorkingSet = {
    base: ev.values.output as Json | undefined,
    outputs: Object.entries((ev.values.outputs ?? {}) as JsonObject).map(([name, value]) => ({
      name,
      value,
      role: { role: 'component-output', componentType: comp.type, resource: name },
    })),
  };
  const traits = comp.traits ?? [];
  traits.forEach((trait, j) => {
    problems.push(...applyTrait(input, def, trait, j, traits, context, work, warnings));
  });
  if (problems.length > 0) return { problems, warnings };
  const labelInput = {
    app: input.app,
    component: comp.name,
    appRevision: String(context.appRevision),
    namespace: input.target.namespace,
  };
  const emitted: Emitted[] = [];
  const invalid: FerryProblem[] = [];
  const emit = (value: Json | undefined, role: ObjectRole, what: string, trait?: number) => {
    const traitDef = role.role === 'trait' ? input.registry.get('trait', role.traitType) : undefined;
    const file = traitDef?.file ?? def.file;
    const by: Subject =
      trait !== undefined && traitDef && role.role === 'trait'
        ? { ...subject, trait: role.traitType, path: [...path, 'traits', trait], def: traitDef }
        : subject;
    if (value === undefined) return;
    if (!isObject(value))
      return void invalid.push(
        problem(
          'ObjectInvalid',
          `${what} is ${Array.isArray(value) ? 'a list' : `a ${value === null ? 'null' : typeof value}`}, ` +
            'not a Kubernetes object',
          subjectAt(subject),
          [{ file }],
        ),
      );
    const missing = (['apiVersion', 'kind'] as const).filter((k) => typeof value[k] !== 'string' || value[k] === '');
    if (missing.length > 0)
      return void invalid.push(
        problem(
          'ObjectInvalid',
          `${what} has no ${missing.join(' and ')}; every rendered object needs both`,
          subjectAt(subject),
          [{ file }],
        ),
      );
    const finished = finishObject(clone(value), role, labelInput);
    const bad = objectNameProblem(finished);
    if (bad)
      return void invalid.push(
        problem('ObjectInvalid', `${what} (${String(finished.kind)}): ${bad}`, subjectAt(subject), [{ file }]),
      );
    emitted.push({ object: finished, what, by, file });
  };
  emit(work.base, { role: 'workload', componentType: comp.type }, 'the workload (output)');
  for (const o of work.outputs)
    emit(
      o.value,
      o.role,
      o.role.role === 'trait' ? `output "${o.name}" of trait "${o.role.traitType}"` : `output "${o.name}"`,
      o.trait,
    );
  if (invalid.length > 0) return { problems: invalid, warnings };
  const twice = renderedTwice(emitted, comp.name, input.strict === true);
  if (input.strict && twice.problems.length > 0) return { problems: twice.problems, warnings };
  warnings.push(...twice.problems);
  return { component: { name: comp.name, type: comp.type, objects: twice.objects }, problems: [], warnings };
}

/**
 * One component rendering an object twice (a trait's output that its workload or an earlier output also
 * gives, e.g. KubeVela's gateway trait on a webservice with an exposed port): KubeVela applies both in order,
 * so the later wins. It is kept, in its place, with a warning at the later one naming both (with
 * `--strict`, an error).
 */
function renderedTwice(
  emitted: Emitted[],
  component: string,
  strict: boolean,
): { objects: JsonObject[]; problems: FerryProblem[] } {
  const kept = new Map<string, number>();
  const out: (Emitted | undefined)[] = [];
  const problems: FerryProblem[] = [];
  for (const e of emitted) {
    const key = objectIdentity(e.object);
    const earlier = kept.get(key);
    kept.set(key, out.length);
    out.push(e);
    if (earlier === undefined) continue;
    const first = out[earlier]!;
    out[earlier] = undefined;
    const outcome = strict
      ? 'the later would overwrite the earlier'
      : 'the later is kept, as KubeVela applies both in order and the later overwrites the earlier';
    problems.push(
      problem(
        'ObjectInvalid',
        `${describeObject(e.object)} is rendered twice by component "${component}", ` +
          `by ${first.what} and by ${e.what}: ${outcome}`,
        subjectAt(e.by),
        [...new Set([first.file, e.file])].map((file) => ({ file })),
      ),
    );
  }
  return { objects: out.filter((e) => e !== undefined).map((e) => e.object), problems };
}

function applyTrait(
  input: ComponentInput,
  compDef: Definition,
  trait: TraitSpec,
  j: number,
  all: TraitSpec[],
  context: Record<string, unknown>,
  work: WorkingSet,
  warnings: FerryProblem[],
): FerryProblem[] {
  const tpath: ValuePath = [...input.path, 'traits', j];
  const def = input.registry.get('trait', trait.type);
  if (!def) return [unknownDefinition(input, 'trait', trait.type, [...tpath, 'type'], trait.type)];
  const subject: Subject = {
    source: input.source,
    app: input.app.metadata.name,
    component: input.comp.name,
    trait: trait.type,
    path: tpath,
    def,
  };
  const unknown = unknownProblems(input.registry, subject, trait.properties);
  const overBudget = unknown.filter((p) => p.code === 'LimitExceeded');
  if (overBudget.length > 0) return overBudget;
  if (input.strict && unknown.length > 0) return unknown;
  if (!input.strict) warnings.push(...unknown);
  const fit = checkApplicable(def, compDef, input.comp, all, subject);
  const notApplicable = fit.filter((p) => p.code === 'TraitNotApplicable');
  if (!input.strict) warnings.push(...notApplicable);
  const blocking = input.strict ? fit : fit.filter((p) => p.code !== 'TraitNotApplicable');
  if (blocking.length > 0) return blocking;
  if (input.refusedTraits?.has(j)) return [];
  const outputsSoFar: Record<string, Json> = {};
  for (const o of work.outputs) outputsSoFar[o.name] = o.value;
  const ctx = { ...context, output: work.base ?? {}, outputs: outputsSoFar };
  const ev = input.memo.evaluate(def.templateId, {
    parameter: trait.properties ?? {},
    context: ctx,
    fields: ['outputs', 'patch', 'patchOutputs', 'errs'],
    directives: true,
  });
  const problems = [...locateCueProblems(ev.problems, subject), ...errsProblems(ev.values.errs, subject)];
  if (problems.length > 0) return problems;
  for (const [name, value] of Object.entries((ev.values.outputs ?? {}) as JsonObject)) {
    const role: ObjectRole = { role: 'trait', traitType: def.name, resource: name };
    // Outputs are keyed by their producer and name: two traits may both emit a "service".
    const existing = work.outputs.findIndex(
      (o) => o.name === name && o.role.role === 'trait' && o.role.traitType === def.name,
    );
    if (existing >= 0) work.outputs[existing] = { name, value, role, trait: j };
    else work.outputs.push({ name, value, role, trait: j });
  }
  const annotated = input.registry.annotations(def);
  // Directives come from the evaluated patch: a comment reaches its field through references and shorthand paths.
  const directives = new PatchDirectives(ev.directives?.annotations, ev.directives?.listPatterns);
  const fieldAt = (field: string[]) => {
    for (let n = field.length; n > 0; n--) {
      const hit = annotated.fields.find((f) => f.path.length === n && f.path.every((x, i) => x === field[i]));
      if (hit) return def.position(hit);
    }
    return { file: def.file };
  };
  if (ev.values.patch !== undefined) {
    const r = applyPatch((work.base ?? {}) as Json, ev.values.patch as Json, directives, ['patch']);
    problems.push(
      ...r.conflicts.map((c) =>
        patchProblem(
          operationSubject(subject, trait, c.operation),
          c.path,
          c.message,
          'the workload',
          fieldAt(c.field),
        ),
      ),
    );
    work.base = r.value;
  }
  for (const [name, patch] of Object.entries((ev.values.patchOutputs ?? {}) as JsonObject)) {
    const target = work.outputs.findLast((o) => o.name === name);
    if (!target) continue;
    const r = applyPatch(target.value, patch, directives, ['patchOutputs', name]);
    problems.push(
      ...r.conflicts.map((c) =>
        patchProblem(
          operationSubject(subject, trait, c.operation),
          c.path,
          c.message,
          `output "${name}"`,
          fieldAt(c.field),
        ),
      ),
    );
    target.value = r.value;
  }
  return problems;
}

/**
 * A failing JSON patch operation is located at `properties.operations[i]` when the trait passes its operations through.
 */
function operationSubject(s: Subject, trait: TraitSpec, operation: number | undefined): Subject {
  const ops = (trait.properties as { operations?: unknown } | undefined)?.operations;
  if (operation === undefined || !Array.isArray(ops) || operation >= ops.length) return s;
  return { ...s, path: [...s.path, 'properties', 'operations', operation] };
}

function patchProblem(s: Subject, path: string, message: string, what: string, inDefinition: Location): FerryProblem {
  return problem(
    'PatchConflict',
    `trait "${s.def.name}" cannot patch ${what}${path === '.' ? '' : ` at ${path}`}: ${message}`,
    subjectAt(s),
    [inDefinition],
  );
}

/** `appliesToWorkloads` and `conflictsWith`, as KubeVela checks them. */
function checkApplicable(
  def: Definition,
  compDef: Definition,
  comp: ComponentSpec,
  all: TraitSpec[],
  s: Subject,
): FerryProblem[] {
  const out: FerryProblem[] = [];
  const applies = def.attributes.appliesToWorkloads ?? [];
  const wl = compDef.attributes.workload?.definition;
  const kind = wl?.kind ?? '';
  const group = (wl?.apiVersion ?? '').includes('/') ? (wl?.apiVersion ?? '').split('/')[0] : '';
  const resource = kind ? `${kind.toLowerCase()}s${group ? `.${group}` : ''}` : '';
  const names = new Set(
    [comp.type, compDef.name, kind, resource, compDef.attributes.workload?.type ?? ''].filter(Boolean),
  );
  if (applies.length > 0 && !applies.includes('*') && !applies.some((a) => names.has(a))) {
    out.push(
      problem(
        'TraitNotApplicable',
        `trait "${def.name}" applies to [${applies.join(', ')}], ` +
          `not to component type "${comp.type}"${kind ? ` (${kind})` : ''}`,
        subjectAt(s, [...s.path, 'type']),
      ),
    );
  }
  const conflicts = def.attributes.conflictsWith ?? [];
  for (const other of all) {
    if (other.type !== def.name && conflicts.includes(other.type.split('@')[0] ?? other.type)) {
      out.push(
        problem(
          'TraitConflict',
          `trait "${def.name}" conflicts with trait "${other.type}" on the same component`,
          subjectAt(s, [...s.path, 'type']),
        ),
      );
    }
  }
  return out;
}

/** A component must give a workload (`output`) and its `outputs` must be a struct of objects. */
function shapeProblems(values: Record<string, unknown>, s: Subject): FerryProblem[] {
  const out: FerryProblem[] = [];
  if (values.output === undefined)
    out.push(
      problem(
        'DefinitionInvalid',
        `component definition "${s.def.name}" gives no workload: its template has no \`output\``,
        subjectAt(s, [...s.path, 'type']),
        [{ file: s.def.file }],
      ),
    );
  if (values.outputs !== undefined && !isObject(values.outputs))
    out.push(
      problem(
        'DefinitionInvalid',
        `component definition "${s.def.name}": \`outputs\` must be a struct of named objects, ` +
          `not ${Array.isArray(values.outputs) ? 'a list' : typeof values.outputs}`,
        subjectAt(s, [...s.path, 'type']),
        [{ file: s.def.file }],
      ),
    );
  return out;
}

/**
 * Properties the definition's parameters do not declare (warnings); a LimitExceeded problem (an error)
 * when reading the parameters ran out of the CUE budget.
 */
function unknownProblems(registry: DefinitionRegistry, s: Subject, properties: unknown): FerryProblem[] {
  if (!isObject(properties)) return [];
  let schema: JsonSchema;
  try {
    schema = registry.schema(s.def);
  } catch (e) {
    if (!(e instanceof CueBudgetExceeded)) throw e;
    return [
      problem(
        'LimitExceeded',
        `the CUE ${s.def.kind} "${s.def.name}": reading its parameters ${e.message}`,
        subjectAt(s),
        [{ file: s.def.file, ...(s.def.at ?? { line: 1, column: 1 }) }],
      ),
    ];
  }
  return unknownParameters(schema, properties).map((u) =>
    problem(
      'InvalidParameter',
      `unknown parameter "${formatPath(u.path)}" of ${s.def.kind} "${s.def.name}"` +
        `${u.suggestion ? `; did you mean "${u.suggestion}"?` : ''} (KubeVela ignores it)`,
      subjectAt(s, [...s.path, 'properties', ...u.path]),
      [{ file: s.def.file }],
    ),
  );
}

function errsProblems(errs: unknown, s: Subject): FerryProblem[] {
  if (!Array.isArray(errs) || errs.length === 0) return [];
  return errs.map((e) =>
    problem(
      'DefinitionErrs',
      `${s.def.kind} "${s.def.name}" reported: ${String(e)}`,
      subjectAt(s, [...s.path, 'properties']),
      [{ file: s.def.file }],
    ),
  );
}

function unknownDefinition(
  input: ComponentInput,
  kind: 'component' | 'trait',
  type: string,
  path: ValuePath,
  trait?: string,
): FerryProblem {
  const known = input.registry.names(kind);
  const near = known.filter((n) => n.startsWith(type.slice(0, 3))).slice(0, 5);
  const hint = near.length > 0 ? `; did you mean ${near.map((n) => `"${n}"`).join(', ')}?` : '';
  return problem('UnknownDefinition', `unknown ${kind} type "${type}"${hint}`, {
    file: input.source.file,
    ...input.source.locate(path),
    app: input.app.metadata.name,
    component: input.comp.name,
    ...(trait ? { trait } : {}),
  });
}
