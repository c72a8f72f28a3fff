import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import type { KubeObject } from '../../objects/objects.js';
import { MemoryCluster } from '../../../test/support/memory-cluster.js';
import type { DeliverInput, TraitTarget } from '../api/runtime-trait.js';
import { CanaryRuntime } from './delivery.js';
import type { CanaryProgress } from './progress.js';
import { type CanarySpec, parseCanary } from './spec.js';

const deployment = (image: string): KubeObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop', labels: { 'app.oam.dev/component': 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
    },
  }) as KubeObject;
const log = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
  child: () => log,
} as never;

/** The canary's target: a stable revision (recorded and live) that runs `stable`, now rendering `next`. */
async function setup(stable: string | undefined, next: string) {
  const cluster = new MemoryCluster();
  if (stable) await cluster.apply(deployment(stable));
  const spec = parseCanary({ steps: [{ weight: 50 }] }, 'web');
  if (!spec.ok) throw new Error('bad test settings');
  const target: TraitTarget<typeof spec.value> = {
    app: 'web',
    env: 'default',
    source: 's1',
    component: 'web',
    namespace: 'shop',
    revision: 'c2',
    spec: spec.value,
    objects: [deployment(next)],
    stable: stable ? [deployment(stable)] : undefined,
    cluster,
  };
  return { cluster, target, runtime: new CanaryRuntime({ registry: new Registry() }) };
}
const imageOf = (o: KubeObject | undefined) =>
  (o as unknown as { spec: { template: { spec: { containers: { image: string }[] } } } }).spec.template.spec
    .containers[0]!.image;

const deliverInput = (
  target: TraitTarget<CanarySpec>,
  progress: CanaryProgress | undefined,
  reports: unknown[],
): DeliverInput<CanarySpec, CanaryProgress> => ({
  ...target,
  progress,
  report: async (p) => void reports.push(p),
  event: async () => undefined,
  command: async () => undefined,
  clearCommand: async () => undefined,
  tracked: (o) => o,
  log,
  signal: new AbortController().signal,
});

describe('the canary runtime', () => {
  it('holds a changed pod template back from apply while a stable revision runs', async () => {
    const { target, runtime } = await setup('web:1', 'web:2');
    const held = await runtime.holdBack(target);
    expect(imageOf(held[0])).toBe('web:1');
    expect((held[0] as unknown as { spec: { replicas: number } }).spec.replicas).toBe(2);
  });

  it('applies a first deployment (no recorded stable revision) and an unchanged template as rendered', async () => {
    const first = await setup(undefined, 'web:2');
    expect(imageOf((await first.runtime.holdBack(first.target))[0])).toBe('web:2');
    const same = await setup('web:2', 'web:2');
    expect(imageOf((await same.runtime.holdBack(same.target))[0])).toBe('web:2');
  });

  it('skips (no canary) when nothing of the pod template changed', async () => {
    const { target, runtime } = await setup('web:2', 'web:2');
    const reports: unknown[] = [];
    expect(await runtime.deliver(deliverInput(target, undefined, reports))).toEqual({ result: 'skipped' });
    expect(reports).toEqual([]);
  });

  it('a component that renders no Deployment is an error naming the component', async () => {
    const { target, runtime } = await setup('web:1', 'web:2');
    await expect(runtime.holdBack({ ...target, objects: [] })).rejects.toThrow(
      'component "web" trait "canary": the component renders no Deployment',
    );
  });

  it(
    'never runs again a canary of this commit that was aborted (the outcome says so again), ' + 'unless resumed',
    async () => {
      const { target, runtime, cluster } = await setup('web:1', 'web:2');
      const aborted: CanaryProgress = {
        commit: 'c2',
        component: 'web',
        workload: 'web',
        canary: 'web-canary',
        mode: 'replicas',
        step: 0,
        steps: 1,
        weight: 50,
        phase: 'Aborted',
        message: 'success-rate 80 % < 99 %',
        stepStartedAt: '',
        startedAt: '',
        failures: 1,
        analysis: [],
      };
      const reports: unknown[] = [];
      expect(await runtime.deliver(deliverInput(target, aborted, reports))).toEqual({
        result: 'aborted',
        reason: 'success-rate 80 % < 99 %',
        hold: true,
      });
      expect(reports).toEqual([]);
      expect(
        await cluster.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web-canary' }),
      ).toBeUndefined();
    },
  );
});
