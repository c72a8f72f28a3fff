import { describe, expect, it } from 'vitest';
import type { ReconcileContext } from './machine.js';
import { ok } from '../../oam/errors.js';
import type { RepoLayout } from '../source/repo-layout.js';
import {
  newRelease,
  noteSameSpec,
  type Rendered,
  SAME_SPEC_LIMIT,
  type Spec,
  specLayout,
  summaryOf,
} from './release.js';

const release = (heldCommit?: string) => ({
  ...newRelease({ app: 'web', env: 'prod' }, 'aaaaaaaaaaaa', 'apps/web'),
  ...(heldCommit ? { heldCommit } : {}),
});
const ctx = (x: Partial<ReconcileContext>): ReconcileContext => ({ app: 'web', env: 'prod', attempts: 1, ...x });
const aborted = { reason: 'DeliveryFailed' as const, message: 'canary aborted: latency 725 ms > 300 ms' };

describe('the summary of a release: its last error and the commit it is about', () => {
  it.each([
    ['failed at c2', 'failed', release(), ctx({ revision: 'c2', failure: { ...aborted, commit: 'c2' } }), 'c2'],
    [
      'held after c2 aborted, c1 running',
      'held',
      release('c1'),
      ctx({ revision: 'c2', lastGood: 'c1', failure: { ...aborted, commit: 'c2' } }),
      'c2',
    ],
    [
      'retrying c2 (applying again)',
      'applying',
      release(),
      ctx({ revision: 'c2', failure: { ...aborted, commit: 'c2' } }),
      'c2',
    ],
    // An older controller's snapshot: its failure names no commit.
    ['an older snapshot, failed', 'failed', release(), ctx({ revision: 'c2', failure: aborted }), 'c2'],
    ['an older snapshot, delivering c3', 'delivering', release(), ctx({ revision: 'c3', failure: aborted }), undefined],
    [
      'a failure of another commit',
      'delivering',
      release(),
      ctx({ revision: 'c3', failure: { ...aborted, commit: 'c2' } }),
      undefined,
    ],
  ])('%s', (_, state, r, c, commit) => {
    const s = summaryOf(r, state, c);
    expect(s.lastErrorCommit).toBe(commit);
    expect(s.lastError).toBe(commit ? `DeliveryFailed: ${aborted.message}` : undefined);
  });

  it('a held release shows the commit running and the newest one, which its error is about', () => {
    const s = summaryOf(release('c1'), 'held', ctx({ revision: 'c2', failure: { ...aborted, commit: 'c2' } }));
    expect(s).toMatchObject({ status: 'held', commit: 'c1', newest: 'c2', lastErrorCommit: 'c2' });
  });
});

describe('noteSameSpec', () => {
  it('forgets the oldest same-spec commits past the limit, never the spec, the rendered one or the newest', () => {
    const r = newRelease({ app: 'a', env: 'e' }, 'src', 'apps/a');
    r.spec = { commit: 'c0' } as Spec;
    r.rendered = { commit: 'c3' } as Rendered;
    for (let i = 0; i < 1000; i++) noteSameSpec(r, `c${i}`);
    expect(r.sameSpec.size).toBeLessThanOrEqual(SAME_SPEC_LIMIT);
    expect(r.sameSpec.size).toBeGreaterThan(SAME_SPEC_LIMIT / 2 - 1);
    for (const c of ['c0', 'c3', 'c999', 'c998']) expect(r.sameSpec.has(c), c).toBe(true);
    expect(r.sameSpec.has('c1')).toBe(false);
  });
});

describe('specLayout', () => {
  it("keeps ferry.yaml and the shared definitions of a layout, not its list of every app's folder", () => {
    const layout: RepoLayout = {
      commit: 'c1',
      config: ok({ environments: [], defaults: { autoRollback: false, pruneRemovedApps: true } }),
      definitions: [],
      definitionsDigest: 'd',
      apps: [{ name: 'a', path: 'apps/a', entries: [], digest: 'x' }],
    };
    const kept = specLayout(layout);
    expect(kept).toEqual({ commit: 'c1', config: layout.config, definitions: [], definitionsDigest: 'd' });
    expect('apps' in kept).toBe(false);
  });
});
