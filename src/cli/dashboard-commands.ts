/**
 * What `ferry serve`'s dashboard asks of the command line (src/gitops/controller/api.ts): the releases matrix
 * (`ferry releases -o json`) and the actions, run as the commands themselves with their output captured, so
 * an action is checked and recorded exactly as `ferry approve|promote|rollout abort|rollback|resume` would.
 */
import type { ActionRequest, ActionResult } from '../gitops/controller/api-actions.js';
import type { ApiSource } from '../gitops/controller/api.js';
import { emptyFerryConfig, type FerryConfig } from '../gitops/source/environments.js';
import type { KubeCluster } from '../kube/kube-cluster.js';
import { type CliIO, UsageError } from './io.js';
import { runApprove, runPromote, runReleases } from './promote.js';
import { type ReleaseFlags, runResume, runRollback } from './releases.js';
import { runRolloutAbort } from './rollout.js';

export interface DashboardContext {
  /** The controller's Git source (its records' scope). */
  source: string;
  /** ferry.yaml as the controller read it last (none yet: no environments, never the working directory's). */
  ferryConfig: () => FerryConfig | undefined;
  /** The controller's cluster of an environment (and of one of its placements). */
  cluster: (env: string | undefined, placement?: string) => KubeCluster;
  /** Where an environment's app objects are written (a rollback): as its tenant when it names one. */
  appCluster?: (env: string | undefined, placement?: string) => KubeCluster;
}

/** A command run with its output captured: ok when it exits 0; the message is what it printed. */
async function captured(run: (io: CliIO) => Promise<number>): Promise<ActionResult & { out: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (t) => void (out += t), err: (t) => void (err += t) };
  try {
    const code = await run(io);
    return { ok: code === 0, message: (code === 0 ? out : err || out).trim(), out };
  } catch (e) {
    const message = e instanceof UsageError ? `error: ${e.message}` : (e as Error).message;
    return { ok: false, message, out };
  }
}

export function dashboardCommands(c: DashboardContext): Pick<ApiSource, 'releases' | 'act'> {
  const flags = (env?: string): ReleaseFlags => {
    return {
      ...(env ? { env } : {}),
      source: c.source,
      ferryConfig: c.ferryConfig() ?? emptyFerryConfig(),
      cluster: c.cluster,
      ...(c.appCluster ? { appCluster: c.appCluster } : {}),
      actor: 'dashboard',
    };
  };
  return {
    async releases(app) {
      const r = await captured((io) => runReleases(app, { ...flags(), output: 'json' }, io));
      return r.ok ? { ...r, message: '', matrix: JSON.parse(r.out) } : r;
    },
    async act(a: ActionRequest) {
      const f = { ...flags(a.env), actor: a.actor };
      switch (a.action) {
        case 'approve':
          return captured((io) => runApprove(a.app, { ...f, ...(a.release ? { release: a.release } : {}) }, io));
        case 'promote':
          return captured((io) =>
            runPromote(a.app, { ...f, to: a.env, ...(a.release ? { release: a.release } : {}), force: a.force }, io),
          );
        case 'abort':
          return captured((io) => runRolloutAbort(a.app, f, io));
        case 'rollback':
          return captured((io) =>
            runRollback(a.app, { ...f, ...(a.revision !== undefined ? { to: String(a.revision) } : {}) }, io),
          );
        case 'resume':
          return captured((io) => runResume(a.app, f, io));
      }
    },
  };
}
