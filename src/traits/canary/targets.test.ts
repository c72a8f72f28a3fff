import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../objects/objects.js';
import {
  ANN_COMMIT,
  canaryDeployment,
  canaryName,
  canaryReplicas,
  canaryService,
  canaryWorkload,
  LABEL_CANARY_OF,
  LABEL_TRACK,
  routeStableService,
  routeWeight,
  routeWithWeight,
  templateHash,
} from './targets.js';

const deployment = (name = 'web', image = 'web:2'): KubeObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop', labels: { 'app.oam.dev/component': name, app: name, tier: 'front' } },
    spec: {
      replicas: 4,
      strategy: { type: 'RollingUpdate' },
      selector: { matchLabels: { app: name, 'app.oam.dev/component': name } },
      template: {
        metadata: { labels: { app: name, 'app.oam.dev/component': name, tier: 'front' }, annotations: { 'x/y': 'z' } },
        spec: { containers: [{ name, image }] },
      },
    },
  }) as KubeObject;

const service: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web-svc', namespace: 'shop', labels: { app: 'web' } },
  spec: {
    selector: { app: 'web' },
    type: 'ClusterIP',
    clusterIP: '10.0.0.7',
    ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 30080 }, { port: 9090 }],
  },
} as KubeObject;

const route = (refs: object[], more: object[] = []): KubeObject =>
  ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' }, resourceVersion: '12', uid: 'u-1' },
    spec: {
      parentRefs: [{ name: 'gw' }],
      hostnames: ['web.example'],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: refs }, ...more],
    },
  }) as KubeObject;
const refsOf = (r: KubeObject, rule = 0) =>
  (r as unknown as { spec: { rules: { backendRefs: { name: string; weight?: number; port?: number }[] }[] } }).spec
    .rules[rule]!.backendRefs;

describe('canaryReplicas: c = round(N·w/(100−w)), at least 1', () => {
  it.each([
    [9, 10, 1],
    [9, 50, 9],
    [4, 20, 1],
    [4, 50, 4],
    [10, 25, 3],
    [3, 75, 9],
    [4, 10, 1], // 0.44 rounds to 0: at least one pod
    [1, 1, 1],
    [0, 50, 1], // no stable pods: one canary pod
    [-1, 50, 1],
  ])('N=%i, w=%i → %i', (n, w, c) => {
    expect(canaryReplicas(n, w)).toBe(c);
  });

  it('the canary share of pods is close to the weight', () => {
    for (const w of [10, 20, 33, 50, 80]) {
      const c = canaryReplicas(20, w);
      expect(Math.abs((100 * c) / (20 + c) - w)).toBeLessThan(3);
    }
  });
});

