import { definitionHealth } from '../gitops/health/definition-health.js';
import { formatRef } from '../objects/objects.js';
import { planApp } from '../gitops/sync/sync.js';
import type { TraitParser } from '../oam/render/runtime-traits.js';
import { RUNTIME_TRAITS } from '../traits/registry.js';
import { commandLineScope } from './cli-scope.js';
import { EXIT_OK, formatTable, reportProblems, UsageError, type CliIO } from './io.js';
import { resolveTarget, type TargetOptions } from './target.js';

export interface StatusCommand extends TargetOptions {
  output: string;
}

const SYNC: Record<string, string> = {
  unchanged: 'Synced',
  update: 'OutOfSync',
  create: 'Missing',
  foreign: 'NotOwned',
  delete: 'Orphaned',
  keep: 'Kept',
};

/** `runtimeTraits`: the registered ones (a test may add its own): the fields they own are never OutOfSync. */
export async function runStatus(
  cmd: StatusCommand,
  io: CliIO,
  runtimeTraits: readonly TraitParser[] = RUNTIME_TRAITS,
): Promise<number> {
  if (cmd.output !== 'table' && cmd.output !== 'json')
    throw new UsageError(`-o must be table or json, not "${cmd.output}"`);
  const { target, problems } = await resolveTarget(cmd, runtimeTraits);
  if (!target) return reportProblems(io, problems);
  const check = definitionHealth(target.registry, target.components, target.name);
  const rows: { cluster: string; object: string; sync: string; health: string; message: string }[] = [];
  for (const p of target.placements) {
    const { plan } = await planApp({
      scope: await commandLineScope(p.kube, target.name, target.env, { migrate: false }),
      objects: p.objects,
      ownedFields: p.ownedFields,
      cluster: p.kube,
      prune: true,
    });
    for (const item of plan.items) {
      const h = item.desired ? check(item.live, item.desired) : { status: '-', reason: '', message: '' };
      rows.push({
        cluster: p.cluster,
        object: formatRef(item.ref),
        sync: SYNC[item.action] ?? item.action,
        health: h.status,
        message: h.message || h.reason || item.reason,
      });
    }
  }
  if (cmd.output === 'json') {
    io.out(`${JSON.stringify({ app: target.name, env: target.env, objects: rows }, null, 2)}\n`);
  } else {
    const table = [
      ['OBJECT', 'SYNC', 'HEALTH', 'MESSAGE'],
      ...rows.map((r) => [
        `${target.placements.length > 1 ? `${r.cluster}: ` : ''}${r.object}`,
        r.sync,
        r.health,
        r.message,
      ]),
    ];
    io.out(formatTable(table));
  }
  return EXIT_OK;
}
