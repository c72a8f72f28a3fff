import { describe, expect, it } from 'vitest';
import { Metrics } from '../../gitops/controller/telemetry.js';
import { appendRevision } from '../../gitops/release/release-store.js';
import type { Release } from '../../gitops/release/release.js';
import type { KubeObject } from '../../objects/objects.js';
import { parseApplications } from '../../oam/model/parse.js';
import { MemoryCluster } from '../../../test/support/memory-cluster.js';
import { CanaryDelivery } from './delivery.js';
import type { CanaryProgress } from './progress.js';

const app = (image: string) => `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: web, namespace: shop}
spec:
  components:
    - name: web
      type: webservice
      properties: {image: "${image}"}
      traits:
        - type: canary
          properties: {steps: [{weight: 50}]}
`;
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

/** A release whose stable revision (recorded and live) runs `stable`, now rendering `next`. */
async function setup(stable: string | undefined, next: string) {
  const cluster = new MemoryCluster();
  const release = {
    app: 'web',
    env: 'default',
    source: 's1',
    folder: 'apps/web',
    sameSpec: new Set<string>(),
    io: Promise.resolve(),
    persistSeq: 0,
  } as Release;
  if (stable) {
    await cluster.apply(deployment(stable));
    await appendRevision(cluster, release, {
      commit: 'c1',
      specDigest: 'd1',
      time: new Date().toISOString(),
      outcome: 'Synced',
      message: 'synced',
      placements: [{ cluster: 'local', objects: [deployment(stable)] }],
    });
  }
  const parsed = parseApplications(app(next), 'app.yaml');
  if (!parsed.ok) throw new Error('bad test app');
  const objects = [deployment(next)];
  const rendered = {
    commit: 'c2',
    placements: [{ cluster: 'local', objects }],
    manifestDigest: 'm',
    namespace: 'shop',
    app: parsed.value[0]!,
    registry: undefined as never,
  };
  const input = { release, rendered, revision: 'c2', cluster, records: cluster, objects, log };
  return { cluster, release, input, delivery: new CanaryDelivery({ telemetry: new Metrics() }) };
}
const imageOf = (o: KubeObject | undefined) =>
  (o as unknown as { spec: { template: { spec: { containers: { image: string }[] } } } }).spec.template.spec
    .containers[0]!.image;

describe('CanaryDelivery', () => {
  it('holds a changed pod template back from apply while a stable revision runs', async () => {
    const { input, delivery } = await setup('web:1', 'web:2');
    const held = await delivery.holdBack(input);
    expect(imageOf(held[0])).toBe('web:1');
    expect((held[0] as unknown as { spec: { replicas: number } }).spec.replicas).toBe(2);
  });

  it('applies a first deployment (no recorded stable revision) and an unchanged template as rendered', async () => {
    const first = await setup(undefined, 'web:2');
    expect(imageOf((await first.delivery.holdBack(first.input))[0])).toBe('web:2');
    const same = await setup('web:2', 'web:2');
    expect(imageOf((await same.delivery.holdBack(same.input))[0])).toBe('web:2');
  });

  it('never runs again a canary of this commit that was aborted, unless resumed', async () => {
    const { input, delivery, cluster } = await setup('web:1', 'web:2');
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
    input.release.delivery = aborted;
    const reports: unknown[] = [];
    await expect(
      delivery.deliver({ ...input, signal: new AbortController().signal, report: async (p) => void reports.push(p) }),
    ).rejects.toThrow('canary aborted: success-rate 80 % < 99 %');
    expect(reports).toEqual([]);
    expect(
      await cluster.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web-canary' }),
    ).toBeUndefined();
  });
});
