import { describe, expect, it } from 'vitest';
import type { CueEngine, EvaluateRequest } from '../cue/engine.js';
import { EvaluationMemo } from './memo.js';

/** A fake engine for the memo's own logic: counts calls, echoes what it was sent. */
function fakeEngine(contextFields: string[] | null) {
  const calls: EvaluateRequest[] = [];
  const engine = {
    contextFields: () => contextFields,
    evaluate: (_id: number, req: EvaluateRequest) => {
      calls.push(req);
      return { values: { sent: req.context }, problems: [] };
    },
  } as unknown as CueEngine;
  return { engine, calls };
}

describe('EvaluationMemo', () => {
  it('sends only the context fields a template uses, and shares results across apps', () => {
    const { engine, calls } = fakeEngine(['name']);
    const memo = new EvaluationMemo(engine);
    const a = memo.evaluate(1, { parameter: { n: 1 }, context: { name: 'web', appName: 'a' }, fields: ['patch'] });
    const b = memo.evaluate(1, { parameter: { n: 1 }, context: { appName: 'b', name: 'web' }, fields: ['patch'] });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.context).toEqual({ name: 'web' });
    expect(b).toBe(a);
  });

  it('re-evaluates when parameters, used context, template or fields differ', () => {
    const { engine, calls } = fakeEngine(null);
    const memo = new EvaluationMemo(engine);
    memo.evaluate(1, { parameter: { n: 1 }, context: { x: 1 }, fields: ['output'] });
    memo.evaluate(1, { parameter: { n: 2 }, context: { x: 1 }, fields: ['output'] });
    memo.evaluate(1, { parameter: { n: 1 }, context: { x: 2 }, fields: ['output'] });
    memo.evaluate(2, { parameter: { n: 1 }, context: { x: 1 }, fields: ['output'] });
    memo.evaluate(1, { parameter: { n: 1 }, context: { x: 1 }, fields: ['patch'] });
    memo.evaluate(1, { parameter: { n: 1 }, context: { x: 1 }, fields: ['output'] });
    expect(calls).toHaveLength(5);
  });

  it('evicts the least recently used entry beyond its capacity', () => {
    const { engine, calls } = fakeEngine([]);
    const memo = new EvaluationMemo(engine, 2);
    for (const n of [1, 2, 1, 3, 1, 2]) memo.evaluate(1, { parameter: { n }, context: {}, fields: [] });
    expect(calls.map((c) => (c.parameter as { n: number }).n)).toEqual([1, 2, 3, 2]);
    expect(memo.size).toBe(2);
  });
});
