/**
 * The reconcile state machine of one (app, environment), on xstate v5:
 *
 *   idle → fetching → rendering → planning → applying → delivering → verifying → synced
 *   synced → checking → synced (in sync, or drift only reported) | applying (drift corrected)
 *
 * plus `failed` (retried after a capped exponential backoff, except a render failure: the same
 * commit renders the same way, so it waits for a new commit, or RETRY when the definitions may have
 * changed) and `held` (a rollback hold or a manual suspend). `delivering` runs the release's runtime traits
 * (delivery.ts; a newer commit supersedes it). Every step is an injected actor, so the machine stays pure and
 * its tests use a simulated clock; because xstate restarts an in-flight invoke on resume, every step must be
 * idempotent. Each failure maps to one reason, as in Flux' reconcilers.
 *
 * A failure belongs to the commit it happened on: taking up another commit drops it (the history keeps it),
 * so the last error a release shows is always its current commit's. Retrying the same commit keeps it.
 */
import { assign, fromPromise, setup } from 'xstate';

export type FailureReason =
  | 'SourceFailed'
  | 'RenderFailed'
  | 'PlanFailed'
  | 'ApplyFailed'
  | 'DeliveryFailed'
  | 'HealthCheckFailed';

export interface ReconcileContext {
  app: string;
  env: string;
  /** The commit being reconciled, and the last one that reached `synced`. */
  revision?: string;
  lastGood?: string;
  /** The last failure of `revision` (its `commit`; a snapshot of an older controller may lack it). */
  failure?: { reason: FailureReason; message: string; commit?: string };
  attempts: number;
  /** Why the machine is held (rollback, manual suspend). */
  hold?: string;
  /** Data passed from step to step (rendered manifests, plan, …); opaque to the machine. */
  work?: unknown;
}

export type ReconcileEvent =
  | { type: 'COMMIT'; revision: string }
  | { type: 'POLL' }
  /** The periodic drift check: compare the cluster with the synced revision again. */
  | { type: 'RESYNC' }
  | { type: 'HOLD'; reason: string }
  | { type: 'RESUME' }
  /** Try a failed reconcile again now (e.g. the definitions may have changed). */
  | { type: 'RETRY' };

export interface StepInput {
  app: string;
  env: string;
  revision: string | undefined;
  work: unknown;
}

/** Thrown by a step that finds a hold (a rollback or a suspend) placed outside the machine. */
export class HoldError extends Error {
  constructor(readonly reason: string) {
    super(`held: ${reason}`);
  }
}

/**
 * Thrown by a step whose failure is another stage's in kind: a wave of the delivering stage that cannot write its
 * cluster (ApplyFailed) or finds it unhealthy (HealthCheckFailed).
 */
export class StepFailure extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
  ) {
    super(message);
  }
}

/** A step: takes the previous step's output, returns its own. Throwing fails the reconcile. */
export type Step = (input: StepInput) => Promise<unknown>;

/** What the plan step reports; a drift check with nothing to heal returns to `synced`. */
export interface PlanOutput {
  changes: number;
  /** False when the drift is only to be reported (the app opted out of self-heal). */
  heal?: boolean;
}

export const passThrough: Step = async (input) => input.work;

/** Failures that a retry of the same commit cannot cure: they wait for a new commit (or RETRY). */
export const WAITS_FOR_COMMIT: ReadonlySet<FailureReason> = new Set(['RenderFailed']);

/** Backoff before retrying a failed reconcile: 5 s doubling, capped at 5 minutes. */
export function retryDelayMs(attempts: number): number {
  return Math.min(5 * 60_000, 5_000 * 2 ** Math.max(0, attempts - 1));
}

const step = (fn: Step) => fromPromise<unknown, StepInput>(({ input }) => fn(input));
/** What every step is given: the release, the commit and what the previous step produced. */
const stepInput = ({ context }: { context: ReconcileContext }): StepInput => ({
  app: context.app,
  env: context.env,
  revision: context.revision,
  work: context.work,
});
const failAs = (reason: FailureReason) => ({ type: 'fail', params: { reason } }) as const;
const takeUp = (resetAttempts: boolean) => ({ type: 'takeUp', params: { resetAttempts } }) as const;
/** A failure, or a hold when the step threw a HoldError. */
const failOrHold = (reason: FailureReason) =>
  [
    { guard: 'isHold', target: 'held', actions: 'holdFromError' },
    { target: 'failed', actions: failAs(reason) },
  ] as const;
/** A state that runs one step: on success to `next` with its output kept, on failure to `failed` (or `held`). */
const runs = <S extends 'render' | 'plan' | 'apply' | 'deliver'>(
  src: S,
  next: string,
  reason: FailureReason,
  holds = false,
) =>
  ({
    invoke: {
      src,
      input: stepInput,
      onDone: { target: next, actions: 'keepOutput' },
      onError: holds ? failOrHold(reason) : { target: 'failed', actions: failAs(reason) },
    },
  }) as const;
