import type { CueEngine, Evaluation, EvaluateRequest } from '../cue/engine.js';
import { stableStringify } from '../patch/json.js';

/**
 * Remembers evaluations whose (template, parameter, context) are identical.
 * Results are shared: callers must not mutate them.
 */
export class EvaluationMemo {
  private readonly entries = new Map<string, Evaluation>();

  constructor(
    private readonly cue: CueEngine,
    private readonly capacity = 50_000,
  ) {}

  /**
   * Only the context fields the template refers to are sent and take part in
   * the key, so a trait whose result does not depend on the app (scaler,
   * sidecar…) is evaluated once for identical properties.
   */
  evaluate(id: number, full: EvaluateRequest): Evaluation {
    const used = this.cue.contextFields(id);
    const context =
      used === null || typeof full.context !== 'object' || full.context === null
        ? full.context
        : pick(full.context as Record<string, unknown>, used);
    const req = { ...full, context };
    const key =
      `${id}\u0000${req.directives ? 'd' : ''}${req.fields.join(',')}\u0000` +
      `${stableStringify(req.parameter)}\u0000${stableStringify(context)}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const ev = this.cue.evaluate(id, req);
    this.entries.set(key, ev);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    return ev;
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

function pick(obj: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (k in obj) out[k] = obj[k];
  return out;
}
