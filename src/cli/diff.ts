import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import { normalize } from '../gitops/sync/normalize.js';
import { formatRef, type KubeObject } from '../objects/objects.js';
import { planApp } from '../gitops/sync/sync.js';
import { ClusterError } from '../ports/cluster.js';
import type { KubeCluster } from '../kube/kube-cluster.js';
import { formatProblem } from '../oam/errors.js';
import { commandLineScope } from './cli-scope.js';
import type { TraitParser } from '../oam/render/runtime-traits.js';
import { RUNTIME_TRAITS } from '../traits/registry.js';
import { EXIT_UNREACHABLE, reportWarnings, unreachable, UsageError, type CliIO } from './io.js';
import { resolveTarget, type TargetOptions } from './target.js';

export interface DiffCommand extends TargetOptions {
  prune: boolean;
  output: string;
}

const yamlOf = (o: KubeObject | undefined) =>
  o ? stringify(normalize(o), { lineWidth: 0, sortMapEntries: true }) : '';

/**
 * The server's view of a desired object (defaults filled in by a dry-run apply); the object as
 * rendered when the server cannot take it yet (its namespace or CRD comes in the same sync).
 */
async function serverView(kube: KubeCluster, desired: KubeObject): Promise<KubeObject> {
  try {
    return await kube.apply(desired, { dryRun: true, force: true });
  } catch (e) {
    if (e instanceof ClusterError && e.status === 404) return desired;
    throw e;
  }
}

/** Exit 0: no changes; 1: changes; 2: error. `runtimeTraits`: the registered ones (a test may add its own). */
export async function runDiff(
  cmd: DiffCommand,
  io: CliIO,
  runtimeTraits: readonly TraitParser[] = RUNTIME_TRAITS,
): Promise<number> {
  if (cmd.output !== 'text' && cmd.output !== 'json')
    throw new UsageError(`-o must be text or json, not "${cmd.output}"`);
  // A runtime trait's bad setting (a canary's weight 150) is refused before anything is written; the fields
  // runtime traits own are not a difference.
  const { target, problems, warnings } = await resolveTarget(cmd, runtimeTraits);
  reportWarnings(io, warnings);
  if (!target) {
    for (const p of problems) io.err(`${formatProblem(p)}\n`);
    return unreachable(problems) ? EXIT_UNREACHABLE : 2;
  }
  const report: { cluster: string; object: string; action: string; diff: string }[] = [];
  try {
    for (const p of target.placements) {
      const { plan } = await planApp({
        scope: await commandLineScope(p.kube, target.name, target.env, { migrate: false }),
        objects: p.objects,
        ownedFields: p.ownedFields,
        cluster: p.kube,
        prune: cmd.prune,
      });
      for (const item of plan.items) {
        if (item.action !== 'create' && item.action !== 'update' && item.action !== 'delete') continue;
        // The server's view of the desired object: defaults filled in by a dry-run apply.
        const after = item.action === 'delete' ? undefined : await serverView(p.kube, item.desired!);
        const name = formatRef(item.ref);
        const text = createTwoFilesPatch(
          `live/${name}`,
          `desired/${name}`,
          yamlOf(item.live),
          yamlOf(after),
          undefined,
          undefined,
          { context: 3 },
        );
        report.push({
          cluster: p.cluster,
          object: name,
          action: item.action,
          diff: text.split('\n').slice(1).join('\n'),
        });
      }
    }
  } catch (e) {
    io.err(`error: ${e instanceof ClusterError ? e.message : (e as Error).message}\n`);
    return e instanceof ClusterError && e.status === 0 ? EXIT_UNREACHABLE : 2;
  }
  if (cmd.output === 'json') io.out(`${JSON.stringify(report, null, 2)}\n`);
  else for (const r of report) io.out(`${r.diff}\n`);
  return report.length > 0 ? 1 : 0;
}
