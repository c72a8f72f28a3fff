/**
 * Structural checks of an Application that CUE templates cannot make: the OAM shape (every field of
 * the right type), Kubernetes names (RFC 1123), references between components (dependsOn: known,
 * acyclic), policy and workflow-step names. Every problem carries its place in the file.
 */
import { problem, type FerryProblem } from '../errors.js';
import { formatPath, type SourceMap, type ValuePath } from './source-map.js';

export const APP_API_VERSION = 'core.oam.dev/v1beta1';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `name` is not an RFC 1123 label (at most 63 characters), or undefined when it is one. */
export function labelNameProblem(name: string): string | undefined {
  if (name.length > 63) return `is ${name.length} characters long; at most 63 are allowed (RFC 1123 label)`;
  if (!LABEL.test(name))
    return (
      'must consist of lowercase letters, digits and "-", ' +
      'and start and end with a letter or digit (RFC 1123 label)'
    );
  return undefined;
}

/** Why `name` is not an RFC 1123 subdomain (at most 253 characters), or undefined when it is one. */
export function subdomainNameProblem(name: string): string | undefined {
  if (name.length > 253) return `is ${name.length} characters long; at most 253 are allowed (RFC 1123 subdomain)`;
  if (!SUBDOMAIN.test(name))
    return (
      'must consist of lowercase letters, digits, "-" and ".", ' +
      'and start and end with a letter or digit (RFC 1123 subdomain)'
    );
  return undefined;
}

class Checker {
  readonly out: FerryProblem[] = [];
  constructor(
    private readonly source: SourceMap,
    private readonly who: Record<string, string>,
  ) {}

  at(path: ValuePath, extra: Record<string, string> = {}) {
    return { file: this.source.file, ...this.source.locate(path), path: formatPath(path), ...this.who, ...extra };
  }

  fail(path: ValuePath, message: string, extra?: Record<string, string>): void {
    this.out.push(problem('InvalidApplication', message, this.at(path, extra)));
  }

  /** A value that must be a mapping when present. */
  mapping(v: unknown, path: ValuePath, what: string, extra?: Record<string, string>): v is Record<string, unknown> {
    if (v === undefined) return false;
    if (isRecord(v)) return true;
    this.fail(path, `${what} must be a mapping, not ${describe(v)}`, extra);
    return false;
  }

  list(v: unknown, path: ValuePath, what: string, extra?: Record<string, string>): v is unknown[] {
    if (v === undefined) return false;
    if (Array.isArray(v)) return true;
    this.fail(path, `${what} must be a list, not ${describe(v)}`, extra);
    return false;
  }

  name(v: unknown, path: ValuePath, what: string, extra?: Record<string, string>): v is string {
    if (typeof v !== 'string' || v === '') {
      this.fail(
        path,
        `${what} is required and must be a string${v === undefined || v === '' ? '' : `, not ${describe(v)}`}`,
        extra,
      );
      return false;
    }
    const bad = labelNameProblem(v);
    if (bad) this.fail(path, `${what} "${v}" ${bad}`, extra);
    return !bad;
  }

