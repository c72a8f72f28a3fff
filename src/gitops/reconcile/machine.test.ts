import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock, waitFor } from 'xstate';
import { HoldError, reconcileMachine, retryDelayMs, type Step, type StepInput } from './machine.js';

type Steps = Partial<Record<'fetch' | 'render' | 'plan' | 'apply' | 'deliver' | 'verify', Step>>;

function start(steps: Steps = {}, clock = new SimulatedClock(), snapshot?: unknown) {
  const calls: string[] = [];
  const wrap = (name: keyof Steps) =>
    fromPromise<unknown, StepInput>(async ({ input }) => {
      calls.push(`${name}@${input.revision}`);
      return steps[name] ? steps[name]!(input) : `${name}-out`;
    });
  const machine = reconcileMachine.provide({
    actors: {
      fetch: wrap('fetch'),
      render: wrap('render'),
      plan: wrap('plan'),
      apply: wrap('apply'),
      deliver: wrap('deliver'),
      verify: wrap('verify'),
    },
  });
  const actor = createActor(machine, {
    input: { app: 'shop', env: 'dev' },
    clock,
    ...(snapshot ? { snapshot: snapshot as never } : {}),
  });
  actor.start();
  return { actor, calls, clock };
}

const fail =
  (message: string): Step =>
  async () => {
    throw new Error(message);
  };

