import { describe, expect, it } from 'vitest';
import { listStates, type StateSummary, writeState } from '../gitops/store/release-store.js';
import { MemoryCluster } from '../../test/support/memory-cluster.js';
import { statusTable } from './releases.js';

const now = Date.parse('2026-12-01T00:01:00Z');
const s = (x: Partial<StateSummary>): StateSummary => ({
  app: 'web',
  env: 'default',
  status: 'synced',
  updatedAt: '2026-12-01T00:00:00Z',
  source: 'aaaaaaaaaaaa',
  ...x,
});

describe('ferry status table', () => {
  it('a held app shows the commit running and the newer one waiting; a render failure says what it waits for', () => {
    const rows = statusTable(
      [
        s({ status: 'held', commit: 'c1c1c1c1c1c1c1c1', newest: 'c2c2c2c2c2c2c2c2', hold: 'rollback' }),
        s({
          app: 'bad',
          status: 'failed',
          waitingFor: 'a new commit',
          lastError: 'RenderFailed: apps/bad/app.yaml:3:1: boom',
        }),
        s({ app: 'flaky', status: 'failed', lastError: 'ApplyFailed: 503' }),
      ],
      now,
    );
    expect(rows).toEqual([
      ['APP', 'ENV', 'COMMIT', 'STATE', 'HEALTH', 'HOLD', 'AGE', 'LAST ERROR'],
      ['web', 'default', 'c1c1c1c1c1c1 (held; newest c2c2c2c2c2c2)', 'held', '-', 'yes', '60s', ''],
      [
        'bad',
        'default',
        '-',
        'failed (waiting for a new commit)',
        '-',
        '-',
        '60s',
        'RenderFailed: apps/bad/app.yaml:3:1: boom',
      ],
      ['flaky', 'default', '-', 'failed', '-', '-', '60s', 'ApplyFailed: 503'],
    ]);
  });

  it('a release on several clusters: a row per cluster with the commit it runs, the delivering one named', () => {
    const rows = statusTable(
      [
        s({
          env: 'prod',
          status: 'delivering',
          commit: 'c2c2c2c2c2c2c2c2',
          placements: [
            { cluster: 'prod-eu', commit: 'c2c2c2c2c2c2c2c2' },
            { cluster: 'prod-us', commit: 'c1c1c1c1c1c1c1c1', rolling: 'c2c2c2c2c2c2c2c2' },
          ],
          traits: [
            {
              component: 'web',
              trait: 'canary',
              commit: 'c2c2c2c2c2c2c2c2',
              status: 'promoted',
              outcome: 'promoted',
              placement: 'prod-eu',
            },
            {
              component: 'web',
              trait: 'canary',
              commit: 'c2c2c2c2c2c2c2c2',
              status: 'progressing 1/2',
              placement: 'prod-us',
            },
          ],
        }),
      ],
      now,
    );
    expect(rows.slice(1)).toEqual([
      ['web', 'prod', 'c2c2c2c2c2c2', '[prod-us] progressing 1/2', '-', '-', '60s', ''],
      ['', '└ prod-eu', 'c2c2c2c2c2c2', 'running', '', '', '', ''],
      ['', '└ prod-us', 'c1c1c1c1c1c1', 'rolling out c2c2c2c2c2c2', '', '', '', ''],
    ]);
  });

  it('a SOURCE column when the apps come from more than one Git source', () => {
    const rows = statusTable([s({ commit: 'c1' }), s({ commit: 'c9', source: 'bbbbbbbbbbbb' })], now);
    expect(rows.map((r) => r.join('|'))).toEqual([
      'APP|ENV|COMMIT|STATE|HEALTH|HOLD|AGE|SOURCE|LAST ERROR',
      'web|default|c1|synced|-|-|60s|aaaaaaaaaaaa|',
      'web|default|c9|synced|-|-|60s|bbbbbbbbbbbb|',
    ]);
  });
});

describe('ferry status: the last error belongs to its commit', () => {
  const aborted = 'DeliveryFailed: canary aborted: latency 725 ms > 300 ms';
  const c1 = 'c1c1c1c1c1c1c1c1';
  const c2 = 'c2c2c2c2c2c2c2c2';
  const c3 = 'c3c3c3c3c3c3c3c3';

  it('held after an abort: the error with its commit (not the one running); failed: the error alone', () => {
    const rows = statusTable(
      [
        s({ status: 'held', commit: c1, newest: c2, hold: 'canary aborted', lastError: aborted, lastErrorCommit: c2 }),
        s({ app: 'api', status: 'failed', commit: c2, lastError: 'ApplyFailed: 503', lastErrorCommit: c2 }),
      ],
      now,
    );
    expect(rows.slice(1).map((r) => r.at(-1))).toEqual([`at c2c2c2c2c2c2: ${aborted}`, 'ApplyFailed: 503']);
  });

  it("an older controller's record, written mid-canary of a newer commit: listed without the stale error", async () => {
    const cluster = new MemoryCluster();
    const scope = (app: string) => ({ app, env: 'default', source: 'aaaaaaaaaaaa' });
    const paused = {
      component: 'web',
      trait: 'canary',
      commit: c3,
      status: 'paused 2/2 (weight 20): waiting for ferry rollout promote',
    };
    await writeState(
      cluster,
      scope('web'),
      {},
      s({ status: 'delivering', commit: c3, lastError: aborted, traits: [paused] }),
    );
    await writeState(cluster, scope('api'), {}, s({ app: 'api', status: 'failed', commit: c2, lastError: aborted }));
    const states = (await listStates(cluster)).sort((a, b) => a.app.localeCompare(b.app));
    expect(states.find((x) => x.app === 'web')).not.toHaveProperty('lastError');
    expect(states.find((x) => x.app === 'api')).toMatchObject({ lastError: aborted, lastErrorCommit: c2 });
    const rows = statusTable(states, now);
    expect(rows.map((r) => [r[0], r[3], r.at(-1)])).toEqual([
      ['APP', 'STATE', 'LAST ERROR'],
      ['api', 'failed', aborted],
      ['web', 'paused 2/2 (weight 20): waiting for ferry rollout promote', ''],
    ]);
  });
});
