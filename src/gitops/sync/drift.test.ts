import { describe, expect, it } from 'vitest';
import { driftOf, driftText } from './drift.js';
import type { SyncPlan } from './plan.js';

const ref = (kind: string, name: string) => ({
  apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1',
  kind,
  namespace: 'shop',
  name,
});

describe('drift in words', () => {
  const plan: SyncPlan = {
    items: [
      {
        ref: ref('Deployment', 'web'),
        action: 'update',
        reason: 'drifted',
        drift: ['/spec/replicas', '/spec/template/spec/containers/0/image'],
      },
      { ref: ref('Service', 'web'), action: 'create', reason: 'missing' },
      { ref: ref('ConfigMap', 'old'), action: 'delete', reason: 'pruned' },
      { ref: ref('Secret', 'creds'), action: 'unchanged', reason: 'in sync' },
    ],
  };

  it('names every object a re-apply would change, and how', () => {
    expect(driftOf(plan)).toEqual([
      'drifted Deployment/shop/web (/spec/replicas, /spec/template/spec/containers/0/image)',
      'missing Service/shop/web',
      'extra ConfigMap/shop/old',
    ]);
    expect(driftOf(plan, 'prod-eu')[1]).toBe('[prod-eu] missing Service/shop/web');
    expect(driftOf({ items: [plan.items[3]!] })).toEqual([]);
  });

  it('keeps a long list to one line', () => {
    const many = Array.from({ length: 13 }, (_, i) => `missing ConfigMap/shop/c${i}`);
    expect(driftText(many)).toBe(`${many.slice(0, 10).join('; ')}; and 3 more`);
    expect(driftText(many.slice(0, 2))).toBe('missing ConfigMap/shop/c0; missing ConfigMap/shop/c1');
  });
});