describe('reconcile machine', () => {
  it(
    'goes idle → fetching → rendering → planning → applying → delivering → verifying → synced, ' + 'passing work along',
    async () => {
      const seen: unknown[] = [];
      const { actor, calls } = start({
        render: async (i) => (seen.push(i.work), 'manifests'),
        plan: async (i) => (seen.push(i.work), 'plan'),
      });
      expect(actor.getSnapshot().value).toBe('idle');
      actor.send({ type: 'COMMIT', revision: 'c1' });
      await waitFor(actor, (s) => s.matches('synced'));
      expect(calls).toEqual(['fetch@c1', 'render@c1', 'plan@c1', 'apply@c1', 'deliver@c1', 'verify@c1']);
      expect(seen).toEqual(['fetch-out', 'manifests']);
      expect(actor.getSnapshot().context).toMatchObject({ revision: 'c1', lastGood: 'c1', attempts: 0 });
    },
  );

  it.each([
    ['fetch', 'SourceFailed'],
    ['render', 'RenderFailed'],
    ['plan', 'PlanFailed'],
    ['apply', 'ApplyFailed'],
    ['deliver', 'DeliveryFailed'],
    ['verify', 'HealthCheckFailed'],
  ] as const)('a failing %s step fails with %s and keeps the last good revision', async (stepName, reason) => {
    const { actor } = start({ [stepName]: fail('boom') });
    actor.send({ type: 'COMMIT', revision: 'c1' });
    await waitFor(actor, (s) => s.matches('failed'));
    expect(actor.getSnapshot().context).toMatchObject({
      failure: { reason, message: 'boom', commit: 'c1' },
      attempts: 1,
      lastGood: undefined,
    });
  });

  it('retries a failure after a capped exponential backoff on the (simulated) clock', async () => {
    let fails = 2;
    const { actor, clock, calls } = start({
      fetch: async () => {
        if (fails-- > 0) throw new Error('git down');
        return 'src';
      },
    });
    actor.send({ type: 'COMMIT', revision: 'c1' });
    await waitFor(actor, (s) => s.matches('failed'));
    clock.increment(retryDelayMs(1) - 1);
    expect(actor.getSnapshot().value).toBe('failed');
    clock.increment(1);
    await waitFor(actor, (s) => s.matches('failed') && s.context.attempts === 2);
    clock.increment(retryDelayMs(2));
    await waitFor(actor, (s) => s.matches('synced'));
    expect(calls.filter((c) => c.startsWith('fetch'))).toHaveLength(3);
    expect([retryDelayMs(1), retryDelayMs(2), retryDelayMs(3), retryDelayMs(20)]).toEqual([5000, 10000, 20000, 300000]);
  });

  it(
    'a render failure is not retried with backoff: the same commit renders the same way, ' +
      'so it waits for a new commit (or RETRY)',
    async () => {
      const { actor, clock, calls } = start({
        render: async (i) => {
          if (i.revision === 'bad') throw new Error('cue error');
          return 'ok';
        },
      });
      actor.send({ type: 'COMMIT', revision: 'bad' });
      await waitFor(actor, (s) => s.matches('failed'));
      expect(actor.getSnapshot().context.failure).toEqual({
        reason: 'RenderFailed',
        message: 'cue error',
        commit: 'bad',
      });
      clock.increment(retryDelayMs(1));
      clock.increment(retryDelayMs(20) * 3);
      await new Promise((r) => setTimeout(r, 10));
      expect(actor.getSnapshot().value).toBe('failed');
      expect(calls).toEqual(['fetch@bad', 'render@bad']);
      // RETRY (the definitions may have changed, e.g. after a restart) renders the same commit again.
      actor.send({ type: 'RETRY' });
      await waitFor(actor, (s) => s.matches('failed') && s.context.attempts === 2);
      expect(calls).toEqual(['fetch@bad', 'render@bad', 'fetch@bad', 'render@bad']);
      actor.send({ type: 'COMMIT', revision: 'good' });
      await waitFor(actor, (s) => s.matches('synced'));
      expect(actor.getSnapshot().context).toMatchObject({ lastGood: 'good', attempts: 0, failure: undefined });
    },
  );

  it.each([
    'fetch',
    'plan',
    'apply',
    'verify',
  ] as const)('a %s failure is still retried after the backoff', async (stepName) => {
    let fails = 1;
    const { actor, clock } = start({
      [stepName]: async () => {
        if (fails-- > 0) throw new Error('transient');
        return stepName === 'plan' ? { changes: 1 } : 'ok';
      },
    });
    actor.send({ type: 'COMMIT', revision: 'c1' });
    await waitFor(actor, (s) => s.matches('failed'));
    clock.increment(retryDelayMs(1));
    await waitFor(actor, (s) => s.matches('synced'));
  });

  it('a new commit while failed starts over at once', async () => {
    const { actor } = start({
      render: async (i) => {
        if (i.revision === 'bad') throw new Error('cue error');
        return 'ok';
      },
    });
    actor.send({ type: 'COMMIT', revision: 'bad' });
    await waitFor(actor, (s) => s.matches('failed'));
    actor.send({ type: 'COMMIT', revision: 'good' });
    await waitFor(actor, (s) => s.matches('synced'));
    expect(actor.getSnapshot().context).toMatchObject({ lastGood: 'good', attempts: 0, failure: undefined });
  });

  describe('a failure belongs to its commit', () => {
    /** A step that fails for c1; as the deliver step, it never ends for c2 (a canary paused, say). */
    const c1Fails =
      (message: string, pausesC2 = false): Step =>
      async (i) => {
        if (i.revision === 'c1') throw new Error(message);
        return pausesC2 && i.revision === 'c2' ? new Promise(() => undefined) : 'ok';
      };
    const paused: Step = c1Fails('canary aborted', true);

    it('a retry of the same commit keeps it until the commit syncs', async () => {
      let fails = 1;
      const { actor, clock } = start({
        apply: async () => {
          if (fails-- > 0) throw new Error('503');
          return 'ok';
        },
      });
      actor.send({ type: 'COMMIT', revision: 'c1' });
      await waitFor(actor, (s) => s.matches('failed'));
      clock.increment(retryDelayMs(1));
      expect(actor.getSnapshot().value).not.toBe('failed');
      expect(actor.getSnapshot().context.failure).toEqual({ reason: 'ApplyFailed', message: '503', commit: 'c1' });
      await waitFor(actor, (s) => s.matches('synced'));
      expect(actor.getSnapshot().context.failure).toBeUndefined();
    });

    it.each([
      ['failed', 'render'],
      ['held', 'deliver'],
    ] as const)('from %s (c1 failed to %s), c2 is reconciled and delivered without it', async (from, stepName) => {
      const { actor } = start({ deliver: paused, [stepName]: stepName === 'deliver' ? paused : c1Fails('boom') });
      actor.send({ type: 'COMMIT', revision: 'c1' });
      await waitFor(actor, (s) => s.matches('failed'));
      if (from === 'held') actor.send({ type: 'HOLD', reason: 'canary aborted at c1' });
      expect(actor.getSnapshot()).toMatchObject({ value: from, context: { failure: { commit: 'c1' } } });
      actor.send({ type: 'COMMIT', revision: 'c2' });
      await waitFor(actor, (s) => s.matches('delivering'));
      expect(actor.getSnapshot().context).toMatchObject({ revision: 'c2', attempts: 0 });
      expect(actor.getSnapshot().context.failure).toBeUndefined();
    });

    it('resumed on the same commit it stays; a newer commit, or one superseding a delivery, drops it', async () => {
      const { actor } = start({ deliver: paused });
      actor.send({ type: 'COMMIT', revision: 'c1' });
      await waitFor(actor, (s) => s.matches('failed'));
      actor.send({ type: 'HOLD', reason: 'aborted' });
      actor.send({ type: 'RESUME' });
      actor.send({ type: 'COMMIT', revision: 'c1' });
      expect(actor.getSnapshot().context.failure).toMatchObject({ commit: 'c1' });
      await waitFor(actor, (s) => s.matches('failed') && s.context.attempts === 2);
      actor.send({ type: 'COMMIT', revision: 'c2' });
      await waitFor(actor, (s) => s.matches('delivering'));
      expect(actor.getSnapshot().context.failure).toBeUndefined();
      actor.send({ type: 'COMMIT', revision: 'c3' });
      await waitFor(actor, (s) => s.matches('synced') && s.context.lastGood === 'c3');
    });

    it("an older controller's snapshot (its failure names no commit) drops it on a new commit", async () => {
      const first = start({ render: c1Fails('cue error') });
      first.actor.send({ type: 'COMMIT', revision: 'c1' });
      await waitFor(first.actor, (s) => s.matches('failed'));
      const saved = JSON.parse(JSON.stringify(first.actor.getPersistedSnapshot()));
      first.actor.stop();
      delete saved.context.failure.commit;
      const { actor } = start({ deliver: paused }, new SimulatedClock(), saved);
      actor.send({ type: 'COMMIT', revision: 'c2' });
      await waitFor(actor, (s) => s.matches('delivering'));
      expect(actor.getSnapshot().context.failure).toBeUndefined();
    });
  });

  it('synced reconciles again on a poll or a commit', async () => {
    const { actor, calls } = start();
    actor.send({ type: 'COMMIT', revision: 'c1' });
    await waitFor(actor, (s) => s.matches('synced'));
    actor.send({ type: 'POLL' });
    await waitFor(actor, (s) => s.matches('synced') && calls.length === 12);
    actor.send({ type: 'COMMIT', revision: 'c2' });
    await waitFor(actor, (s) => s.matches('synced') && s.context.lastGood === 'c2');
  });

  it(
    'a drift check (RESYNC) from synced: in sync or drift only reported → synced again with nothing ' +
      'applied; drift to heal → applying → verifying → synced',
    async () => {
      let plan: { changes: number; heal?: boolean } = { changes: 0 };
      const checks: unknown[] = [];
      const { actor, calls } = start({ plan: async (i) => (checks.push(i.work), plan) });
      actor.send({ type: 'COMMIT', revision: 'c1' });
      await waitFor(actor, (s) => s.matches('synced'));
      calls.length = 0;
      actor.send({ type: 'RESYNC' });
      expect(actor.getSnapshot().value).toBe('checking');
      await waitFor(actor, (s) => s.matches('synced'));
      plan = { changes: 2, heal: false };
      actor.send({ type: 'RESYNC' });
      await waitFor(actor, (s) => s.matches('synced') && calls.length === 2);
      expect(calls).toEqual(['plan@c1', 'plan@c1']);
      expect(checks.slice(-2)).toEqual([{ check: true }, { check: true }]);
      plan = { changes: 1 };
      actor.send({ type: 'RESYNC' });
      await waitFor(actor, (s) => s.matches('synced') && calls.length === 6);
      expect(calls.slice(2)).toEqual(['plan@c1', 'apply@c1', 'deliver@c1', 'verify@c1']);
      expect(actor.getSnapshot().context).toMatchObject({ revision: 'c1', lastGood: 'c1' });
    },
  );

  it(
    'a drift check that cannot plan fails as PlanFailed and is retried; ' + 'RESYNC means nothing outside synced',
    async () => {
      let broken = false;
      const { actor, clock } = start({
        plan: async () => {
          if (broken) throw new Error('the API server is unreachable');
          return { changes: 0 };
        },
      });
      actor.send({ type: 'RESYNC' });
      expect(actor.getSnapshot().value).toBe('idle');
      actor.send({ type: 'COMMIT', revision: 'c1' });
      await waitFor(actor, (s) => s.matches('synced'));
      broken = true;
      actor.send({ type: 'RESYNC' });
      await waitFor(actor, (s) => s.matches('failed'));
      expect(actor.getSnapshot().context.failure).toEqual({
        reason: 'PlanFailed',
        message: 'the API server is unreachable',
        commit: 'c1',
      });
      broken = false;
      clock.increment(retryDelayMs(1));
      await waitFor(actor, (s) => s.matches('synced'));
    },
  );

  it('a hold stops reconciling; the same commit does not release it, a newer one or RESUME does', async () => {
    const { actor, calls } = start();
    actor.send({ type: 'COMMIT', revision: 'c1' });
    await waitFor(actor, (s) => s.matches('synced'));
    actor.send({ type: 'HOLD', reason: 'rollback to c0' });
    expect(actor.getSnapshot()).toMatchObject({ value: 'held', context: { hold: 'rollback to c0' } });
    actor.send({ type: 'POLL' });
    actor.send({ type: 'COMMIT', revision: 'c1' });
    expect(actor.getSnapshot().value).toBe('held');
    actor.send({ type: 'COMMIT', revision: 'c2' });
    await waitFor(actor, (s) => s.matches('synced') && s.context.lastGood === 'c2');
    expect(actor.getSnapshot().context.hold).toBeUndefined();
    actor.send({ type: 'HOLD', reason: 'manual suspend' });
    actor.send({ type: 'RESUME' });
    expect(actor.getSnapshot().value).toBe('idle');
    expect(calls.filter((c) => c.startsWith('fetch'))).toEqual(['fetch@c1', 'fetch@c2']);
  });

  it('a hold interrupts a reconcile in flight', async () => {
    let release!: () => void;
    const { actor } = start({ apply: () => new Promise((r) => (release = () => r('applied'))) });
    actor.send({ type: 'COMMIT', revision: 'c1' });
    await waitFor(actor, (s) => s.matches('applying'));
    actor.send({ type: 'HOLD', reason: 'suspend' });
    release();
    await new Promise((r) => setTimeout(r, 10));
    expect(actor.getSnapshot().value).toBe('held');
  });

  it.each([
    'fetch',
    'apply',
  ] as const)('a hold found by the %s step (placed by another process) holds instead of failing', async (stepName) => {
    const { actor, calls } = start({
      [stepName]: async () => {
        throw new HoldError('rollback to r3 by ferry rollback');
      },
    });
    actor.send({ type: 'COMMIT', revision: 'c2' });
    await waitFor(actor, (s) => s.matches('held'));
    expect(actor.getSnapshot().context).toMatchObject({ hold: 'rollback to r3 by ferry rollback', attempts: 0 });
    expect(actor.getSnapshot().context.failure).toBeUndefined();
    expect(calls.at(-1)).toBe(`${stepName}@c2`);
  });

  it('a persisted snapshot survives JSON and resumes in a new actor, restarting the step in flight', async () => {
    let hang = true;
    const first = start({ apply: () => (hang ? new Promise(() => undefined) : Promise.resolve('applied')) });
    first.actor.send({ type: 'COMMIT', revision: 'c7' });
    await waitFor(first.actor, (s) => s.matches('applying'));
    const saved = JSON.parse(JSON.stringify(first.actor.getPersistedSnapshot()));
    first.actor.stop();
    hang = false;
    const second = start({ apply: async () => 'applied' }, new SimulatedClock(), saved);
    await waitFor(second.actor, (s) => s.matches('synced'));
    expect(second.calls).toEqual(['apply@c7', 'deliver@c7', 'verify@c7']);
    expect(second.actor.getSnapshot().context.lastGood).toBe('c7');
  });
});
