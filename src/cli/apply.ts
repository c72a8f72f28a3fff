import { definitionHealth } from '../gitops/health/definition-health.js';
import { formatRef } from '../objects/objects.js';
import { watchDrift } from '../gitops/sync/self-heal.js';
import { syncApp } from '../gitops/sync/sync.js';
import { RUNTIME_TRAITS } from '../traits/registry.js';
import { parseDuration } from './duration.js';
import { EXIT_INVALID, EXIT_OK, reportProblems, type CliIO } from './io.js';
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

export async function runApply(cmd: ApplyCommand, io: CliIO): Promise<number> {
  const timeoutMs = parseDuration(cmd.timeout);
  // A runtime trait's bad setting (a canary's weight 150) is refused before anything is written.
  const { target, problems } = await resolveTarget(cmd, RUNTIME_TRAITS);
  if (!target) return reportProblems(io, problems);
  let failed = false;
  for (const p of target.placements) {
    const r = await syncApp({
      scope: { app: target.name, env: target.env },
      objects: p.objects,
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
    for (const i of r.items) {
      const detail = i.action === 'failed' ? i.message.replace(`${formatRef(i.ref)}: `, '') : i.message;
      io.out(
        `${where}${i.action.padEnd(10)} ${formatRef(i.ref)}${i.action === 'foreign' || i.action === 'keep' || i.action === 'failed' ? `: ${detail}` : ''}\n`,
      );
    }
    for (const e of r.errors) io.err(`${where}error: ${e}\n`);
    io.out(
      `${where}${r.ok ? 'synced' : `sync failed (${r.phase})`}: ${target.name}/${target.env}, ${r.writes} write request${r.writes === 1 ? '' : 's'}\n`,
    );
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
          scope: { app: target.name, env: target.env },
          objects: p.objects,
          components: target.components,
          cluster: p.kube,
          intervalMs,
          heal: true,
          signal: stop.signal,
          onReport: (r) => {
            for (const d of r.drifted)
              io.out(
                `${r.at.toISOString()} drift ${d.object}: ${d.paths.join(', ')}${r.healed ? (r.healed.ok ? ' (healed)' : ` (heal failed: ${r.healed.errors.join('; ')})`) : ''}\n`,
              );
          },
        }),
      ),
    );
  }
  return failed ? EXIT_INVALID : EXIT_OK;
}