describe('canaryDeployment', () => {
  it(
    'the new template under <name>-canary, with its replicas, the commit, ' + 'and pods told apart by ferry.dev/track',
    () => {
      const d = canaryDeployment(deployment(), 2, 'abc123');
      expect(canaryName('web')).toBe('web-canary');
      expect(d.metadata).toEqual({
        name: 'web-canary',
        namespace: 'shop',
        labels: {
          'app.oam.dev/component': 'web',
          app: 'web',
          tier: 'front',
          [LABEL_TRACK]: 'canary',
          [LABEL_CANARY_OF]: 'web',
        },
        annotations: { [ANN_COMMIT]: 'abc123' },
      });
      const spec = (
        d as unknown as {
          spec: {
            replicas: number;
            strategy: unknown;
            selector: { matchLabels: Record<string, string> };
            template: {
              metadata: { labels: Record<string, string>; annotations: Record<string, string> };
              spec: { containers: { image: string }[] };
            };
          };
        }
      ).spec;
      expect(spec.replicas).toBe(2);
      expect(spec.strategy).toEqual({ type: 'RollingUpdate' });
      expect(spec.selector.matchLabels).toEqual({
        app: 'web',
        'app.oam.dev/component': 'web',
        [LABEL_TRACK]: 'canary',
        [LABEL_CANARY_OF]: 'web',
      });
      // Replica-ratio mode: the pods keep the labels the stable Service selects on, so it reaches them too.
      expect(spec.template.metadata.labels).toEqual({
        app: 'web',
        'app.oam.dev/component': 'web',
        tier: 'front',
        [LABEL_TRACK]: 'canary',
        [LABEL_CANARY_OF]: 'web',
      });
      expect(spec.template.metadata.annotations).toEqual({ 'x/y': 'z' });
      expect(spec.template.spec.containers[0]!.image).toBe('web:2');
      // The selector picks the canary's own pods only: every selector label is on the pods.
      for (const [k, v] of Object.entries(spec.selector.matchLabels)) expect(spec.template.metadata.labels[k]).toBe(v);
    },
  );

  it('gateway mode: the labels the stable Service selects on are dropped from pods, selector and metadata', () => {
    const d = canaryDeployment(deployment(), 4, 'abc123', ['app']) as unknown as {
      metadata: { labels: Record<string, string> };
      spec: {
        selector: { matchLabels: Record<string, string> };
        template: { metadata: { labels: Record<string, string> } };
      };
    };
    expect(d.spec.template.metadata.labels).toEqual({
      'app.oam.dev/component': 'web',
      tier: 'front',
      [LABEL_TRACK]: 'canary',
      [LABEL_CANARY_OF]: 'web',
    });
    expect(d.spec.selector.matchLabels).toEqual({
      'app.oam.dev/component': 'web',
      [LABEL_TRACK]: 'canary',
      [LABEL_CANARY_OF]: 'web',
    });
    expect(d.metadata.labels).not.toHaveProperty('app');
  });

  it('does not change the workload it is built from', () => {
    const w = deployment();
    const before = structuredClone(w);
    canaryDeployment(w, 3, 'c', ['app']);
    expect(w).toEqual(before);
  });
});

describe('canaryService', () => {
  it(
    '<service>-canary with the stable ports (not nodePorts, clusterIP or type), ' + 'selecting only the canary pods',
    () => {
      const s = canaryService(service, 'web');
      expect(s).toEqual({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name: 'web-svc-canary',
          namespace: 'shop',
          labels: { [LABEL_TRACK]: 'canary', [LABEL_CANARY_OF]: 'web' },
        },
        spec: {
          selector: { [LABEL_TRACK]: 'canary', [LABEL_CANARY_OF]: 'web' },
          ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }, { port: 9090 }],
        },
      });
    },
  );
});

describe('routeStableService', () => {
  it("the first rule's first Service backend that is not a canary", () => {
    expect(routeStableService(route([{ name: 'web-svc', port: 80 }]))).toBe('web-svc');
    expect(
      routeStableService(
        route([
          { name: 'web-svc-canary', port: 80, weight: 10 },
          { name: 'web-svc', port: 80, weight: 90 },
        ]),
      ),
    ).toBe('web-svc');
    expect(
      routeStableService(
        route([
          { name: 'bucket', kind: 'Backend', group: 'example.io' },
          { name: 'web-svc', kind: 'Service', group: '' },
        ]),
      ),
    ).toBe('web-svc');
    expect(routeStableService(route([], [{ backendRefs: [{ name: 'other' }] }]))).toBeUndefined();
    expect(
      routeStableService({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'r' },
      } as KubeObject),
    ).toBeUndefined();
  });
});

