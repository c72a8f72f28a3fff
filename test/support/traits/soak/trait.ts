/**
 * `soak`: a test-only runtime trait (src/traits/api/runtime-trait.ts), registered by the tests that use
 * it (`runtimeTraits: [...RUNTIME_TRAITS, soak]`) with its CUE definition (soak.cue, put in the test
 * repository's definitions/ folder). It soaks a component for `steps` steps, reporting its progress
 * after each, then promotes it. The test drives it: steps pass at once, or each waits for `pass()`;
 * `abortAt` makes a step abort the delivery with a hold. Every delivery is kept in `deliveries`, with
 * the progress the core handed back and its AbortSignal.
 */
import { readFileSync } from 'node:fs';
import type { ParseResult, PropertyProblem } from '../../../../src/oam/render/runtime-traits.js';
import type {
  DeliverInput,
  ProgressCodec,
  RuntimeTrait,
  TraitOutcome,
  TraitRuntime,
} from '../../../../src/traits/api/runtime-trait.js';

export interface SoakSpec {
  steps: number;
}

/** Steps done of a commit's soak; `aborted` once a step aborted it. */
export interface SoakProgress {
  commit: string;
  step: number;
  steps: number;
  aborted?: string;
}

/** The trait's CUE definition, for a repository's definitions/ folder. */
export const SOAK_DEFINITION = readFileSync(new URL('./soak.cue', import.meta.url), 'utf8');

export function parseSoak(properties: unknown, _component: string): ParseResult<SoakSpec> {
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties))
    return { ok: false, problems: [{ path: [], message: 'must be an object' }] };
  const problems: PropertyProblem[] = [];
  for (const key of Object.keys(properties))
    if (key !== 'steps') problems.push({ path: [key], message: 'unknown property (soak has "steps")' });
  const steps = (properties as { steps?: unknown }).steps ?? 1;
  if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 1)
    problems.push({ path: ['steps'], message: `must be an integer >= 1, not ${JSON.stringify(steps)}` });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: { steps: steps as number } };
}

/** Kept in the state record as `{v: 1, commit, done, of, aborted?}`: not the shape the trait works with. */
export const soakCodec: ProgressCodec<SoakProgress> = {
  encode: (p) => ({ v: 1, commit: p.commit, done: p.step, of: p.steps, ...(p.aborted ? { aborted: p.aborted } : {}) }),
  decode: (json) => {
    const j = json as { v?: unknown; commit?: unknown; done?: unknown; of?: unknown; aborted?: unknown } | null;
    if (!j || j.v !== 1 || typeof j.commit !== 'string' || typeof j.done !== 'number' || typeof j.of !== 'number')
      return undefined;
    return {
      commit: j.commit,
      step: j.done,
      steps: j.of,
      ...(typeof j.aborted === 'string' ? { aborted: j.aborted } : {}),
    };
  },
};

export const describeSoak = (p: SoakProgress): string =>
  p.aborted ? `soak aborted after ${p.step}/${p.steps}: ${p.aborted}` : `soaked ${p.step}/${p.steps}`;

/** One delivery the trait ran, as the test sees it. */
export interface SoakDelivery {
  revision: string;
  component: string;
  /** The progress the core handed back (decoded through the codec), if any. */
  progress: SoakProgress | undefined;
  signal: AbortSignal;
  /** The name of the metrics the core gave the delivery (its environment's source), if any. */
  metrics?: string;
  /** How it ended; undefined while it runs. */
  ended?: 'promoted' | 'aborted' | 'superseded';
  /** The cluster of the placement it ran on. */
  cluster: unknown;
}

export class SoakTrait implements RuntimeTrait<SoakSpec, SoakProgress> {
  readonly type = 'soak';
  readonly progress = soakCodec;
  /** Steps pass at once (true), or each waits for `pass()` (false). */
  auto = true;
  /** A step that aborts the delivery (with a hold) instead of passing. */
  abortAt?: { step: number; reason: string };
  readonly deliveries: SoakDelivery[] = [];
  /** How many times the controller started the trait's runtime (once per Controller). */
  starts = 0;
  /** Its watches (the long-running part of a synced release): the settings each ran with, and whether it ended. */
  readonly watches: { revision: string; steps: number; stopped: boolean }[] = [];
  private gate?: { delivery: SoakDelivery; step: number; open: () => void };

  parse(properties: unknown, component: string): ParseResult<SoakSpec> {
    return parseSoak(properties, component);
  }

  describe(progress: SoakProgress): string {
    return describeSoak(progress);
  }

  start(): TraitRuntime<SoakSpec, SoakProgress> {
    this.starts++;
    return {
      deliver: (i) => this.deliver(i),
      watch: async (i) => {
        const w = { revision: i.revision, steps: i.spec.steps, stopped: false };
        this.watches.push(w);
        await new Promise<void>((resolve) => i.signal.addEventListener('abort', () => resolve(), { once: true }));
        w.stopped = true;
      },
    };
  }

  /** Waits until a delivery (of `revision`, when given) waits at `step`; returns it. */
  async blockedAt(step: number, revision?: string, timeoutMs = 5000): Promise<SoakDelivery> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const g = this.gate;
      if (g && g.step === step && (revision === undefined || g.delivery.revision === revision)) return g.delivery;
      if (Date.now() > deadline)
        throw new Error(
          `no soak delivery waits at step ${step}${revision ? ` of ${revision.slice(0, 12)}` : ''}` +
            ` (${g ? `one waits at step ${g.step} of ${g.delivery.revision.slice(0, 12)}` : 'none waits'})`,
        );
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Lets the waiting delivery pass its step. */
  pass(): void {
    const g = this.gate;
    if (!g) throw new Error('no soak delivery is waiting');
    this.gate = undefined;
    g.open();
  }

  private async deliver(i: DeliverInput<SoakSpec, SoakProgress>): Promise<TraitOutcome> {
    const d: SoakDelivery = {
      revision: i.revision,
      component: i.component,
      progress: i.progress,
      signal: i.signal,
      cluster: i.cluster,
      ...(i.metrics ? { metrics: i.metrics.name } : {}),
    };
    this.deliveries.push(d);
    // Progress of another commit is not this delivery's: it starts over.
    const saved = i.progress?.commit === i.revision ? i.progress : undefined;
    // Aborted already at this commit (as a canary): never tried again unasked.
    if (saved?.aborted) {
      d.ended = 'aborted';
      return { result: 'aborted', reason: saved.aborted, hold: true };
    }
    const steps = i.spec.steps;
    try {
      for (let step = (saved?.step ?? 0) + 1; step <= steps; step++) {
        if (!this.auto) await this.wait(d, step, i.signal);
        if (i.signal.aborted) throw new Error('superseded');
        if (this.abortAt?.step === step) {
          const reason = this.abortAt.reason;
          await i.report({ commit: i.revision, step: step - 1, steps, aborted: reason });
          d.ended = 'aborted';
          return { result: 'aborted', reason, hold: true };
        }
        await i.report({ commit: i.revision, step, steps });
      }
    } catch (e) {
      if (i.signal.aborted) d.ended = 'superseded';
      throw e;
    }
    d.ended = 'promoted';
    return { result: 'promoted', message: `soak of ${i.component} promoted after ${steps} steps` };
  }

  private wait(d: SoakDelivery, step: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new Error('superseded'));
      const onAbort = () => {
        if (this.gate?.delivery === d) this.gate = undefined;
        reject(new Error('superseded'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.gate = {
        delivery: d,
        step,
        open: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
    });
  }
}