export const reconcileMachine = setup({
  types: {} as {
    context: ReconcileContext;
    events: ReconcileEvent;
    input: { app: string; env: string; lastGood?: string };
  },
  actors: {
    fetch: step(passThrough),
    render: step(passThrough),
    plan: step(passThrough),
    apply: step(passThrough),
    deliver: step(passThrough),
    verify: step(passThrough),
  },
  actions: {
    fail: assign(({ context, event }, params: { reason: FailureReason }) => {
      const error = (event as { error?: unknown }).error;
      return {
        failure: {
          reason: error instanceof StepFailure ? error.reason : params.reason,
          message: error instanceof Error ? error.message : String(error),
          ...(context.revision !== undefined ? { commit: context.revision } : {}),
        },
        attempts: context.attempts + 1,
      };
    }),
    /** Takes up the event's commit; another commit's failure is not this one's. */
    takeUp: assign(({ context, event }, params: { resetAttempts: boolean }) => {
      const revision = (event as { revision: string }).revision;
      return {
        revision,
        ...(context.failure?.commit === revision ? {} : { failure: undefined }),
        ...(params.resetAttempts ? { attempts: 0 } : {}),
      };
    }),
    keepOutput: assign({ work: ({ event }) => (event as { output?: unknown }).output }),
    holdFromError: assign(({ event }) => ({
      hold: ((event as { error?: unknown }).error as HoldError).reason,
      work: undefined,
    })),
  },
  guards: {
    isHold: ({ event }) => (event as { error?: unknown }).error instanceof HoldError,
    retryable: ({ context }) => !context.failure || !WAITS_FOR_COMMIT.has(context.failure.reason),
    nothingToHeal: ({ event }) => {
      const out = (event as { output?: PlanOutput }).output;
      return out?.changes === 0 || out?.heal === false;
    },
  },
  delays: {
    retry: ({ context }) => retryDelayMs(context.attempts),
  },
}).createMachine({
  id: 'reconcile',
  context: ({ input }) => ({ app: input.app, env: input.env, lastGood: input.lastGood, attempts: 0 }),
  initial: 'idle',
  on: {
    HOLD: { target: '.held', actions: assign({ hold: ({ event }) => event.reason }) },
  },
  states: {
    idle: {
      on: {
        COMMIT: { target: 'fetching', actions: takeUp(false) },
        POLL: 'fetching',
      },
    },
    fetching: {
      invoke: {
        src: 'fetch',
        input: (a) => ({ ...stepInput(a), work: undefined }),
        onDone: { target: 'rendering', actions: 'keepOutput' },
        onError: failOrHold('SourceFailed'),
      },
    },
    rendering: runs('render', 'planning', 'RenderFailed'),
    planning: runs('plan', 'applying', 'PlanFailed'),
    applying: runs('apply', 'delivering', 'ApplyFailed', true),
    delivering: {
      ...runs('deliver', 'verifying', 'DeliveryFailed'),
      on: {
        // A newer commit supersedes a delivery in progress (a canary is aborted and starts over from stable).
        COMMIT: {
          guard: ({ context, event }) => event.revision !== context.revision,
          target: 'fetching',
          actions: takeUp(true),
        },
      },
    },
    verifying: {
      invoke: {
        src: 'verify',
        input: stepInput,
        onDone: {
          target: 'synced',
          actions: assign({
            lastGood: ({ context }) => context.revision,
            failure: undefined,
            attempts: 0,
            work: undefined,
          }),
        },
        onError: { target: 'failed', actions: failAs('HealthCheckFailed') },
      },
    },
    synced: {
      on: {
        COMMIT: { target: 'fetching', actions: takeUp(false) },
        POLL: 'fetching',
        RESYNC: 'checking',
      },
    },
    checking: {
      invoke: {
        src: 'plan',
        input: ({ context }) => ({
          app: context.app,
          env: context.env,
          revision: context.revision,
          work: { check: true },
        }),
        onDone: [
          { guard: 'nothingToHeal', target: 'synced' },
          { target: 'applying', actions: assign({ work: ({ event }) => event.output }) },
        ],
        onError: { target: 'failed', actions: failAs('PlanFailed') },
      },
      // A commit arriving meanwhile waits for this short check: the controller sends it at rest.
    },
    failed: {
      after: { retry: { guard: 'retryable', target: 'fetching' } },
      on: {
        COMMIT: { target: 'fetching', actions: takeUp(true) },
        RETRY: 'fetching',
      },
    },
    held: {
      on: {
        RESUME: { target: 'idle', actions: assign({ hold: undefined }) },
        // A newer commit releases a hold (the rollback stays until the app changes again).
        COMMIT: {
          guard: ({ context, event }) => event.revision !== context.revision,
          target: 'fetching',
          actions: [takeUp(true), assign({ hold: undefined })],
        },
      },
    },
  },
});
