import { describe, expect, it } from 'vitest';
import type { StateSummary } from '../store/state-summary.js';
import type { PromotionPolicy } from '../source/promotion-policy.js';
import { parseWindow } from '../source/promotion-policy.js';
import { decidePromotion, type PromotionInputs } from './decide.js';
import { advanceSoak, verificationOf } from './verification.js';

const summary = (o: Partial<StateSummary>): StateSummary => ({
  app: 'shop',
  env: 'dev',
  status: 'synced',
  commit: 'c2',
  health: 'Healthy',
  updatedAt: '2026-12-03T10:00:00Z',
  ...o,
});

describe('verificationOf', () => {
  it('synced and healthy at the commit, its canary promoted, its objective held: verified', () => {
    const canary = { component: 'web', trait: 'canary', commit: 'c2', outcome: 'promoted' };
    const slo = { component: 'web', trait: 'slo', standing: true, progress: { state: 'Met' } };
    expect(verificationOf(summary({ traits: [canary, slo] }), 'c2')).toEqual({ state: 'verified' });
  });

  it('another commit, still reconciling, degraded, or a canary under way: deploying', () => {
    expect(verificationOf(summary({}), 'c3').state).toBe('deploying');
    expect(verificationOf(summary({ status: 'applying' }), 'c2').state).toBe('deploying');
    expect(verificationOf(summary({ health: 'Progressing' }), 'c2').state).toBe('deploying');
    const running = { component: 'web', trait: 'canary', commit: 'c2', status: 'progressing 1/2' };
    expect(verificationOf(summary({ traits: [running] }), 'c2')).toEqual({
      state: 'deploying',
      why: 'canary of web progressing 1/2',
    });
  });

  it('held at the commit (an aborted canary), failed, or its objective violated: failed', () => {
    expect(
      verificationOf(summary({ status: 'held', newest: 'c2', commit: 'c1', hold: 'canary aborted' }), 'c2'),
    ).toEqual({
      state: 'failed',
      why: 'canary aborted',
    });
    const renderFailed = { status: 'failed', lastError: 'RenderFailed: x', waitingFor: 'a new commit' };
    expect(verificationOf(summary(renderFailed), 'c2').state).toBe('failed');
    // A failure the release retries by itself (an apply that met a conflict) is not final.
    expect(verificationOf(summary({ status: 'failed', lastError: 'ApplyFailed: x' }), 'c2')).toEqual({
      state: 'deploying',
      why: 'retrying: ApplyFailed: x',
    });
    const at = '2026-12-03T10:00:00Z';
    const violated = {
      component: 'web',
      trait: 'slo',
      standing: true,
      status: 'violated',
      progress: { state: 'Violated', at },
    };
    expect(verificationOf(summary({ traits: [violated] }), 'c2', Date.parse(at))).toEqual({
      state: 'failed',
      why: 'slo of web: violated',
    });
    // Evaluated before this commit was first looked at: the objective was about the previous commit's pods.
    expect(verificationOf(summary({ traits: [violated] }), 'c2', Date.parse(at) + 1).state).toBe('verified');
  });
});

describe('advanceSoak', () => {
  const verified = { state: 'verified' } as const;
  it('serves the time between two looks that saw it verified, not a gap past the step (the controller away)', () => {
    let s = advanceSoak(undefined, 'c2', verified, 1000, 30_000);
    expect(s).toEqual({ commit: 'c2', servedMs: 0, since: 1000, seenAt: 1000 });
    s = advanceSoak(s, 'c2', verified, 16_000, 30_000);
    expect(s.servedMs).toBe(15_000);
    // Restarted after 10 minutes: the recorded 15 s stand, the downtime is not served, the soak goes on.
    s = advanceSoak(s, 'c2', verified, 616_000, 30_000);
    expect(s).toEqual({ commit: 'c2', servedMs: 15_000, since: 1000, seenAt: 616_000 });
    s = advanceSoak(s, 'c2', verified, 631_000, 30_000);
    expect(s.servedMs).toBe(30_000);
  });

  it('a failure ends it for good; another commit starts a new one', () => {
    const failed = advanceSoak(
      { commit: 'c2', servedMs: 5000, seenAt: 1 },
      'c2',
      { state: 'failed', why: 'slo' },
      2,
      9,
    );
    expect(failed).toEqual({ commit: 'c2', servedMs: 5000, since: 2, failed: 'slo' });
    expect(advanceSoak(failed, 'c2', { state: 'verified' }, 3, 9).failed).toBe('slo');
    expect(advanceSoak(failed, 'c3', { state: 'verified' }, 3, 9)).toMatchObject({
      commit: 'c3',
      servedMs: 0,
      seenAt: 3,
    });
  });
});

