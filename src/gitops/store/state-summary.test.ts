import { describe, expect, it } from 'vitest';
import { readSummary, type StateSummary } from './state-summary.js';

const at = (x: Partial<StateSummary>): StateSummary => ({
  app: 'web',
  env: 'prod',
  status: 'failed',
  commit: 'c2',
  updatedAt: '2026-12-01T00:00:00Z',
  ...x,
});
const ERROR = 'DeliveryFailed: canary aborted: latency 725 ms > 300 ms';

describe('a summary as read: its last error belongs to the commit it is about', () => {
  it.each([
    ['failed at its commit', at({ lastError: ERROR, lastErrorCommit: 'c2' }), ERROR, 'c2'],
    [
      'held after an abort: about the newest commit, not the one running',
      at({ status: 'held', commit: 'c1', newest: 'c2', lastError: ERROR, lastErrorCommit: 'c2' }),
      ERROR,
      'c2',
    ],
    [
      'an earlier commit than the one the release is at',
      at({ status: 'delivering', commit: 'c3', lastError: ERROR, lastErrorCommit: 'c2' }),
      undefined,
      undefined,
    ],
    ["an older controller's, at rest (failed): the commit's own", at({ lastError: ERROR }), ERROR, 'c2'],
    [
      "an older controller's, held: the newest commit's",
      at({ status: 'held', commit: 'c1', newest: 'c2', lastError: ERROR }),
      ERROR,
      'c2',
    ],
    [
      "an older controller's while a commit is delivered (it kept the previous commit's): dropped",
      at({ status: 'delivering', commit: 'c3', lastError: ERROR }),
      undefined,
      undefined,
    ],
    ['none', at({ status: 'synced' }), undefined, undefined],
  ])('%s', (_, summary, lastError, lastErrorCommit) => {
    const read = readSummary(summary);
    expect(read.lastError).toBe(lastError);
    expect(read.lastErrorCommit).toBe(lastErrorCommit);
    expect(read).toMatchObject({ status: summary.status, commit: summary.commit });
  });

  it("reads a canary's progress kept in `delivery` (before traits had entries) as the canary's entry", () => {
    const delivery = { component: 'web', commit: 'c2', phase: 'Aborted' };
    const read = readSummary({ ...at({}), delivery } as StateSummary);
    expect(read).not.toHaveProperty('delivery');
    expect(read.traits).toEqual([
      { component: 'web', trait: 'canary', commit: 'c2', progress: delivery, outcome: 'aborted' },
    ]);
  });
});
