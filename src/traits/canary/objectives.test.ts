import { describe, expect, it } from 'vitest';
import { withObjectives } from './objectives.js';
import { canarySpec, type CanarySpec } from './spec.js';

const spec = (props: unknown): CanarySpec => {
  const r = canarySpec('web', props);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.value;
};
const SLO = { trait: 'slo', latency: { percentile: 99, quantile: 0.99, maxMs: 200 }, successRate: { min: 99.5 } };

describe('a canary judged by its component objective', () => {
  it('without analysis metrics, the slo latency at its percentile and its success rate', () => {
    expect(withObjectives(spec({ steps: [{ weight: 20 }] }), [SLO]).analysis.metrics).toEqual([
      { name: 'latency-p99', quantile: 0.99, max: 200, tail: true },
      { name: 'success-rate', min: 99.5 },
    ]);
    const p999 = { trait: 'slo', latency: { percentile: 99.9, quantile: 0.999, maxMs: 350 } };
    expect(withObjectives(spec({}), [p999]).analysis.metrics).toEqual([
      { name: 'latency-p99.9', quantile: 0.999, max: 350, tail: true },
    ]);
  });

  it('an explicit analysis wins; no objective changes nothing', () => {
    const own = spec({ analysis: { metrics: [{ name: 'latency', max: '1s' }] } });
    expect(withObjectives(own, [SLO])).toBe(own);
    const none = spec({});
    expect(withObjectives(none, undefined)).toBe(none);
    expect(withObjectives(none, [])).toBe(none);
  });
});