  stringMap(v: unknown, path: ValuePath, what: string): void {
    if (!this.mapping(v, path, what)) return;
    for (const [k, val] of Object.entries(v))
      if (typeof val !== 'string')
        this.fail([...path, k], `${what} values must be strings; "${k}" is ${describe(val)} (quote it)`);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (isRecord(v)) return 'a mapping';
  return `${typeof v === 'string' ? 'the string' : `the ${typeof v}`} ${JSON.stringify(v).slice(0, 40)}`;
}

export function checkApplication(app: Record<string, unknown>, source: SourceMap): FerryProblem[] {
  const meta = app.metadata;
  const appName = isRecord(meta) && typeof meta.name === 'string' ? meta.name : '';
  const c = new Checker(source, appName ? { app: appName } : {});
  if (app.apiVersion !== APP_API_VERSION)
    c.fail(
      ['apiVersion'],
      `apiVersion must be ${APP_API_VERSION} for kind Application, ` +
        `not ${app.apiVersion === undefined ? 'missing' : JSON.stringify(app.apiVersion)}`,
    );
  if (!isRecord(meta))
    c.fail(
      ['metadata'],
      meta === undefined ? 'metadata.name is required' : `metadata must be a mapping, not ${describe(meta)}`,
    );
  else {
    c.name(meta.name, ['metadata', 'name'], 'metadata.name');
    if (meta.namespace !== undefined) c.name(meta.namespace, ['metadata', 'namespace'], 'metadata.namespace');
    c.stringMap(meta.labels, ['metadata', 'labels'], 'metadata.labels');
    c.stringMap(meta.annotations, ['metadata', 'annotations'], 'metadata.annotations');
  }
  const spec = app.spec;
  if (!isRecord(spec)) {
    c.fail(
      ['spec'],
      spec === undefined ? 'spec.components is required' : `spec must be a mapping, not ${describe(spec)}`,
    );
    return c.out;
  }
  if (!Array.isArray(spec.components)) {
    c.fail(
      ['spec', 'components'],
      spec.components === undefined
        ? 'spec.components is required'
        : `spec.components must be a list, not ${describe(spec.components)}`,
    );
  } else if (spec.components.length === 0) {
    c.fail(['spec', 'components'], 'spec.components is empty; an Application needs at least one component');
  } else {
    checkComponents(c, spec.components, source);
  }
  checkPolicies(c, spec.policies);
  checkWorkflow(c, spec.workflow, spec.policies);
  return c.out;
}

function checkComponents(c: Checker, components: unknown[], source: SourceMap): void {
  const first = new Map<string, number>();
  components.forEach((comp, i) => {
    const base: ValuePath = ['spec', 'components', i];
    if (!isRecord(comp)) return c.fail(base, `a component must be a mapping, not ${describe(comp)}`);
    const name = typeof comp.name === 'string' ? comp.name : '';
    const who: Record<string, string> = name ? { component: name } : {};
    c.name(comp.name, [...base, ...(comp.name === undefined ? [] : ['name'])], 'component name', who);
    if (typeof comp.type !== 'string' || comp.type === '')
      c.fail(
        [...base, ...(comp.type === undefined ? [] : ['type'])],
        'component type is required and must be a string' +
          (comp.type === undefined ? '' : `, not ${describe(comp.type)}`),
        who,
      );
    c.mapping(comp.properties, [...base, 'properties'], 'properties', who);
    if (name && first.has(name))
      c.out.push(
        problem(
          'DuplicateComponent',
          `duplicate component name "${name}" ` +
            `(first defined at line ${source.locate(['spec', 'components', first.get(name)!]).line})`,
          c.at(base, who),
        ),
      );
    else if (name) first.set(name, i);
    if (c.list(comp.traits, [...base, 'traits'], 'traits', who)) {
      comp.traits.forEach((t, j) => {
        const tp: ValuePath = [...base, 'traits', j];
        if (!isRecord(t)) return c.fail(tp, `a trait must be a mapping with a type, not ${describe(t)}`, who);
        if (typeof t.type !== 'string' || t.type === '')
          return c.fail(tp, 'trait type is required and must be a string', who);
        c.mapping(t.properties, [...tp, 'properties'], 'properties', { ...who, trait: t.type });
      });
    }
    if (c.list(comp.dependsOn, [...base, 'dependsOn'], 'dependsOn (a list of component names)', who)) {
      comp.dependsOn.forEach((d, j) => {
        if (typeof d !== 'string')
          c.fail([...base, 'dependsOn', j], `dependsOn entries must be component names, not ${describe(d)}`, who);
      });
    }
    for (const key of ['inputs', 'outputs'] as const) {
      if (c.list(comp[key], [...base, key], key, who))
        comp[key].forEach((x, j) => c.mapping(x, [...base, key, j], `${key} entries`, who));
    }
  });
  checkDependsOn(c, components);
}

/** dependsOn names must exist, not be the component itself, and not form a cycle. */
function checkDependsOn(c: Checker, components: unknown[]): void {
  const deps = new Map<string, { i: number; on: string[] }>();
  components.forEach((comp, i) => {
    if (isRecord(comp) && typeof comp.name === 'string')
      deps.set(comp.name, {
        i,
        on: Array.isArray(comp.dependsOn) ? comp.dependsOn.filter((d): d is string => typeof d === 'string') : [],
      });
  });
  for (const [name, { i, on }] of deps) {
    on.forEach((d) => {
      const j = (components[i] as { dependsOn: unknown[] }).dependsOn.indexOf(d);
      const path: ValuePath = ['spec', 'components', i, 'dependsOn', j];
      if (d === name) c.fail(path, `component "${name}" depends on itself`, { component: name });
      else if (!deps.has(d))
        c.fail(
          path,
          `component "${name}" depends on "${d}", which is not a component of this app${
            deps.size > 1
              ? ` (components: ${[...deps.keys()]
                  .filter((k) => k !== name)
                  .map((k) => `"${k}"`)
                  .join(', ')})`
              : ''
          }`,
          { component: name },
        );
    });
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const reported = new Set<string>();
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      const key = [...cycle].sort().join(',');
      if (!reported.has(key) && cycle.length > 2) {
        reported.add(key);
        const at = deps.get(cycle[0]!)!;
        c.fail(['spec', 'components', at.i, 'dependsOn'], `dependsOn forms a cycle: ${cycle.join(' → ')}`, {
          component: cycle[0]!,
        });
      }
      return;
    }
    state.set(name, 'visiting');
    for (const d of deps.get(name)?.on ?? []) if (deps.has(d) && d !== name) visit(d, [...trail, name]);
    state.set(name, 'done');
  };
  for (const name of deps.keys()) visit(name, []);
}

