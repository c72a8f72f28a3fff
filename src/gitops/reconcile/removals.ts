/** Releases Git no longer declares: stopped, then pruned and recorded in the background (stop() waits for them). */
import type { Logger, Metrics } from './telemetry.js';
import { releaseKey, type Release } from './release.js';
import { removeRelease, type Removable } from './release-removal.js';
import type { ClusterFor } from './options.js';

export class Removals {
  /** The removals under way, with their app. */
  private readonly running = new Map<Promise<void>, string>();

  constructor(
    private readonly d: {
      clusterFor: ClusterFor;
      appClusterFor?: ClusterFor;
      log: Logger;
      metrics: Metrics;
      /** Stops the release's trait watches. */
      unwatch: (app: string, env: string) => void;
    },
    private readonly releases: Map<string, Release>,
    /** True once nothing more may be removed for the app: the controller stopped, or the app's shard moved. */
    private readonly stopped: (app: string) => boolean,
  ) {}

  /** A release Git no longer declares: stopped, then removed once what it was doing has settled. */
  retire(r: Release, commit: string): void {
    this.releases.delete(releaseKey(r));
    r.retired = true;
    r.actor?.stop();
    this.d.unwatch(r.app, r.env);
    this.d.metrics.forget(r.app, r.env);
    const settled = Promise.all([r.io, r.running?.catch(() => undefined)]);
    this.remove(
      {
        app: r.app,
        env: r.env,
        source: r.source,
        ...(r.config ? { config: r.config } : {}),
        ...(r.namespace ? { namespace: r.namespace } : {}),
        ...(r.rendered ? { placedOn: r.rendered.placements.map((p) => p.cluster) } : {}),
      },
      commit,
      settled,
    );
  }

  /** Prunes and records the removal in the background. */
  remove(r: Removable, commit: string, after: Promise<unknown> = Promise.resolve()): void {
    const key = releaseKey(r);
    const log = this.d.log.child({ app: r.app, env: r.env, commit });
    const work = (async () => {
      await after;
      // Stopped, or declared again by a newer commit (that release takes over).
      if (
        await removeRelease(
          {
            clusterFor: this.d.clusterFor,
            ...(this.d.appClusterFor ? { appClusterFor: this.d.appClusterFor } : {}),
            log: this.d.log,
          },
          r,
          commit,
          () => this.stopped(r.app) || this.releases.has(key),
        )
      )
        log.info({}, 'removed: no longer in Git, objects pruned');
    })()
      .catch((e: unknown) => log.error({ err: (e as Error).message }, 'recording a removal failed'))
      .finally(() => this.running.delete(work));
    this.running.set(work, r.app);
  }

  /** Resolves once the removals under way (of the apps `apps` picks: a shard's) have ended. */
  async settled(apps: (app: string) => boolean = () => true): Promise<void> {
    await Promise.all([...this.running].filter(([, app]) => apps(app)).map(([work]) => work));
  }
}
