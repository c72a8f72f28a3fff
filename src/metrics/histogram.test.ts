import { describe, expect, it } from 'vitest';
import { bucketsOf } from './histogram.js';

const series = (le: string, pod: string, values: number[]) => ({
  labels: { le, pod },
  points: values.map((v, i) => [i * 5000, v] as [number, number]),
});

describe('bucketsOf', () => {
  it("sums each series' increase by bound, counts a counter reset from 0, and converts seconds to ms", () => {
    const b = bucketsOf(
      [
        series('0.1', 'a', [10, 20, 30]),
        series('0.1', 'b', [100, 5, 15]), // reset: 5 + 10
        series('0.25', 'a', [10, 25, 40]),
        series('0.25', 'b', [100, 8, 20]),
        series('+Inf', 'a', [10, 26, 42]),
        series('+Inf', 'b', [100, 9, 22]),
      ],
      1000,
    );
    expect(b).toEqual([
      { le: 100, count: 35 },
      { le: 250, count: 50 },
      { le: Number.POSITIVE_INFINITY, count: 54 },
    ]);
  });

  it('keeps the counts cumulative when scrapes disagree, and has nothing without +Inf or requests', () => {
    const b = bucketsOf([series('100', 'a', [0, 12]), series('250', 'a', [0, 10]), series('+Inf', 'a', [0, 14])], 1);
    expect(b!.map((x) => x.count)).toEqual([12, 12, 14]);
    expect(bucketsOf([series('100', 'a', [0, 12])], 1)).toBeUndefined();
    expect(bucketsOf([series('+Inf', 'a', [3, 3])], 1)).toBeUndefined();
  });
});