function checkPolicies(c: Checker, policies: unknown): void {
  if (!c.list(policies, ['spec', 'policies'], 'spec.policies')) return;
  const seen = new Set<string>();
  policies.forEach((p, i) => {
    const pp: ValuePath = ['spec', 'policies', i];
    if (!isRecord(p)) return c.fail(pp, `a policy must be a mapping with a name and a type, not ${describe(p)}`);
    if (typeof p.name !== 'string' || p.name === '') return c.fail(pp, 'a policy needs a name and a type');
    const who = { policy: p.name };
    if (typeof p.type !== 'string' || p.type === '') return c.fail(pp, 'a policy needs a name and a type', who);
    if (seen.has(p.name)) c.fail([...pp, 'name'], `policy name "${p.name}" is used twice`, who);
    seen.add(p.name);
    if (!c.mapping(p.properties, [...pp, 'properties'], 'properties', who)) return;
    const props = p.properties;
    if (p.type === 'topology') c.list(props.clusters, [...pp, 'properties', 'clusters'], 'clusters', who);
    if (p.type === 'override' && c.list(props.components, [...pp, 'properties', 'components'], 'components', who)) {
      props.components.forEach((oc, j) => {
        const op: ValuePath = [...pp, 'properties', 'components', j];
        if (!c.mapping(oc, op, 'an override component', who) && !isRecord(oc)) return;
        const o = oc as Record<string, unknown>;
        c.mapping(o.properties, [...op, 'properties'], 'properties', who);
        if (c.list(o.traits, [...op, 'traits'], 'traits', who)) {
          o.traits.forEach((t, k) => {
            if (!isRecord(t) || typeof t.type !== 'string')
              c.fail([...op, 'traits', k], 'an override trait must be a mapping with a type', who);
          });
        }
      });
    }
  });
}

const MODES = ['StepByStep', 'DAG'];

function checkWorkflow(c: Checker, workflow: unknown, policies: unknown): void {
  if (workflow === undefined) return;
  if (!c.mapping(workflow, ['spec', 'workflow'], 'spec.workflow')) return;
  if (c.mapping(workflow.mode, ['spec', 'workflow', 'mode'], 'workflow mode')) {
    for (const k of ['steps', 'subSteps'] as const) {
      const m = workflow.mode[k];
      if (m !== undefined && !MODES.includes(m as string))
        c.fail(['spec', 'workflow', 'mode', k], `workflow mode.${k} must be StepByStep or DAG, not ${describe(m)}`);
    }
  }
  const policyNames = new Set(Array.isArray(policies) ? policies.filter(isRecord).map((p) => p.name) : []);
  const seen = new Set<string>();
  const steps = (list: unknown, path: ValuePath): void => {
    if (!c.list(list, path, 'workflow steps')) return;
    list.forEach((s, i) => {
      const sp: ValuePath = [...path, i];
      if (!isRecord(s))
        return c.fail(sp, `a workflow step must be a mapping with a name and a type, not ${describe(s)}`);
      if (typeof s.name !== 'string' || s.name === '') return c.fail(sp, 'a workflow step needs a name');
      if (typeof s.type !== 'string' || s.type === '') return c.fail(sp, `workflow step "${s.name}" needs a type`);
      if (seen.has(s.name)) c.fail([...sp, 'name'], `workflow step name "${s.name}" is used twice`);
      seen.add(s.name);
      if (!c.mapping(s.properties, [...sp, 'properties'], 'properties')) {
        if (s.subSteps !== undefined) steps(s.subSteps, [...sp, 'subSteps']);
        return;
      }
      if (s.type === 'deploy' && s.properties.policies !== undefined) {
        const pol = s.properties.policies;
        if (c.list(pol, [...sp, 'properties', 'policies'], 'deploy policies (a list of policy names)')) {
          pol.forEach((n, j) => {
            if (typeof n !== 'string')
              c.fail([...sp, 'properties', 'policies', j], `deploy policies must be policy names, not ${describe(n)}`);
            else if (!policyNames.has(n))
              c.fail([...sp, 'properties', 'policies', j], `deploy step "${s.name}" names unknown policy "${n}"`);
          });
        }
      }
      if (s.subSteps !== undefined) steps(s.subSteps, [...sp, 'subSteps']);
    });
  };
  if (workflow.steps !== undefined) steps(workflow.steps, ['spec', 'workflow', 'steps']);
}
