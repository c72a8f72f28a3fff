import type { CueEngine, Evaluation, EvaluateRequest } from '../cue/engine.js';
import { stableStringify } from '../patch/json.js';

/**
 * Remembers evaluations whose (template, parameter, context) are identical.
 * Results are shared: callers must not mutate them.
 */
export class EvaluationMemo {
  private readonly entries = new Map<string, Evaluation>();

  constructor(private readonly cue: CueEngine, private readonly capacity = 2000) {}

  evaluate(id: number, req: EvaluateRequest): Evaluation {
    const key = `${id}\u0000${req.fields.join(',')}\u0000${stableStringify(req.parameter)}\u0000${stableStringify(req.context)}`;
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

  get size(): number {
    return this.entries.size;
  }
}
