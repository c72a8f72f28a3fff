/**
 * The delivering stage, wave by wave (release/waves.ts): each placement in turn takes the commit (the
 * first was written by apply), runs its runtime traits there (a canary on that cluster), and, on a release
 * with several, must be healthy before the next cluster starts. A trait that aborts or a cluster that
 * fails stops the wave: the clusters after it never see the commit (record.ts rolls back the ones before).
 * A wave resumed after a restart skips the clusters that verified the commit already.
 */
import type { planApp } from '../sync/sync.js';
import type { HealthCheck } from '../health/types.js';
import { waitHealthy } from '../sync/wait.js';
import type { StageInput } from './delivery.js';
import { recordEvent } from './events.js';
import type { ReleaseLifecycle } from './lifecycle.js';
import { appCluster, type ReconcileOptions } from './options.js';
import { StepFailure } from './machine.js';
import { placementsFor, setPlacement, verifiedOn } from './placement-states.js';
import type { DeliveryResult, Release, Rendered } from './release.js';

export interface WaveDeps {
  options: ReconcileOptions;
  lifecycle: ReleaseLifecycle;
  health: (r: Release) => HealthCheck;
  stageInput: (r: Release, rendered: Rendered, revision: string, k: number) => Promise<StageInput>;
  syncPlacement: (
    r: Release,
    rendered: Rendered,
    revision: string,
    k: number,
    planned?: Awaited<ReturnType<typeof planApp>>,
  ) => Promise<string[]>;
}

export function placementWaves(d: WaveDeps) {
  const wave = async (
    r: Release,
    rendered: Rendered,
    revision: string,
    signal: AbortSignal,
    w: number,
    gated: <T>(fn: () => Promise<T>) => Promise<T>,
  ): Promise<void> => {
    const k = rendered.waves[w]!;
    const p = rendered.placements[k]!;
    const several = rendered.placements.length > 1;
    const at = several ? `[${p.cluster}] ` : '';
    const superseded = () => {
      if (signal.aborted) throw new Error(`${at}superseded by a newer commit`);
    };
    superseded();
    const done = verifiedOn(r, p.cluster, revision);
    if (w > 0) {
      // Written even where the commit runs already: a drift check that heals comes this way too.
      if (!done) {
        setPlacement(r, p.cluster, { rolling: revision });
        await d.lifecycle.persist(r);
      }
      const errors = await gated(() => {
        superseded();
        return d.syncPlacement(r, rendered, revision, k);
      });
      if (errors.length > 0) throw new StepFailure('ApplyFailed', errors.join('\n'));
    }
    if (done) return;
    if (d.options.traits.has(rendered)) {
      const result = r.delivered!;
      const running = d.options.traits.deliver(await d.stageInput(r, rendered, revision, k), signal, (key, state) =>
        d.lifecycle.reportTrait(r, key, state),
      );
      const out = await running;
      result.promoted.push(...out.promoted.map((m) => at + m));
      // The core records the outcome (record.ts); the trait that spoke is only named in the message.
      if (out.aborted) {
        result.aborted = { ...out.aborted, reason: at + out.aborted.reason };
        throw new Error(`${at}${out.aborted.trait} aborted: ${out.aborted.reason}`);
      }
    }
    if (!several) return;
    const h = await waitHealthy(appCluster(d.options, r.config, p.cluster), p.objects, {
      timeoutMs: d.options.verifyTimeoutMs ?? 120_000,
      health: d.health(r),
    });
    superseded();
    if (!h.ok) throw new StepFailure('HealthCheckFailed', h.errors.map((e) => at + e).join('\n'));
    setPlacement(r, p.cluster, { commit: revision, rolling: undefined }, revision);
    await d.lifecycle.persist(r);
    const next = rendered.waves[w + 1];
    const message =
      `commit ${revision.slice(0, 12)} verified on ${p.cluster} (wave ${w + 1} of ${rendered.waves.length})` +
      (next === undefined ? '' : `; ${rendered.placements[next]!.cluster} next`);
    d.options.log.info({ app: r.app, env: r.env, commit: revision, cluster: p.cluster }, 'wave verified');
    await recordEvent(d.options.clusterFor(r.config, 'local'), {
      app: r.app,
      env: r.env,
      namespace: rendered.namespace,
      type: 'Normal',
      reason: 'WaveVerified',
      message,
    }).catch((e) => d.options.log.warn({ err: (e as Error).message }, 'cannot record an Event'));
  };
  return {
    /** Every wave in order; the delivery's outcome is kept on the release (r.delivered) for record.ts. */
    async deliver(
      r: Release,
      rendered: Rendered,
      revision: string,
      signal: AbortSignal,
      gated: <T>(fn: () => Promise<T>) => Promise<T>,
    ): Promise<void> {
      r.delivered = { commit: revision, promoted: [] } satisfies DeliveryResult;
      placementsFor(r, rendered);
      for (let w = 0; w < rendered.waves.length; w++) await wave(r, rendered, revision, signal, w, gated);
    },
  };
}
