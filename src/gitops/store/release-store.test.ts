import { describe, expect, it } from 'vitest';
import { addRevision, type Revision } from './release-store.js';

const entry = (commit: string, outcome: Revision['outcome'], reason?: string) => ({
  commit,
  specDigest: `d-${commit}`,
  time: 't',
  outcome,
  message: outcome,
  ...(reason ? { reason } : {}),
  ...(outcome !== 'Failed' ? { placements: [] } : {}),
});

describe('revision history', () => {
  it('numbers revisions, newest first, and counts repeated failures of one commit as attempts', () => {
    let h: Revision[] = [];
    h = addRevision(h, entry('c1', 'Synced'));
    h = addRevision(h, entry('c2', 'Failed', 'ApplyFailed'));
    h = addRevision(h, entry('c2', 'Failed', 'ApplyFailed'));
    h = addRevision(h, entry('c2', 'Failed', 'HealthCheckFailed'));
    expect(h.map((r) => [r.revision, r.commit, r.outcome, r.attempts])).toEqual([
      [3, 'c2', 'Failed', 1],
      [2, 'c2', 'Failed', 2],
      [1, 'c1', 'Synced', 1],
    ]);
  });

  it('is bounded, but always keeps the newest good revision for rollback', () => {
    let h: Revision[] = addRevision([], entry('good', 'Synced'));
    for (let i = 0; i < 5; i++) h = addRevision(h, entry(`bad${i}`, 'Failed', 'RenderFailed'), 3);
    expect(h.map((r) => r.commit)).toEqual(['bad4', 'bad3', 'good']);
    let long: Revision[] = addRevision([], entry('good', 'Synced'));
    for (let i = 0; i < 15; i++) long = addRevision(long, entry(`bad${i}`, 'Failed', 'RenderFailed'));
    expect(long).toHaveLength(10);
    expect(long[0]!.revision).toBe(16);
    expect(long.at(-1)).toMatchObject({ commit: 'good', revision: 1 });
  });
});