describe('routeWithWeight and routeWeight', () => {
  it('splits 100−w / w between the stable Service and <stable>-canary, keeping the ref port and the rule', () => {
    const r = routeWithWeight(route([{ name: 'web-svc', port: 80 }]), 'web-svc', 10);
    expect(refsOf(r)).toEqual([
      { name: 'web-svc', port: 80, weight: 90 },
      { name: 'web-svc-canary', port: 80, weight: 10 },
    ]);
    expect(
      (r as unknown as { spec: { rules: { matches: unknown }[]; hostnames: string[] } }).spec.rules[0]!.matches,
    ).toEqual([{ path: { type: 'PathPrefix', value: '/' } }]);
    expect(routeWeight(r, 'web-svc')).toBe(10);
    const r50 = routeWithWeight(r, 'web-svc', 50);
    expect(refsOf(r50)).toEqual([
      { name: 'web-svc', port: 80, weight: 50 },
      { name: 'web-svc-canary', port: 80, weight: 50 },
    ]);
    expect(routeWeight(r50, 'web-svc')).toBe(50);
  });

  it('weight 0 takes the canary backend out; other backends are kept', () => {
    const r = routeWithWeight(
      route([
        { name: 'legacy', port: 80, weight: 0 },
        { name: 'web-svc', port: 80, weight: 70 },
        { name: 'web-svc-canary', port: 80, weight: 30 },
      ]),
      'web-svc',
      0,
    );
    expect(refsOf(r)).toEqual([
      { name: 'legacy', port: 80, weight: 0 },
      { name: 'web-svc', port: 80, weight: 100 },
    ]);
    expect(routeWeight(r, 'web-svc')).toBe(0);
  });

  it('changes every rule that sends to the stable Service and leaves the others', () => {
    const r = routeWithWeight(
      route(
        [{ name: 'web-svc', port: 80 }],
        [{ backendRefs: [{ name: 'api', port: 81 }] }, { backendRefs: [{ name: 'web-svc', port: 80 }] }],
      ),
      'web-svc',
      25,
    );
    expect(refsOf(r, 1)).toEqual([{ name: 'api', port: 81 }]);
    expect(refsOf(r, 2)).toEqual([
      { name: 'web-svc', port: 80, weight: 75 },
      { name: 'web-svc-canary', port: 80, weight: 25 },
    ]);
  });

  it('keeps name, namespace, labels and annotations, and drops server-set metadata (resourceVersion, uid)', () => {
    const r = routeWithWeight(route([{ name: 'web-svc', port: 80 }]), 'web-svc', 10);
    expect(r.metadata).toEqual({ name: 'web', namespace: 'shop', labels: { app: 'web' } });
    expect(r.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(r.kind).toBe('HTTPRoute');
  });

  it('routeWeight: 0 without a canary backend, the canary share of the weights otherwise', () => {
    expect(routeWeight(route([{ name: 'web-svc', port: 80 }]), 'web-svc')).toBe(0);
    expect(
      routeWeight(
        route([
          { name: 'web-svc', weight: 3 },
          { name: 'web-svc-canary', weight: 1 },
        ]),
        'web-svc',
      ),
    ).toBe(25);
    expect(
      routeWeight(
        route([
          { name: 'web-svc', weight: 0 },
          { name: 'web-svc-canary', weight: 0 },
        ]),
        'web-svc',
      ),
    ).toBe(0);
    expect(routeWeight(route([{ name: 'other' }]), 'web-svc')).toBe(0);
  });
});

describe('canaryWorkload', () => {
  const objects = [deployment('web'), deployment('api'), { ...service }];

  it("a component's rendered Deployment, by name", () => {
    expect(canaryWorkload('web', objects)?.metadata.name).toBe('web');
    expect(canaryWorkload('api', objects)?.metadata.name).toBe('api');
  });

  it('finds the Deployment by its component label when its name differs', () => {
    const d = deployment('web-v2');
    d.metadata.labels = { 'app.oam.dev/component': 'web' };
    expect(canaryWorkload('web', [service, d])?.metadata.name).toBe('web-v2');
  });

  it('none for a component that renders no Deployment', () => {
    expect(canaryWorkload('worker', objects)).toBeUndefined();
    expect(canaryWorkload('web', [service])).toBeUndefined();
  });
});

describe('templateHash', () => {
  it('changes with the pod template only', () => {
    const a = deployment('web', 'web:1');
    const b = deployment('web', 'web:2');
    const c = {
      ...deployment('web', 'web:1'),
      spec: { ...(deployment('web', 'web:1') as unknown as { spec: object }).spec, replicas: 9 },
    } as KubeObject;
    expect(templateHash(a)).not.toBe(templateHash(b));
    expect(templateHash(a)).toBe(templateHash(c));
  });
});
