import { describe, expect, it } from 'vitest';
import { behaviourOf, imageTag, latencyQuantile, meanLatency, serve } from './behaviour.js';
import { seeded } from './rng.js';
import { route, simPod, simRoute, simService, type SimPod } from './routing.js';
import { Simulator } from './simulator.js';

const pod = (
  name: string,
  labels: Record<string, string>,
  image = 'web:v1',
  ready = true,
  annotations: Record<string, string> = {},
) => ({
  metadata: {
    namespace: 'ns',
    name,
    labels: { ...labels, 'pod-template-hash': 'abc12' },
    annotations,
    ownerReferences: [{ kind: 'ReplicaSet', name: `${labels.app}-abc12` }],
  },
  spec: { containers: [{ image }] },
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const service = (name: string, app: string, rps?: number) => ({
  metadata: {
    namespace: 'ns',
    name,
    annotations: (rps === undefined ? {} : { 'sim.ferry.dev/rps': String(rps) }) as Record<string, string>,
  },
  spec: { selector: { app } },
});

describe('behaviour', () => {
  it('reads the image tag, ignoring registry ports and digests', () => {
    expect(imageTag('registry:5000/team/web:v2-slow')).toBe('v2-slow');
    expect(imageTag('registry:5000/team/web')).toBe('');
    expect(imageTag('web:v1@sha256:abc')).toBe('v1');
  });
  it('chooses behaviours by tag: slow is 5× the latency, errors 20 % 500s; annotations override', () => {
    expect(behaviourOf(['web:v1'])).toEqual({ serviceSeconds: 0.02, errorRatio: 0 });
    expect(behaviourOf(['web:v2-slow']).serviceSeconds).toBeCloseTo(0.1);
    expect(behaviourOf(['web:errors']).errorRatio).toBe(0.2);
    expect(behaviourOf(['web:slowly'])).toEqual({ serviceSeconds: 0.02, errorRatio: 0 });
    expect(
      behaviourOf(['web:v1-errors'], {
        'sim.ferry.dev/error-ratio': '0.5',
        'sim.ferry.dev/latency-ms': '40',
        'sim.ferry.dev/capacity-rps': '100',
      }),
    ).toEqual({ serviceSeconds: 0.04, errorRatio: 0.5, capacityRps: 100 });
  });
  it('latency grows with utilisation (M/M/1) and is capped when overloaded', () => {
    const b = behaviourOf(['web:v1'], { 'sim.ferry.dev/capacity-rps': '100' });
    expect(meanLatency(b, 0)).toBeCloseTo(0.02);
    expect(meanLatency(b, 50)).toBeCloseTo(0.04);
    expect(meanLatency(b, 90)).toBeCloseTo(0.2);
    expect(meanLatency(b, 1000)).toBeCloseTo(2);
    expect(latencyQuantile(b, 0, 0.99)).toBeCloseTo(0.02 * Math.log(100));
  });
  it('draws latencies whose p99 matches the model, and the error share', () => {
    const r = seeded(7);
    const b = behaviourOf(['web:errors']);
    const draws = Array.from({ length: 50_000 }, () => serve(r, b, 0));
    const sorted = draws.map((d) => d.seconds).sort((x, y) => x - y);
    expect(sorted[Math.floor(0.99 * sorted.length)]! / latencyQuantile(b, 0, 0.99)).toBeGreaterThan(0.93);
    expect(sorted[Math.floor(0.99 * sorted.length)]! / latencyQuantile(b, 0, 0.99)).toBeLessThan(1.07);
    expect(draws.filter((d) => d.code === 500).length / draws.length).toBeCloseTo(0.2, 1);
  });
  it('is repeatable for a seed', () => {
    const a = seeded(3),
      b = seeded(3);
    expect(Array.from({ length: 5 }, () => a.next())).toEqual(Array.from({ length: 5 }, () => b.next()));
  });
});

describe('routing', () => {
  it("spreads a Service over its ready pods only, and names each pod's workload", () => {
    const pods = [
      pod('web-abc12-a', { app: 'web' }),
      pod('web-abc12-b', { app: 'web' }),
      pod('web-abc12-c', { app: 'web' }, 'web:v1', false),
      pod('db-abc12-a', { app: 'db' }),
    ].map(simPod);
    expect(pods[0]!.workload).toBe('web');
    const r = route([simService(service('web', 'web', 100))], pods, []);
    expect(r.flows[0]!.source).toEqual({ kind: 'Service', namespace: 'ns', name: 'web' });
    expect(r.flows[0]!.backends[0]!.pods.map((p) => p.name)).toEqual(['web-abc12-a', 'web-abc12-b']);
    expect(r.arrival.get('ns/web-abc12-a')).toBe(50);
    expect(r.arrival.has('ns/db-abc12-a')).toBe(false);
  });
  it("splits an HTTPRoute by its first rule's weights (default 1; weight 0 gets nothing)", () => {
    const hr = simRoute({
      metadata: { namespace: 'ns', name: 'r', annotations: { 'sim.ferry.dev/rps': '100' } },
      spec: {
        rules: [
          {
            backendRefs: [
              { name: 'a', weight: 90 },
              { name: 'b', weight: 10 },
              { name: 'c', weight: 0 },
              { name: 'd', kind: 'Other' },
            ],
          },
        ],
      },
    });
    expect(hr.backends).toEqual([
      { namespace: 'ns', service: 'a', weight: 90 },
      { namespace: 'ns', service: 'b', weight: 10 },
      { namespace: 'ns', service: 'c', weight: 0 },
    ]);
    const pods = [pod('a-abc12-1', { app: 'a' }), pod('b-abc12-1', { app: 'b' })].map(simPod);
    const r = route(
      [
        { namespace: 'ns', name: 'a', selector: { app: 'a' }, annotations: {} },
        { namespace: 'ns', name: 'b', selector: { app: 'b' }, annotations: {} },
      ],
      pods,
      [hr],
    );
    expect(r.flows.map((f) => f.source)).toEqual([{ kind: 'HTTPRoute', namespace: 'ns', name: 'r' }]);
    expect(r.arrival.get('ns/a-abc12-1')).toBeCloseTo(90);
    expect(r.arrival.get('ns/b-abc12-1')).toBeCloseTo(10);
  });
});

describe('Simulator', () => {
  it(
    'sends rps × seconds requests (fractions carried), ' + 'follows replica shares, counts requests with no ready pod',
    () => {
      const seen = new Map<string, number>();
      let unrouted = 0;
      const sim = new Simulator(seeded(1), {
        record: (_source, p: SimPod) => seen.set(p.name, (seen.get(p.name) ?? 0) + 1),
        unrouted: (_source, _ns, _s, n) => (unrouted += n),
      });
      sim.reset('Pod', [
        pod('web-abc12-a', { app: 'web' }),
        pod('web-abc12-b', { app: 'web' }),
        pod('web-abc12-c', { app: 'web' }, 'web:v1-errors'),
      ]);
      sim.reset('Service', [service('web', 'web', 30), service('empty', 'none', 10)]);
      for (let i = 0; i < 1000; i++) sim.tick(0.1);
      const total = [...seen.values()].reduce((a, b) => a + b, 0);
      expect(total).toBe(3000);
      expect(unrouted).toBe(1000);
      for (const n of seen.values()) expect(Math.abs(n / total - 1 / 3)).toBeLessThan(0.03);
      sim.upsert('Service', service('web', 'web', 60));
      seen.clear();
      for (let i = 0; i < 10; i++) sim.tick(0.1);
      expect([...seen.values()].reduce((a, b) => a + b, 0)).toBe(60);
    },
  );
});
