import { definitionHealth } from '../gitops/health/definition-health.js';
import { formatRef } from '../objects/objects.js';
import { watchDrift } from '../gitops/sync/self-heal.js';
import { syncApp, type ItemResult } from '../gitops/sync/sync.js';
import { commandLineScope } from './cli-scope.js';
import type { TraitParser } from '../oam/render/runtime-traits.js';
import { RUNTIME_TRAITS } from '../traits/registry.js';
import { parseDuration } from './duration.js';
import { EXIT_INVALID, EXIT_OK, reportProblems, reportWarnings, type CliIO } from './io.js';
import { resolveTarget, type TargetOptions } from './target.js';

export interface ApplyCommand extends TargetOptions {
  prune: boolean;
  wait: boolean;
  timeout: string;
  adopt: boolean;
  force: boolean;
  allowEmpty: boolean;
  /** With self-heal: after the sync, keep checking for drift every interval and correct it. */
  selfHeal?: string;
}

/** One line per object: the action, the object, and why for those not applied. */
function itemLine(i: ItemResult): string {
  const detail = i.action === 'failed' ? i.message.replace(`${formatRef(i.ref)}: `, '') : i.message;
  const why = i.action === 'foreign' || i.action === 'keep' || i.action === 'failed' ? `: ${detail}` : '';
  return `${i.action.padEnd(10)} ${formatRef(i.ref)}${why}`;
}

/** `runtimeTraits`: the registered ones (a test may add its own). */
export async function runApply(
  cmd: ApplyCommand,
  io: CliIO,
  runtimeTraits: readonly TraitParser[] = RUNTIME_TRAITS,
): Promise<number> {
  const timeoutMs = parseDuration(cmd.timeout);
  // A runtime trait's bad setting (a canary's weight 150) is refused before anything is written; the fields
  // runtime traits own are left to them.
  const { target, problems, warnings } = await resolveTarget(cmd, runtimeTraits);
  reportWarnings(io, warnings);
  if (!target) return reportProblems(io, problems);
  let failed = false;
  // The command line's records: ferry-inventory.cli.<app>.<env> and its sync lock (cli-scope.ts).
  const scopes = new Map<string, Awaited<ReturnType<typeof commandLineScope>>>();
  for (const p of target.placements) {
    const scope = await commandLineScope(p.kube, target.name, target.env, { migrate: true });
    scopes.set(p.cluster, scope);
    const r = await syncApp({
      scope,
      objects: p.objects,
      ownedFields: p.ownedFields,
      components: target.components,
      cluster: p.kube,
      prune: cmd.prune,
      wait: cmd.wait,
      timeoutMs,
      adopt: cmd.adopt,
      force: cmd.force,
      allowEmpty: cmd.allowEmpty,
      health: definitionHealth(target.registry, target.components, target.name),
    });
    const where = target.placements.length > 1 ? `[${p.cluster}] ` : '';
    for (const i of r.items) io.out(`${where}${itemLine(i)}\n`);
    for (const e of r.errors) io.err(`${where}error: ${e}\n`);
    const requests = `${r.writes} write request${r.writes === 1 ? '' : 's'}`;
    io.out(`${where}${r.ok ? 'synced' : `sync failed (${r.phase})`}: ${target.name}/${target.env}, ${requests}\n`);
    failed ||= !r.ok;
  }
  if (cmd.selfHeal && !failed) {
    const intervalMs = parseDuration(cmd.selfHeal);
    const stop = new AbortController();
    const end = () => stop.abort();
    process.once('SIGTERM', end);
    process.once('SIGINT', end);
    io.out(`watching for drift every ${cmd.selfHeal}; SIGTERM or Ctrl-C stops\n`);
    await Promise.all(
      target.placements.map((p) =>
        watchDrift({
          scope: scopes.get(p.cluster)!,
          objects: p.objects,
          ownedFields: p.ownedFields,
          components: target.components,
          cluster: p.kube,
          intervalMs,
          heal: true,
          signal: stop.signal,
          onReport: (r) => {
            const healed = r.healed
              ? r.healed.ok
                ? ' (healed)'
                : ` (heal failed: ${r.healed.errors.join('; ')})`
              : '';
            for (const d of r.drifted)
              io.out(`${r.at.toISOString()} drift ${d.object}: ${d.paths.join(', ')}${healed}\n`);
          },
        }),
      ),
    );
  }
  return failed ? EXIT_INVALID : EXIT_OK;
}
