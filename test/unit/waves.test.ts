/**
 * Waves through the real Controller, without Kubernetes (the reconcile harness: a local Git repository,
 * the built-in definitions, one in-memory cluster per topology cluster): a release placed on two clusters
 * takes a new commit cluster by cluster, each running its runtime traits (the test `soak` trait) and
 * verified before the next starts; an abort stops the wave and rolls back only the clusters that took the
 * commit; a controller restarted mid-wave resumes it; declared waves set the order.
 */
import { stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { RUNTIME_TRAITS } from '../../src/traits/registry.js';
import { ReconcileHarness, until } from '../support/reconcile-harness.js';
import { imageOf } from '../support/sim-cluster.js';
import { SOAK_DEFINITION, SoakTrait } from '../support/traits/soak/trait.js';

const harnesses: ReconcileHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.dispose()));
});

/** `web` (with a soak trait) placed on clusters eu and us (or `clusters`) by its topology policy `default`. */
const app = (image: string, soak = true, clusters = ['eu', 'us']) =>
  stringify({
    apiVersion: 'core.oam.dev/v1beta1',
    kind: 'Application',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      components: [
        {
          name: 'web',
          type: 'webservice',
          properties: { image, port: 8080 },
          ...(soak ? { traits: [{ type: 'soak', properties: { steps: 1 } }] } : {}),
        },
      ],
      policies: [{ name: 'default', type: 'topology', properties: { clusters } }],
    },
  });

async function twoClusters(o: { waves?: string[]; soak?: boolean; autoRollback?: boolean } = {}) {
  const soak = new SoakTrait();
  const h = await ReconcileHarness.create({
    runtimeTraits: [...RUNTIME_TRAITS, soak],
    files: { 'definitions/soak.cue': SOAK_DEFINITION },
    appYaml: app('nginx:1.0', o.soak !== false),
    ferryYaml: stringify({
      defaults: { autoRollback: o.autoRollback === true },
      environments: [{ name: 'default', ...(o.waves ? { waves: o.waves } : {}) }],
    }),
  });
  harnesses.push(h);
  const image = (cluster: string) => {
    const d = h.clusterAt(cluster).object('Deployment', 'shop', 'web');
    return d ? imageOf(d) : undefined;
  };
  const clusterOf = (c: unknown) => [...h.placed].find(([, x]) => x === c)?.[0];
  /** Commits nginx:2.0 and lets its first wave (eu) pass: its trait then waits on us. */
  const atSecondWave = async () => {
    soak.auto = false;
    const c2 = h.commitApp(app('nginx:2.0'));
    await h.poll();
    await soak.blockedAt(1, c2);
    soak.pass();
    await soak.blockedAt(1, c2);
    return c2;
  };
  return { h, soak, image, clusterOf, atSecondWave, c1: h.commits[0]! };
}

