import { describe, expect, it } from 'vitest';
import type { WatchHandlers } from '../../ports/cluster.js';
import { MemoryCluster } from '../../../test/support/memory-cluster.js';
import { HoldWatch, holdEvent, type HoldChange } from './hold-watch.js';
import { placeHold, recordConfigMap, releaseHold } from './release-store.js';

const hold = (specDigest?: string) => ({
  reason: 'rollback to revision 1',
  since: '2026-12-01T00:00:00Z',
  ...(specDigest ? { specDigest } : {}),
});

describe('holdEvent', () => {
  it.each([
    ['synced', hold(), 'd1', false, 'HOLD'],
    ['applying', hold('d1'), 'd1', false, 'HOLD'],
    ['synced', hold('d0'), 'd1', false, undefined], // placed for a spec a newer commit replaced
    ['held', hold(), 'd1', false, undefined],
    ['held', undefined, 'd1', false, 'RESUME'],
    ['held', undefined, 'd1', true, 'RESUME'],
    ['synced', undefined, 'd1', true, 'POLL'], // placed and lifted before the machine heard of it
    ['synced', undefined, 'd1', false, undefined], // a poll finding no hold changes nothing
    ['failed', undefined, 'd1', true, undefined],
    ['idle', undefined, 'd1', true, undefined],
  ] as const)('%s with hold %j (spec %s, lifted %s) → %s', (state, h, digest, lifted, event) => {
    expect(holdEvent(state, h, digest, lifted)).toBe(event);
  });
});

/** A cluster whose watch the test drives by hand. */
class DrivenCluster extends MemoryCluster {
  handlers?: WatchHandlers;
  async watch(_q: unknown, h: WatchHandlers, signal: AbortSignal): Promise<void> {
    this.handlers = h;
    await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
  }
}

const holdCm = (app: string, source: string, h = hold()) =>
  recordConfigMap('hold', { app, env: 'default', source }, { data: { 'hold.json': JSON.stringify(h) } });

describe('HoldWatch', () => {
  it('reports holds placed and lifted, once each and in order, from the watch and after a relist', async () => {
    const cluster = new DrivenCluster();
    const changes: HoldChange[] = [];
    const w = new HoldWatch({ cluster, source: 'aaaaaaaaaaaa', onChange: (c) => changes.push(c) });
    w.start();
    cluster.handlers!.reset([holdCm('web', 'aaaaaaaaaaaa')]);
    expect(w.listed).toBe(true);
    expect(w.get('web/default')?.reason).toBe('rollback to revision 1');
    cluster.handlers!.event('MODIFIED', holdCm('web', 'aaaaaaaaaaaa')); // unchanged: not reported again
    cluster.handlers!.event('ADDED', holdCm('shop', 'aaaaaaaaaaaa'));
    cluster.handlers!.event('DELETED', { ...holdCm('web', 'aaaaaaaaaaaa'), data: {} });
    // A relist after a gap: shop's hold went away meanwhile, api's came.
    cluster.handlers!.reset([holdCm('api', 'aaaaaaaaaaaa')]);
    expect(changes.map((c) => `${c.key}:${c.hold ? 'placed' : 'lifted'}`)).toEqual([
      'web/default:placed',
      'shop/default:placed',
      'web/default:lifted',
      'api/default:placed',
      'shop/default:lifted',
    ]);
    await w.stop();
  });

  it("without a watch, lists this source's holds every pollMs", async () => {
    const cluster = new MemoryCluster();
    const changes: string[] = [];
    const w = new HoldWatch({
      cluster,
      source: 'aaaaaaaaaaaa',
      pollMs: 5,
      onChange: (c) => changes.push(`${c.key}:${c.hold ? 'placed' : 'lifted'}`),
    });
    w.start();
    await placeHold(cluster, { app: 'web', env: 'default', source: 'aaaaaaaaaaaa' }, hold());
    await placeHold(cluster, { app: 'web', env: 'default', source: 'bbbbbbbbbbbb' }, hold()); // another source's
    await placeHold(cluster, { app: 'web', env: 'default' }, hold()); // unscoped
    await expect.poll(() => changes).toEqual(['web/default:placed']);
    await releaseHold(cluster, { app: 'web', env: 'default', source: 'aaaaaaaaaaaa' });
    await expect.poll(() => changes).toEqual(['web/default:placed', 'web/default:lifted']);
    await w.stop();
  });
});