describe('decidePromotion', () => {
  const r2 = { commit: 'c2', digest: 'd2' };
  const staging: PromotionPolicy = { from: 'dev', auto: true, approval: false, soakMs: 600_000 };
  const soaked = { commit: 'c2', servedMs: 600_000, seenAt: 1 };
  const base = (o: Partial<PromotionInputs> = {}): PromotionInputs => ({
    policy: staging,
    upstream: { release: r2, soak: soaked, held: false },
    here: { current: { commit: 'c1', digest: 'd1' }, held: false, failed: [] },
    approved: [],
    now: new Date('2026-12-07T10:00:00Z'),
    ...o,
  });

  it('auto: the upstream release once verified and soaked', () => {
    expect(decidePromotion(base())).toEqual({ kind: 'promote', release: r2, by: 'auto' });
    expect(decidePromotion(base({ here: { current: r2, held: false, failed: [] } }))).toEqual({ kind: 'current' });
  });

  it('waits while it soaks, before it is verified, and never takes a release that failed upstream or here', () => {
    const up = (soak: object | undefined, held = false) => ({ upstream: { release: r2, soak: soak as never, held } });
    expect(decidePromotion(base(up({ commit: 'c2', servedMs: 240_000, seenAt: 1 })))).toMatchObject({
      kind: 'wait',
      state: 'soaking',
      why: 'soaking in dev 4m/10m',
    });
    expect(decidePromotion(base(up(undefined)))).toMatchObject({ state: 'deploying' });
    expect(decidePromotion(base(up({ commit: 'c2', servedMs: 0, failed: 'canary aborted' })))).toMatchObject({
      state: 'failed',
      why: 'failed in dev: canary aborted',
    });
    expect(decidePromotion(base(up(soaked, true)))).toMatchObject({ state: 'held' });
    expect(decidePromotion(base({ here: { held: false, failed: ['c2'] } }))).toMatchObject({ state: 'failed' });
  });

  it('approval: waits for ferry approve of that release; a window holds it outside its hours', () => {
    const window = parseWindow('Mon-Fri 09:00-16:00');
    if (typeof window === 'string') throw new Error(window);
    const prod: PromotionPolicy = { from: 'staging', auto: false, approval: true, soakMs: 0, window };
    expect(decidePromotion(base({ policy: prod }))).toMatchObject({ state: 'waiting-approval' });
    expect(decidePromotion(base({ policy: prod, approved: ['c2'] }))).toEqual({
      kind: 'promote',
      release: r2,
      by: 'approval',
    });
    const saturday = new Date('2026-12-05T10:00:00Z');
    expect(decidePromotion(base({ policy: prod, approved: ['c2'], now: saturday }))).toMatchObject({
      state: 'waiting-window',
    });
  });

  it('ferry promote passes the same gates unless forced; a held environment takes nothing', () => {
    const manual = (force: boolean, release = r2) => ({ manual: { release, force } });
    const soaking = { upstream: { release: r2, soak: { commit: 'c2', servedMs: 1, seenAt: 1 }, held: false } };
    expect(decidePromotion(base({ ...soaking, ...manual(false) }))).toMatchObject({ state: 'soaking' });
    expect(decidePromotion(base({ ...soaking, ...manual(true) }))).toMatchObject({ kind: 'promote', by: 'forced' });
    expect(decidePromotion(base(manual(false)))).toMatchObject({ kind: 'promote', by: 'manual' });
    const other = { commit: 'c0', digest: 'd0' };
    expect(decidePromotion(base(manual(false, other)))).toMatchObject({ state: 'manual' });
    const held = { here: { current: { commit: 'c1', digest: 'd1' }, held: true, failed: [] } };
    expect(decidePromotion(base({ ...held, ...manual(true) }))).toMatchObject({ state: 'held' });
  });
});