describe('waves across the clusters of a topology', () => {
  it('a new commit goes cluster by cluster, each verified (its trait promoted) before the next starts', async () => {
    const { h, soak, image, clusterOf, c1 } = await twoClusters();
    await h.waitFor('synced', c1);
    expect(soak.deliveries.map((d) => clusterOf(d.cluster))).toEqual(['eu', 'us']);
    expect((await h.state()).summary?.placements).toEqual([
      { cluster: 'eu', commit: c1 },
      { cluster: 'us', commit: c1 },
    ]);
    soak.auto = false;
    const c2 = h.commitApp(app('nginx:2.0'));
    await h.poll();
    const eu = await soak.blockedAt(1, c2);
    expect(clusterOf(eu.cluster)).toBe('eu');
    expect(image('eu')).toBe('nginx:2.0');
    // us has not been touched while eu's wave runs.
    expect(image('us')).toBe('nginx:1.0');
    await until('the summary shows the wave on eu', async () => {
      const p = (await h.state()).summary?.placements;
      return p?.[0]?.rolling === c2 && p[1]?.commit === c1 && p[1].rolling === undefined ? p : undefined;
    });
    soak.pass();
    const us = await soak.blockedAt(1, c2);
    expect(clusterOf(us.cluster)).toBe('us');
    expect(image('us')).toBe('nginx:2.0');
    expect((await h.state()).summary?.placements).toEqual([
      { cluster: 'eu', commit: c2 },
      { cluster: 'us', commit: c1, rolling: c2 },
    ]);
    expect(h.logs.some((l) => l.msg === 'wave verified' && l.cluster === 'eu' && l.commit === c2)).toBe(true);
    soak.pass();
    await h.waitFor('synced', c2);
    const s = (await h.state()).summary!;
    expect(s.placements).toEqual([
      { cluster: 'eu', commit: c2 },
      { cluster: 'us', commit: c2 },
    ]);
    // Each cluster's trait state is its own.
    expect(s.traits?.map((t) => [t.placement, t.commit, t.outcome])).toEqual([
      ['eu', c2, 'promoted'],
      ['us', c2, 'promoted'],
    ]);
  });

  it('an abort on the second cluster stops the wave and rolls back the first, which had taken it', async () => {
    const { h, soak, image, atSecondWave, c1 } = await twoClusters();
    await h.waitFor('synced', c1);
    await atSecondWave();
    soak.abortAt = { step: 1, reason: 'errors on us' };
    soak.pass();
    await h.waitFor('held');
    expect(image('eu')).toBe('nginx:1.0');
    const s = (await h.state()).summary!;
    expect(s.placements).toEqual([
      { cluster: 'eu', commit: c1 },
      { cluster: 'us', commit: c1 },
    ]);
    expect(s.hold).toContain('[us] errors on us');
    expect(s.commit).toBe(c1);
  });

  it('an abort on the first cluster: the second never sees the commit', async () => {
    const { h, soak, image, c1 } = await twoClusters();
    await h.waitFor('synced', c1);
    soak.abortAt = { step: 1, reason: 'errors on eu' };
    const writes = h.clusterAt('us').log.length;
    const c2 = h.commitApp(app('nginx:2.0'));
    await h.poll();
    await h.waitFor('held');
    expect(image('us')).toBe('nginx:1.0');
    expect(h.clusterAt('us').log.length).toBe(writes);
    expect(soak.deliveries.filter((d) => d.revision === c2)).toHaveLength(1);
  });

  it('a cluster failing its health stops the wave; autoRollback rolls back the clusters that took it', async () => {
    const { h, image, c1 } = await twoClusters({ soak: false, autoRollback: true });
    await h.waitFor('synced', c1);
    h.clusterAt('eu').workloads = (o) => (imageOf(o) === 'nginx:2.0' ? 'degraded' : 'ready');
    const usWrites = h.clusterAt('us').log.length;
    const c2 = h.commitApp(app('nginx:2.0', false));
    await h.poll();
    await h.waitFor('held');
    expect(image('eu')).toBe('nginx:1.0');
    expect(h.clusterAt('us').log.length).toBe(usWrites);
    const [rolledBack, failed] = await h.history();
    expect([rolledBack?.outcome, failed?.outcome]).toEqual(['RolledBack', 'Failed']);
    // A wave's health failure is one, named with its cluster.
    expect(failed?.reason).toBe('HealthCheckFailed');
    expect(failed?.message).toMatch(/^\[eu\] /);
    expect((await h.state()).summary?.placements?.map((p) => p.commit)).toEqual([c1, c1]);
    expect(h.machine?.context.revision).toBe(c2);
  });

  it('declared waves go first; a restarted controller resumes the wave without rolling the first again', async () => {
    const { h, soak, image, clusterOf, c1 } = await twoClusters({ waves: ['us'] });
    await h.waitFor('synced', c1);
    expect(soak.deliveries.map((d) => clusterOf(d.cluster))).toEqual(['us', 'eu']);
    soak.auto = false;
    const c2 = h.commitApp(app('nginx:2.0'));
    await h.poll();
    await soak.blockedAt(1, c2);
    soak.pass();
    const eu = await soak.blockedAt(1, c2);
    expect(clusterOf(eu.cluster)).toBe('eu');
    soak.auto = true;
    await h.restart();
    await h.waitFor('synced', c2);
    // us verified c2 before the restart: only eu's wave ran again.
    expect(soak.deliveries.filter((d) => d.revision === c2).map((d) => clusterOf(d.cluster))).toEqual([
      'us',
      'eu',
      'eu',
    ]);
    expect(image('eu')).toBe('nginx:2.0');
  });

  it('a wave naming a cluster the topology does not place fails the release with where it comes from', async () => {
    const { h } = await twoClusters({ waves: ['ap'] });
    const m = await h.waitFor('failed');
    expect(m.context.failure?.message).toContain('environment "default" has waves "ap"');
    // Located at the waves of ferry.yaml (the shared render refuses it: ferry apply --config as ferry serve).
    expect(m.context.failure?.message).toMatch(/^ferry\.yaml:6:\d+: /);
    expect(m.context.failure?.message).toContain('its clusters there: eu, us');
  });

  it('a newer commit supersedes a wave and aborts: the cluster the older wave left mid-way goes back', async () => {
    const { h, soak, image, atSecondWave, c1 } = await twoClusters();
    await h.waitFor('synced', c1);
    await atSecondWave();
    expect(image('us')).toBe('nginx:2.0');
    soak.auto = true;
    soak.abortAt = { step: 1, reason: 'c3 is bad' };
    h.commitApp(app('nginx:3.0'));
    await h.poll();
    await h.waitFor('held');
    // us ran c2 (unverified) when c3 superseded it: rolled back to c1 with the abort.
    expect(image('us')).toBe('nginx:1.0');
    expect((await h.state()).summary?.placements).toEqual([
      { cluster: 'eu', commit: c1 },
      { cluster: 'us', commit: c1 },
    ]);
  });

  it('down to one cluster: no placement state, and autoRollback rolls the one back', async () => {
    const { h, image, c1 } = await twoClusters({ soak: false, autoRollback: true });
    await h.waitFor('synced', c1);
    h.clusterAt('eu').workloads = (o) => (imageOf(o) === 'nginx:2.0' ? 'degraded' : 'ready');
    h.commitApp(app('nginx:2.0', false, ['eu']));
    await h.poll();
    await h.waitFor('held');
    expect(image('eu')).toBe('nginx:1.0');
    expect((await h.state()).summary?.placements).toBeUndefined();
  });

  it('ferry rollback, then ferry resume: the commit goes wave by wave again', async () => {
    const { h, soak, image, clusterOf, c1 } = await twoClusters();
    await h.waitFor('synced', c1);
    const c2 = h.commitApp(app('nginx:2.0'));
    await h.poll();
    await h.waitFor('synced', c2);
    await h.rollback(1);
    await h.poll();
    await h.waitFor('held');
    expect([image('eu'), image('us')]).toEqual(['nginx:1.0', 'nginx:1.0']);
    expect((await h.state()).summary?.placements?.map((p) => p.commit)).toEqual([c1, c1]);
    const before = soak.deliveries.length;
    await h.resume();
    await h.poll();
    await h.waitFor('synced', c2);
    expect(soak.deliveries.slice(before).map((d) => clusterOf(d.cluster))).toEqual(['eu', 'us']);
    expect([image('eu'), image('us')]).toEqual(['nginx:2.0', 'nginx:2.0']);
  });

  it('a cluster the topology drops has the app deleted there once the release synced without it', async () => {
    const { h, image, c1 } = await twoClusters({ soak: false });
    await h.waitFor('synced', c1);
    expect(image('us')).toBe('nginx:1.0');
    const c2 = h.commitApp(app('nginx:2.0', false, ['eu']));
    await h.poll();
    await h.waitFor('synced', c2);
    expect(image('eu')).toBe('nginx:2.0');
    expect(image('us')).toBeUndefined();
    expect(h.logs.some((l) => l.msg === 'pruned the clusters the topology no longer places the app on')).toBe(true);
  });
});
