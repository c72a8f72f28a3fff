/**
 * Resolves an environment name to placements and override policies, with
 * KubeVela's rules: a `deploy` workflow step names its policies; without a
 * workflow, each topology policy is deployed with every override policy.
 */
import { problem, type FerryProblem, type Result, fail, ok } from '../errors.js';
import type { Application, PolicySpec, WorkflowStepSpec } from '../model/application.js';
import type { SourceMap } from '../model/source-map.js';
import { parseDurationMs } from '../../util/duration.js';

export interface Placement {
  cluster: string;
  namespace?: string;
}

export interface Environment {
  name: string;
  placements: Placement[];
  overrides: PolicySpec[];
}

function deploySteps(app: Application): WorkflowStepSpec[] {
  const steps = app.spec.workflow?.steps ?? [];
  return steps.flatMap((s) => (s.type === 'step-group' ? (s.subSteps ?? []) : [s])).filter((s) => s.type === 'deploy');
}

/** Where a deploy step sits in the app's workflow: the step before it (its environment) and its approval gate. */
export interface DeployStage {
  env: string;
  /** The deploy step whose environment runs a revision before this one (none: the first). */
  after?: string;
  /** `auto: false` on the step, or a `suspend` step before it: the revision waits for an approval. */
  approval: boolean;
  /** A `suspend` step with a `duration` before it: KubeVela resumes by itself after it (a soak upstream), ms. */
  soakMs?: number;
}

/**
 * KubeVela's promotion: the workflow's steps run in order, a revision reaches a deploy step once the steps
 * before it succeeded, and `auto: false` (or a `suspend` step) before a deploy step waits for approval. The
 * sub-steps of a step group run together: each comes after the deploy step before the group.
 */
export function deployStages(app: Application): DeployStage[] {
  const stages: DeployStage[] = [];
  // mode DAG: every step at once (no order between the deploy steps).
  const ordered = app.spec.workflow?.mode?.steps !== 'DAG';
  let previous: string | undefined;
  let suspended = false;
  let soakMs = 0;
  for (const step of app.spec.workflow?.steps ?? []) {
    if (step.type === 'suspend') {
      const duration = (step.properties as { duration?: unknown } | undefined)?.duration;
      const ms = typeof duration === 'string' ? parseDurationMs(duration) : undefined;
      if (ms === undefined) suspended = true;
      else soakMs += ms;
      continue;
    }
    const deploys = (step.type === 'step-group' ? (step.subSteps ?? []) : [step]).filter((s) => s.type === 'deploy');
    if (deploys.length === 0) continue;
    for (const d of deploys)
      stages.push({
        env: d.name,
        ...(ordered && previous !== undefined ? { after: previous } : {}),
        approval: ordered && (suspended || (d.properties as { auto?: unknown } | undefined)?.auto === false),
        ...(ordered && soakMs > 0 ? { soakMs } : {}),
      });
    previous = deploys[0]!.name;
    suspended = false;
    soakMs = 0;
  }
  return stages;
}

function placementsOf(policy: PolicySpec): Placement[] {
  const props = (policy.properties ?? {}) as {
    clusters?: string[];
    namespace?: string;
    clusterLabelSelector?: Record<string, string>;
    clusterSelector?: Record<string, string>;
  };
  const clusters = props.clusters && props.clusters.length > 0 ? props.clusters : ['local'];
  const seen = new Set<string>();
  const out: Placement[] = [];
  for (const cluster of clusters) {
    const key = `${cluster}/${props.namespace ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ cluster, ...(props.namespace ? { namespace: props.namespace } : {}) });
  }
  return out;
}

/** The environments an app declares: its deploy steps, else its topology policies. */
export function listEnvironments(app: Application): string[] {
  const steps = deploySteps(app);
  if (steps.length > 0) return steps.map((s) => s.name);
  return (app.spec.policies ?? []).filter((p) => p.type === 'topology').map((p) => p.name);
}

export function resolveEnvironment(app: Application, source: SourceMap, name: string): Result<Environment> {
  const policies = app.spec.policies ?? [];
  const byName = new Map(policies.map((p) => [p.name, p]));
  const problems: FerryProblem[] = [];
  const step =
    deploySteps(app).find((s) => s.name === name) ??
    deploySteps(app).find(
      (s) =>
        ((s.properties?.policies as string[] | undefined) ?? []).includes(name) &&
        byName.get(name)?.type === 'topology',
    );
  let chosen: PolicySpec[];
  if (step) {
    const names = (step.properties?.policies as string[] | undefined) ?? [];
    chosen = [];
    for (const n of names) {
      const p = byName.get(n);
      if (!p)
        problems.push(
          problem('PolicyInvalid', `deploy step "${step.name}" names unknown policy "${n}"`, {
            file: source.file,
            ...source.locate(['spec', 'workflow']),
            app: app.metadata.name,
          }),
        );
      else chosen.push(p);
    }
  } else {
    const topo = byName.get(name);
    if (!topo || topo.type !== 'topology' || deploySteps(app).length > 0) {
      const known = listEnvironments(app);
      return fail([
        problem(
          'PolicyInvalid',
          `unknown environment "${name}"` +
            (known.length > 0
              ? `; this app has ${known.map((k) => `"${k}"`).join(', ')}`
              : '; this app declares no topology policy or deploy step'),
          { file: source.file, line: 1, column: 1, app: app.metadata.name },
        ),
      ]);
    }
    chosen = [topo, ...policies.filter((p) => p.type === 'override')];
  }
  if (problems.length > 0) return fail(problems);
  const topologies = chosen.filter((p) => p.type === 'topology');
  const placements = topologies.length > 0 ? topologies.flatMap(placementsOf) : [{ cluster: 'local' }];
  return ok({ name, placements, overrides: chosen.filter((p) => p.type === 'override') });
}

/**
 * The override policies a render without an environment applies, as KubeVela's
 * default workflow (and `vela dry-run`) does: with no deploy step, every
 * override policy (KubeVela deploys each topology with all of them); with
 * deploy steps that all name the same override policies, those. Deploy steps
 * that name different overrides are distinct environments: none is chosen.
 */
export function defaultOverrides(app: Application): PolicySpec[] {
  const policies = app.spec.policies ?? [];
  const overrides = policies.filter((p) => p.type === 'override');
  const steps = deploySteps(app);
  if (steps.length === 0) return overrides;
  const named = steps.map((s) => {
    const names = Array.isArray(s.properties?.policies) ? (s.properties.policies as unknown[]) : [];
    return overrides.filter((o) => names.includes(o.name));
  });
  const first = named[0] ?? [];
  return named.every((n) => n.length === first.length && n.every((o, i) => o === first[i])) ? first : [];
}
