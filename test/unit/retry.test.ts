import { describe, expect, it } from 'vitest';
import { ClusterError } from '../../src/ports/cluster.js';
import { withRetry } from '../../src/util/retry.js';

function flaky(failures: unknown[]) {
  let calls = 0;
  return {
    fn: async () => {
      const e = failures[calls++];
      if (e) throw e;
      return 'ok';
    },
    calls: () => calls,
  };
}

describe('withRetry', () => {
  it('retries transient errors with capped exponential backoff and full jitter', async () => {
    const sleeps: number[] = [];
    const f = flaky([
      new ClusterError(undefined, 503, 'busy', [], true),
      new ClusterError(undefined, 429, 'slow down', [], true),
      Object.assign(new Error('reset'), { code: 'ECONNRESET' }),
    ]);
    const r = await withRetry(f.fn, {
      baseMs: 100,
      capMs: 250,
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0.999,
    });
    expect(r).toBe('ok');
    expect(f.calls()).toBe(4);
    expect(sleeps).toEqual([99, 199, 249]);
  });

  it('reports permanent errors at once', async () => {
    const f = flaky([new ClusterError(undefined, 422, 'invalid', ['spec.replicas'], false)]);
    await expect(withRetry(f.fn, { sleep: async () => undefined })).rejects.toMatchObject({ status: 422 });
    expect(f.calls()).toBe(1);
  });

  it('gives up after the last attempt', async () => {
    const busy = new ClusterError(undefined, 500, 'down', [], true);
    const f = flaky([busy, busy, busy]);
    await expect(withRetry(f.fn, { attempts: 3, sleep: async () => undefined })).rejects.toBe(busy);
    expect(f.calls()).toBe(3);
  });
});
