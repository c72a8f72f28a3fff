/**
 * The canary on each metrics provider a cluster may have (ferry.yaml `metrics.provider`), with the
 * traffic simulator exposing its series in that style (docs/local-cluster.md, "Metric styles"): Istio's
 * standard metrics, the NGINX ingress controller's, and a `custom` provider's own selectors. Each
 * provider has its own repository and controller; its scenarios run side by side: a good image promoted,
 * `-errors` and `-slow` images aborted before any analysis passes, and a Gateway API split. The `pods`
 * provider (the default) runs the same scenarios in canary.test.ts.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { canaryOf } from '../../src/traits/canary/progress.js';
import { analysis, CanaryWorld, GATEWAY, LATENCY, SUCCESS } from './canary-support.js';

interface ProviderCase {
  provider: string;
  ferryYaml: string;
  /** nginx-ingress sees Services, not pods: its canaries need a Service of their own (gateway mode). */
  gatewayOnly?: boolean;
  /** The Prometheus URL comes from ferry.yaml, not from `ferry serve --prometheus-url`. */
  urlInFerryYaml?: boolean;
}

const CASES: ProviderCase[] = [
  { provider: 'istio', ferryYaml: 'metrics: {provider: istio}\n' },
  { provider: 'nginx-ingress', ferryYaml: 'metrics: {provider: nginx-ingress}\n', gatewayOnly: true },
  {
    provider: 'custom',
    urlInFerryYaml: true,
    // The app's request counter by its scrape job (`<namespace>/<workload>`), the sidecar's latency in ms.
    ferryYaml: `metrics:
  prometheus: ${inject('prometheusUrl')}
  provider: custom
  custom:
    requests: 'http_requests_total{job="{{ namespace }}/{{ workload }}"}'
    errors: 'http_requests_total{job="{{ namespace }}/{{ workload }}",code=~"5.."}'
    latencyBuckets: >-
      istio_request_duration_milliseconds_bucket{destination_workload_namespace="{{ namespace }}",
      destination_workload="{{ workload }}"}
    latencyUnit: milliseconds
`,
  },
];

describe.each(CASES)('canary on the $provider provider', (c) => {
  const w = new CanaryWorld({ ferryYaml: c.ferryYaml, prometheusFlag: !c.urlInFerryYaml });
  const gateway = c.gatewayOnly ?? false;
  const routing = gateway ? { trafficRouting: GATEWAY } : {};
  beforeAll(async () => {
    await w.start();
  });
  afterAll(async () => {
    await w.stop();
  });

  describe.concurrent('scenarios', () => {
    it('a good image goes through every step and is promoted, every analysis on enough data', async () => {
      const s = w.scenario(`${c.provider}-good`);
      const canary = {
        steps: [{ weight: 25 }, { pause: { duration: '3s' } }, { weight: 50 }],
        analysis: analysis([SUCCESS, LATENCY]),
        ...routing,
      };
      await w.syncedAt(s, w.commit(s, 'example/web:v1', canary, { gateway }));
      const x = await w.syncedAt(s, w.commit(s, 'example/web:v2', canary, { gateway }));
      const p = canaryOf(x.traits)!;
      expect(p).toMatchObject({ commit: x.commit, phase: 'Succeeded' });
      const passed = p.analysis.filter((a) => a.result === 'Successful');
      expect(passed.length).toBeGreaterThanOrEqual(2);
      for (const a of passed) {
        expect(a.evidence!.requests).toBeGreaterThanOrEqual(20);
        expect(a.evidence!.coverage).toBeGreaterThanOrEqual(80);
        // The provider's queries found the canary's requests: a success rate and a latency were measured.
        expect(a.measurements.map((m) => m.name)).toEqual(['success-rate', 'latency']);
        expect(a.measurements.every((m) => m.ok === true && typeof m.value === 'number')).toBe(true);
      }
      expect(await w.imageOf(s)).toBe('example/web:v2');
    });

    it('an -errors image is aborted on its success rate', async () => {
      const s = w.scenario(`${c.provider}-errors`);
      const canary = {
        steps: [{ weight: 25 }, { pause: { duration: '3s' } }],
        analysis: analysis([SUCCESS]),
        ...routing,
      };
      await w.syncedAt(s, w.commit(s, 'example/web:v1', canary, { gateway }));
      const bad = w.commit(s, 'example/web:v2-errors', canary, { gateway });
      await w.expectRolledBack(s, bad, /success-rate \d+(\.\d+)? % < 99 %/, 'example/web:v1', gateway);
    });

    it('a -slow image is aborted on its latency', async () => {
      const s = w.scenario(`${c.provider}-slow`);
      const canary = {
        steps: [{ weight: 50 }, { pause: { duration: '3s' } }],
        analysis: analysis([SUCCESS, LATENCY]),
        ...routing,
      };
      await w.syncedAt(s, w.commit(s, 'example/web:v1', canary, { gateway }));
      const bad = w.commit(s, 'example/web:v2-slow', canary, { gateway });
      await w.expectRolledBack(s, bad, /latency \d+ ms > 300 ms/, 'example/web:v1', gateway);
    });

    it('Gateway API: the route carries the split and an -errors image sends everything back to stable', async () => {
      const s = w.scenario(`${c.provider}-gw`);
      const canary = {
        steps: [{ weight: 20 }, { pause: { duration: '3s' } }],
        analysis: analysis([SUCCESS]),
        trafficRouting: GATEWAY,
      };
      await w.syncedAt(s, w.commit(s, 'example/web:v1', canary, { gateway: true }));
      const bad = w.commit(s, 'example/web:v2-errors', canary, { gateway: true });
      await w.expectRolledBack(s, bad, /success-rate \d+(\.\d+)? % < 99 %/, 'example/web:v1', true);
    });

    if (c.gatewayOnly)
      it('a canary in replica mode is refused with the reason: the provider cannot tell its pods apart', async () => {
        const s = w.scenario(`${c.provider}-replicas`);
        const canary = { steps: [{ weight: 25 }], analysis: analysis([SUCCESS]) };
        await w.syncedAt(s, w.commit(s, 'example/web:v1', canary));
        w.commit(s, 'example/web:v2', canary);
        const x = await w.until(s, 'held', (y) => y.status === 'held' && canaryOf(y.traits)?.phase === 'Aborted');
        expect(x.hold).toMatch(/tells Services apart, not pods.*give trafficRouting\.gateway/);
        expect(await w.imageOf(s)).toBe('example/web:v1');
      });
  });
});
