/**
 * bench:soak's short mode (the 30-minute soak is `npm run bench:soak`): `ferry serve` as a process follows 100
 * apps while 20 commits a minute arrive by webhook for two minutes. Every commit is applied, nothing is logged as
 * an error, and the open file descriptors do not grow with the commits. Its figures (RSS per mark, commit →
 * applied) are printed, not asserted: timing belongs to the benchmark.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { CoreV1Api } from '@kubernetes/client-node';
import { runSoak } from '../../bench/soak-run.js';
import { testKubeConfig } from './kube.js';

afterAll(async () => {
  await testKubeConfig()
    .makeApiClient(CoreV1Api)
    .deleteNamespace({ name: 'bench-soak' })
    .catch(() => undefined);
});

describe('the soak, short', () => {
  it('100 apps, 20 commits a minute for 2 minutes: every commit applied, no error, no handle leak', async () => {
    const r = await runSoak({
      kubeconfig: inject('kubeconfig'),
      apps: 100,
      minutes: 2,
      commitsPerMinute: 20,
      markMinutes: 0.5,
      log: (l) => console.log(l),
    });
    console.log(`commit → applied: p50 ${r.p50.toFixed(2)} s, p99 ${r.p99.toFixed(2)} s over ${r.applied} commits`);
    expect(r.errors).toEqual([]);
    expect(r.commits).toBeGreaterThanOrEqual(39);
    expect(r.applied).toBe(r.commits);
    const [first, last] = [r.marks[1] ?? r.marks[0]!, r.marks.at(-1)!];
    expect(last.fds).toBeLessThanOrEqual(first.fds + 16);
  }, 420_000);
});
