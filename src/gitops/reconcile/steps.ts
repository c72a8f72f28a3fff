/**
 * The reconcile machine's steps wired to the engine: fetch (the spec, holds), render, plan (and drift
 * checks), apply (sync every placement), deliver (the pluggable stage: canary), verify (health).
 * Render, plan and apply share a concurrency gate.
 */
import { fromPromise } from 'xstate';
import { definitionHealth } from '../health/definition-health.js';
import type { ReleaseLifecycle } from './lifecycle.js';
import { reportDrift } from './record.js';
import type { Release, Rendered } from './release.js';
import { driftOf } from '../sync/drift.js';
import { formatRef } from '../../objects/objects.js';
import { planApp, syncApp } from '../sync/sync.js';
import { waitHealthy } from '../sync/wait.js';
import { appCluster, type ReconcileOptions } from './options.js';
import type { PlanOutput, StepInput } from './machine.js';
import type { Semaphore } from '../../util/semaphore.js';
import { placementsFor, setPlacement, verifiedOn } from './placement-states.js';
import { placementWaves } from './wave-delivery.js';

export interface StepDeps {
  options: ReconcileOptions;
  releases: Map<string, Release>;
  gate: Semaphore;
  lifecycle: ReleaseLifecycle;
}

export function reconcileSteps(d: StepDeps) {
  const step = (fn: (r: Release, i: StepInput) => Promise<unknown>, gated = true) =>
    fromPromise<unknown, StepInput>(({ input }) => {
      const r = d.releases.get(`${input.app}/${input.env}`);
      if (!r) return Promise.reject(new Error(`${input.app}/${input.env} is no longer reconciled here`));
      // `running` is the step while it runs (not while it waits for the gate): a hand-over waits for that alone.
      const current = () => {
        if (d.releases.get(`${r.app}/${r.env}`) !== r)
          return Promise.reject(new Error(`${r.app}/${r.env} was removed`));
        const running = fn(r, input);
        r.running = running;
        return running;
      };
      return gated ? d.gate.run(current) : current();
    });
  const health = (r: Release) => definitionHealth(r.rendered!.registry, r.rendered!.app.app.spec.components, r.app);
  const stageInput = (r: Release, rendered: Rendered, revision: string, k: number) =>
    d.lifecycle.stageInput(r, rendered, revision, k);
  const delivers = (rendered: Rendered, revision: string | undefined): revision is string =>
    revision !== undefined && d.options.traits.has(rendered);
  /**
   * The objects apply writes: with the runtime traits' hold-back (a canary keeps the stable template), except
   * on a cluster that verified this commit already (a wave retried or resumed: it keeps what it runs).
   */
  const desired = async (r: Release, rendered: Rendered, revision: string | undefined, k: number) =>
    delivers(rendered, revision) && !verifiedOn(r, rendered.placements[k]!.cluster, revision)
      ? d.options.traits.holdBack(await stageInput(r, rendered, revision, k))
      : rendered.placements[k]!.objects;
  const multi = (rendered: Rendered) => rendered.placements.length > 1;
  /** Syncs placement `k` (prune on; Git's fields forced); logs what it wrote and returns its errors. */
  const syncPlacement = async (
    r: Release,
    rendered: Rendered,
    revision: string | undefined,
    k: number,
    planned?: Awaited<ReturnType<typeof planApp>>,
  ): Promise<string[]> => {
    const p = rendered.placements[k]!;
    // force: Git owns the fields it declares, even when a hand edit took them over (as Flux and Argo CD's
    // server-side apply do).
    const res = await syncApp({
      scope: r,
      objects: await desired(r, rendered, revision, k),
      ownedFields: p.ownedFields,
      components: rendered.app.app.spec.components,
      cluster: appCluster(d.options, r.config, p.cluster),
      records: d.options.clusterFor(r.config, p.cluster),
      prune: true,
      force: true,
      health: health(r),
      ...(planned ? { planned } : {}),
    });
    const writes = res.items.filter(
      (x) => x.action === 'created' || x.action === 'configured' || x.action === 'deleted',
    );
    d.options.log.info(
      {
        app: r.app,
        env: r.env,
        commit: revision,
        cluster: p.cluster,
        ok: res.ok,
        writes: res.writes,
        changed: writes.map((w) => `${w.action} ${formatRef(w.ref)}`).slice(0, 20),
      },
      'applied',
    );
    return res.errors.map((e) => (multi(rendered) ? `[${p.cluster}] ${e}` : e));
  };
  const waves = placementWaves({
    options: d.options,
    lifecycle: d.lifecycle,
    health,
    stageInput,
    syncPlacement,
  });
  return {
    fetch: step(async (r, i) => {
      d.lifecycle.specOf(r, i.revision);
      await d.lifecycle.checkHold(r);
      return undefined;
    }, false),
    render: step(async (r, i) => {
      r.rendered = undefined;
      await d.lifecycle.prepare(r, i.revision);
      return undefined;
    }),
    plan: step(async (r, i): Promise<PlanOutput> => {
      const check = (i.work as { check?: boolean } | undefined)?.check === true;
      // A drift check of a revision a newer commit has replaced: that commit is applied next.
      if (check && (i.revision === undefined || !r.sameSpec.has(i.revision))) return { changes: 0 };
      const rendered = await d.lifecycle.prepare(r, i.revision);
      r.planned = undefined;
      const plans: Awaited<ReturnType<typeof planApp>>[] = [];
      const drift: string[] = [];
      for (const [k, p] of rendered.placements.entries()) {
        const planned = await planApp({
          scope: r,
          objects: await desired(r, rendered, i.revision, k),
          ownedFields: p.ownedFields,
          cluster: appCluster(d.options, r.config, p.cluster),
          records: d.options.clusterFor(r.config, p.cluster),
          prune: true,
        });
        if (planned.plan.refused) throw new Error(planned.plan.refused);
        plans.push(planned);
        drift.push(...driftOf(planned.plan, rendered.placements.length > 1 ? p.cluster : undefined));
      }
      r.planned = { commit: rendered.commit, plans };
      if (!check) return { changes: drift.length };
      return reportDrift(d, r, rendered, drift);
    }),
    apply: step(async (r, i) => {
      const rendered = await d.lifecycle.prepare(r, i.revision);
      await d.lifecycle.checkHold(r);
      const errors: string[] = [];
      // The planning step's reading, once: a resumed apply (after a restart) reads afresh.
      const planned = r.planned?.commit === rendered.commit ? r.planned.plans : undefined;
      r.planned = undefined;
      // A release on several clusters takes a new commit wave by wave: apply writes the first wave's cluster, the
      // delivering stage the others, each after the one before it was verified.
      const first = multi(rendered) ? [rendered.waves[0]!] : rendered.placements.map((_, k) => k);
      const firstCluster = rendered.placements[first[0]!]!.cluster;
      placementsFor(r, rendered);
      if (multi(rendered) && !verifiedOn(r, firstCluster, i.revision))
        setPlacement(r, firstCluster, { rolling: i.revision });
      for (const k of first) errors.push(...(await syncPlacement(r, rendered, i.revision, k, planned?.[k])));
      d.options.metrics.applies.inc({ app: r.app, env: r.env, result: errors.length === 0 ? 'ok' : 'failed' });
      if (errors.length > 0) throw new Error(errors.join('\n'));
      return undefined;
    }),
    deliver: fromPromise<unknown, StepInput>(async ({ input, signal }) => {
      const r = d.releases.get(`${input.app}/${input.env}`);
      if (!r) throw new Error(`${input.app}/${input.env} is no longer reconciled here`);
      r.delivered = undefined;
      if (input.revision === undefined) return undefined;
      const rendered = await d.lifecycle.prepare(r, input.revision);
      if (!delivers(rendered, input.revision) && !multi(rendered)) return undefined;
      const running = waves.deliver(r, rendered, input.revision, signal, (gated) => d.gate.run(gated));
      r.running = running;
      await running;
      return undefined;
    }),
    verify: step(async (r, i) => {
      const rendered = await d.lifecycle.prepare(r, i.revision);
      for (const p of rendered.placements) {
        const h = await waitHealthy(appCluster(d.options, r.config, p.cluster), p.objects, {
          timeoutMs: d.options.verifyTimeoutMs ?? 120_000,
          health: health(r),
        });
        if (!h.ok) throw new Error(h.errors.join('\n'));
      }
      return undefined;
    }, false),
  };
}
