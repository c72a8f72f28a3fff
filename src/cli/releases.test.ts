import { describe, expect, it } from 'vitest';
import type { StateSummary } from '../gitops/store/release-store.js';
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

  it('a SOURCE column when the apps come from more than one Git source', () => {
    const rows = statusTable([s({ commit: 'c1' }), s({ commit: 'c9', source: 'bbbbbbbbbbbb' })], now);
    expect(rows.map((r) => r.join('|'))).toEqual([
      'APP|ENV|COMMIT|STATE|HEALTH|HOLD|AGE|SOURCE|LAST ERROR',
      'web|default|c1|synced|-|-|60s|aaaaaaaaaaaa|',
      'web|default|c9|synced|-|-|60s|bbbbbbbbbbbb|',
    ]);
  });
});
